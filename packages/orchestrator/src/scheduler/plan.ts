import type { Evaluation, Execution, Job, JobStateType, Resources } from '@shoal/models'
import type { NodeCandidate } from './node-selector.ts'
import type { SchedulerSettings } from './scheduler-settings.ts'

/** A change the scheduler decided for an existing execution. */
export interface ExecutionChange {
  execution: Execution
  computeState: number
  desiredState: number
  /** Why, kept as the state message (and as RunOutput.ErrorMsg of a failure). */
  message: string
  /** Tell the node to stop it (CancelExecution). */
  cancelOnNode: boolean
  /** History sentence for the user; the state message when absent. */
  event?: string
}

/** One new history line of the job. */
export interface PlanEvent {
  message: string
  topic: string
  executionId?: string
}

/**
 * What one evaluation decided: a job state change, executions to create (and ask nodes to bid
 * on), changes of existing executions, history lines, and a delayed re-evaluation. The planner
 * writes it in one transaction and then talks to the nodes.
 */
export interface Plan {
  job: Job
  jobState?: { state: JobStateType; message: string }
  newExecutions: Execution[]
  changes: ExecutionChange[]
  events: PlanEvent[]
  /** Re-evaluate at `waitUntil` (ms) because partitions still wait for nodes. */
  delay?: { waitUntil: number; comment: string }
  /** The job waits for nodes; wake it when a node joins or capacity frees up. */
  waiting: boolean
  /** Latest "queued" explanation (recorded only when it changes). */
  queuedExplanation?: string
  /** Times (ms) at which the job must be looked at again for a timeout. */
  deadlines: number[]
}

/** Everything a scheduler reads; it writes nothing but the plan. */
export interface SchedulerInput {
  job: Job
  /** The evaluation being processed (its ID goes on new executions). */
  evaluation: Evaluation
  /** Executions of every version of the job. */
  executions: readonly Execution[]
  /** Every node the requester knows; the scheduler lowers `free` as it places work. */
  nodes: NodeCandidate[]
  /** Connected, or expected back (just after a requester restart). */
  isNodeAlive(nodeId: string): boolean
  /** Why a node that is not alive was lost, e.g. "stopped sending heartbeats (…)". */
  nodeLostReason(nodeId: string): string
  now: number
  /** When the current version was submitted (ms): QueueTimeout and TotalTimeout count from here. */
  versionStartedAt: number
  settings: SchedulerSettings
  /** Resources one execution needs. */
  required: Resources
  newExecutionId(): string
  /** Queue explanation last written for this job, so unchanged ones are not repeated. */
  lastQueuedExplanation?: string
}

/** An empty plan for `job`. */
export const emptyPlan = (job: Job): Plan => ({ job, newExecutions: [], changes: [], events: [], waiting: false, deadlines: [] })

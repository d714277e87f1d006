import type { Execution } from '@shoal/models'
import { ExecutionDesiredState, ExecutionState, TERMINAL_JOB_STATES } from '@shoal/models'
import {
  explainExecutionFailed,
  explainExecutionTimeout,
  explainNodeLost,
  explainTotalTimeout,
  explainVersionReplaced,
  type RetryOutcome,
} from '../explain.ts'
import { isActiveExecution, isRunningExecution } from './execution-states.ts'
import type { ExecutionChange, Plan, SchedulerInput } from './plan.ts'
import { effectiveTimeouts } from './scheduler-settings.ts'

/** The executions of a job as they will be once the plan is applied. */
export class ExecutionView {
  private readonly byId = new Map<string, Execution>()
  private readonly plan: Plan

  constructor(executions: readonly Execution[], plan: Plan) {
    for (const e of executions) this.byId.set(e.ID, e)
    this.plan = plan
  }

  /** All executions. */
  all(): Execution[] {
    return [...this.byId.values()]
  }

  /** Executions of one job version. */
  ofVersion(version: number): Execution[] {
    return this.all().filter((e) => e.JobVersion === version)
  }

  /** Active (not terminal) executions. */
  active(): Execution[] {
    return this.all().filter(isActiveExecution)
  }

  /** Records a change in the plan and in the view. */
  change(execution: Execution, computeState: number, message: string, options: { cancelOnNode?: boolean; event?: string } = {}): ExecutionChange {
    const updated: Execution = {
      ...execution,
      ComputeState: { StateType: computeState, Message: message },
      DesiredState: { StateType: ExecutionDesiredState.Stopped, Message: message },
    }
    this.byId.set(execution.ID, updated)
    const change: ExecutionChange = {
      execution,
      computeState,
      desiredState: ExecutionDesiredState.Stopped,
      message,
      cancelOnNode: options.cancelOnNode ?? false,
      event: options.event,
    }
    this.plan.changes.push(change)
    return change
  }

  /** Adds a new execution to the plan and the view. */
  add(execution: Execution): void {
    this.byId.set(execution.ID, execution)
    this.plan.newExecutions.push(execution)
  }
}

/** Whether the node must be told to stop it (it knows of the execution and may be working on it). */
const nodeKnows = (e: Execution): boolean => isActiveExecution(e)

/** Cancels every active execution (the job ended). */
export function cancelActive(view: ExecutionView, message: string): void {
  for (const e of view.active()) view.change(e, ExecutionState.Cancelled, message, { cancelOnNode: nodeKnows(e) })
}

/** Marks the job failed with `message` and cancels its active executions. */
export function failJob(plan: Plan, view: ExecutionView, message: string): void {
  plan.jobState = { state: 'Failed', message }
  cancelActive(view, 'the job failed')
}

/**
 * What happens after `failed` (already Failed in the view): another attempt while the partition
 * (per node for daemon jobs) has attempts left; ops jobs are never retried.
 */
export function retryOutcome(input: Pick<SchedulerInput, 'job' | 'settings'>, view: readonly Execution[], failed: Execution): RetryOutcome {
  const { job, settings } = input
  if (job.Type === 'ops') return { kind: 'no-retry', why: 'ops jobs run once on each node and are not retried' }
  const same = (e: Execution) => (job.Type === 'daemon' ? e.NodeID === failed.NodeID : e.PartitionIndex === failed.PartitionIndex)
  const failures = view.filter((e) => e.JobVersion === failed.JobVersion && same(e) && e.ComputeState.StateType === ExecutionState.Failed).length
  if (failures >= settings.maxAttempts) return { kind: 'exhausted', attempts: failures }
  const where = job.Type === 'daemon' ? 'on the same node' : settings.maxFailuresPerNode <= 1 ? 'on another node' : ''
  return { kind: 'retry', attempt: failures + 1, maxAttempts: settings.maxAttempts, where }
}

/** Fails an execution with `error`, explaining what comes next. */
export function failExecution(input: SchedulerInput, view: ExecutionView, execution: Execution, error: string, cancelOnNode: boolean): void {
  const change = view.change(execution, ExecutionState.Failed, error, { cancelOnNode })
  const failed = { ...execution, ComputeState: { StateType: ExecutionState.Failed } }
  change.event = explainExecutionFailed(execution.ID, execution.NodeID, error, retryOutcome(input, view.all(), failed))
}

/**
 * The steps every job type shares: a terminal job stops its executions; executions on nodes
 * that are gone fail; ExecutionTimeout and TotalTimeout apply (batch and ops); executions of an
 * older version stop. Returns true when the job is finished with (nothing more to plan).
 */
export function reconcile(input: SchedulerInput, plan: Plan, view: ExecutionView): boolean {
  const { job, now } = input
  if (TERMINAL_JOB_STATES.includes(job.State.StateType)) {
    cancelActive(view, job.State.StateType === 'Stopped' ? 'the job was stopped' : `the job is ${job.State.StateType.toLowerCase()}`)
    return true
  }
  for (const e of view.active()) {
    if (!input.isNodeAlive(e.NodeID)) {
      const running = e.ComputeState.StateType === ExecutionState.Running
      failExecution(input, view, e, explainNodeLost(e.NodeID, input.nodeLostReason(e.NodeID), running), false)
    }
  }
  const timeouts = effectiveTimeouts(job, input.settings)
  if (timeouts.totalS > 0) {
    const deadline = input.versionStartedAt + timeouts.totalS * 1000
    if (now >= deadline) {
      failJob(plan, view, explainTotalTimeout(timeouts.totalS))
      return true
    }
    plan.deadlines.push(deadline)
  }
  for (const e of view.active()) {
    if (e.JobVersion < job.Version) {
      view.change(e, ExecutionState.Cancelled, explainVersionReplaced(job.Version), { cancelOnNode: nodeKnows(e) })
    }
  }
  if (timeouts.executionS > 0) {
    for (const e of view.active()) {
      // It counts from when the node started the run (as Bacalhau's executors time the run
      // itself): time waiting for a bid or in the node's queue, behind other work, does not count.
      // That wait is bounded by the running work's own timeouts and by the job's TotalTimeout.
      const state = e.ComputeState.StateType
      if (state !== ExecutionState.Running && state !== ExecutionState.Publishing) continue
      const deadline = e.ModifyTime / 1e6 + timeouts.executionS * 1000
      if (now >= deadline) failExecution(input, view, e, explainExecutionTimeout(timeouts.executionS), isRunningExecution(e) || nodeKnows(e))
      else plan.deadlines.push(deadline)
    }
  }
  return false
}

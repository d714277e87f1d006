import type { Evaluation, Execution, Job, RunCommandResult } from '@shoal/models'
import { ConflictError, ExecutionState, NotFoundError, TERMINAL_EXECUTION_STATES, TERMINAL_JOB_STATES } from '@shoal/models'
import type { JobStore } from '@shoal/interface'
import type { Effects } from '../effects.ts'
import type { BrokerEntry } from '../evaluation-broker.ts'
import type { Plan } from './plan.ts'

/** Builds evaluations with the requester's IDs and clock. */
export type EvaluationFactory = (job: Job, triggeredBy: string, options?: { waitUntil?: number; comment?: string }) => Evaluation

/** An empty RunOutput carrying an error message. */
export const errorRunOutput = (message: string, previous?: RunCommandResult | null): RunCommandResult => ({
  Stdout: previous?.Stdout ?? '',
  StdoutTruncated: previous?.StdoutTruncated ?? false,
  stderr: previous?.stderr ?? '',
  StderrTruncated: previous?.StderrTruncated ?? false,
  ExitCode: previous?.ExitCode ?? -1,
  ErrorMsg: message,
})

/** A history timestamp. */
export const isoTime = (ms: number): string => new Date(ms).toISOString()

/**
 * Writes a plan inside the caller's transaction and records the messages and timers it implies
 * in `effects`: execution changes (CancelExecution to nodes that may be running them), new
 * executions (AskForBid), history lines, the job state, a delayed re-evaluation, and the
 * processed evaluations removed from the store.
 */
export async function applyPlan(
  tx: JobStore,
  plan: Plan,
  processed: readonly BrokerEntry[],
  effects: Effects,
  context: { now: number; newEvaluation: EvaluationFactory },
): Promise<void> {
  const { job } = plan
  const timestamp = isoTime(context.now)
  for (const change of plan.changes) {
    const e = change.execution
    try {
      await tx.updateExecution({
        executionId: e.ID,
        newValues: {
          ComputeState: { StateType: change.computeState, Message: change.message },
          DesiredState: { StateType: change.desiredState, Message: change.message },
          ...(change.computeState === ExecutionState.Failed ? { RunOutput: errorRunOutput(change.message, e.RunOutput) } : {}),
        },
        condition: { unexpectedStates: [...TERMINAL_EXECUTION_STATES] },
        event: { Message: change.event ?? change.message, Topic: 'Scheduling', Timestamp: timestamp },
      })
    } catch (err) {
      if (err instanceof ConflictError) continue // the node reported an end meanwhile
      throw err
    }
    effects.ended.push(e.ID)
    if (change.cancelOnNode) effects.send(e.NodeID, { Type: 'CancelExecution', ExecutionID: e.ID, Reason: change.message })
  }
  for (const execution of plan.newExecutions) {
    await tx.createExecution(execution)
    const resources = Object.values(execution.AllocatedResources.Tasks)[0]
    if (resources) effects.allocations.push({ nodeId: execution.NodeID, executionId: execution.ID, resources })
    effects.send(execution.NodeID, askForBid(execution, job))
  }
  for (const event of plan.events) {
    await tx.addHistory({
      Type: event.executionId ? 'ExecutionLevel' : 'JobLevel',
      JobID: job.ID,
      JobVersion: job.Version,
      ...(event.executionId ? { ExecutionID: event.executionId } : {}),
      Event: { Message: event.message, Topic: event.topic, Timestamp: timestamp },
      Time: timestamp,
    })
  }
  let state = job.State.StateType
  // Same live state, new message: a queued job's reason changed (the store records no state change).
  const newMessage = plan.jobState !== undefined && !TERMINAL_JOB_STATES.includes(state) && plan.jobState.message !== job.State.Message
  if (plan.jobState && (plan.jobState.state !== state || newMessage)) {
    await tx.updateJobState({
      jobId: job.ID,
      newState: plan.jobState.state,
      message: plan.jobState.message,
      condition: { expectedStates: [state] },
    })
    state = plan.jobState.state
    effects.jobStates.push({ jobId: job.ID, state })
  }
  if (plan.delay) {
    const evaluation = context.newEvaluation(job, 'job-queue', { waitUntil: plan.delay.waitUntil, comment: plan.delay.comment })
    await tx.createEvaluation(evaluation)
    effects.evaluations.push({ evaluation, persisted: true })
  }
  const terminal = TERMINAL_JOB_STATES.includes(state)
  effects.waiting.set(job.ID, {
    waiting: plan.waiting && !terminal,
    explanation: plan.queuedExplanation,
    daemon: job.Type === 'daemon',
    terminal,
  })
  if (!terminal && plan.deadlines.length > 0) effects.deadlines.push({ jobId: job.ID, at: Math.min(...plan.deadlines) })
  // Done evaluations leave the store: it keeps only pending ones, which is what a restart needs.
  for (const entry of processed) {
    if (!entry.persisted) continue
    try {
      await tx.deleteEvaluation(entry.evaluation.ID)
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err
    }
  }
}

/** The AskForBid for a new execution; the execution carries its job. */
export function askForBid(execution: Execution, job: Job) {
  return { Type: 'AskForBid' as const, ExecutionID: execution.ID, Execution: { ...execution, Job: job }, WaitForApproval: true }
}

/**
 * Checks of conditional updates, run inside the store's transaction so a transition only
 * applies to the state it was decided on. Each mismatch is a ConflictError saying what was
 * expected and what was found.
 */
import { ConflictError, TERMINAL_EXECUTION_STATES, TERMINAL_JOB_STATES, executionStateName } from '@shoal/models'
import type { Execution, ExecutionDesiredStateType, ExecutionStateType, Job, JobStateType } from '@shoal/models'
import { EXECUTION_DESIRED_STATES } from '@shoal/models'
import type { UpdateCondition } from '@shoal/interface'

/** The condition of an execution update. */
export type ExecutionUpdateCondition = UpdateCondition<ExecutionStateType> & {
  expectedDesiredStates?: ExecutionDesiredStateType[]
}

const RETRY_HINT = 'Another update changed it first: reload it and decide again.'

/** Throws ConflictError unless `job` satisfies `condition` and may move to `newState`. */
export function checkJobStateUpdate(job: Job, newState: JobStateType, condition: UpdateCondition<JobStateType> = {}): void {
  const found = job.State.StateType
  checkRevision(`job ${job.ID}`, job.Revision, condition.expectedRevision)
  if (condition.expectedStates !== undefined && condition.expectedStates.length > 0 && !condition.expectedStates.includes(found)) {
    throw conflict(`job ${job.ID}: expected state ${either(condition.expectedStates)} but found ${found}`)
  }
  if (condition.unexpectedStates?.includes(found)) {
    throw conflict(`job ${job.ID}: expected state not ${either(condition.unexpectedStates)} but found ${found}`)
  }
  // The one exit from a terminal state: a Failed job may be marked Stopped (Bacalhau allows
  // stopping a failed job, so the user can record that it was abandoned).
  const failedToStopped = found === 'Failed' && newState === 'Stopped'
  if (TERMINAL_JOB_STATES.includes(found) && newState !== found && !failedToStopped) {
    throw conflict(`job ${job.ID} is already ${found}; cannot change its state to ${newState}`, 'Rerun or resubmit the job to run it again.')
  }
}

/** Throws ConflictError unless `execution` satisfies `condition` and may take `newComputeState`. */
export function checkExecutionUpdate(
  execution: Execution,
  newComputeState: ExecutionStateType | undefined,
  condition: ExecutionUpdateCondition = {},
): void {
  const subject = `execution ${execution.ID}`
  const found = execution.ComputeState.StateType
  checkRevision(subject, execution.Revision, condition.expectedRevision)
  if (condition.expectedStates !== undefined && condition.expectedStates.length > 0 && !condition.expectedStates.includes(found)) {
    throw conflict(
      `${subject}: expected compute state ${either(condition.expectedStates.map(executionStateName))} but found ${executionStateName(found)}`,
    )
  }
  if (condition.unexpectedStates?.includes(found)) {
    throw conflict(
      `${subject}: expected compute state not ${either(condition.unexpectedStates.map(executionStateName))} but found ${executionStateName(found)}`,
    )
  }
  const desired = execution.DesiredState.StateType
  if (
    condition.expectedDesiredStates !== undefined &&
    condition.expectedDesiredStates.length > 0 &&
    !condition.expectedDesiredStates.includes(desired)
  ) {
    throw conflict(
      `${subject}: expected desired state ${either(condition.expectedDesiredStates.map(desiredStateName))} but found ${desiredStateName(desired)}`,
    )
  }
  if (newComputeState !== undefined && newComputeState !== found && TERMINAL_EXECUTION_STATES.includes(found)) {
    throw conflict(
      `${subject} is already ${executionStateName(found)}; cannot change its compute state to ${executionStateName(newComputeState)}`,
      'A finished execution never runs again: create a new execution instead.',
    )
  }
}

function checkRevision(subject: string, found: number, expected: number | undefined): void {
  // 0 means "no expectation", as in Bacalhau: revisions start at 1.
  if (expected !== undefined && expected !== 0 && expected !== found) {
    throw conflict(`${subject}: expected revision ${expected} but found ${found}`)
  }
}

function desiredStateName(value: number): string {
  return EXECUTION_DESIRED_STATES[value] ?? `Unknown(${value})`
}

function either(values: readonly (string | number)[]): string {
  return values.length === 1 ? String(values[0]) : `one of ${values.join(', ')}`
}

function conflict(message: string, hint = RETRY_HINT): ConflictError {
  return new ConflictError(message, { component: 'orchestrator', hint })
}

/**
 * State enums and their wire encodings. Job states travel as strings; execution compute states
 * and desired states travel as integers, in Bacalhau's order.
 */

/** Job types. */
export const JOB_TYPES = ['batch', 'ops', 'daemon', 'service'] as const
/** A job type. */
export type JobType = (typeof JOB_TYPES)[number]

/** Job states, strings on the wire. */
export const JOB_STATES = ['Undefined', 'Pending', 'Queued', 'Running', 'Completed', 'Failed', 'Stopped'] as const
/** A job state. */
export type JobStateType = (typeof JOB_STATES)[number]

/** Execution compute states; the index is the wire integer. */
export const EXECUTION_STATES = [
  'Undefined',
  'New',
  'AskForBid',
  'AskForBidAccepted',
  'AskForBidRejected',
  'BidAccepted',
  'Running',
  'Publishing',
  'BidRejected',
  'Completed',
  'Failed',
  'Cancelled',
] as const
/** An execution compute state, by name (encoded as its index on the wire). */
export type ExecutionStateName = (typeof EXECUTION_STATES)[number]
/** An execution compute state as it travels on the wire: an integer. */
export type ExecutionStateType = number

/** Named integer constants for execution compute states. */
export const ExecutionState = Object.freeze(
  Object.fromEntries(EXECUTION_STATES.map((name, index) => [name, index])) as { [K in ExecutionStateName]: number },
)

/** Execution desired states; the index is the wire integer. */
export const EXECUTION_DESIRED_STATES = ['Pending', 'Running', 'Stopped'] as const
/** An execution desired state, by name. */
export type ExecutionDesiredStateName = (typeof EXECUTION_DESIRED_STATES)[number]
/** An execution desired state as it travels on the wire: an integer. */
export type ExecutionDesiredStateType = number
/** Named integer constants for execution desired states. */
export const ExecutionDesiredState = Object.freeze(
  Object.fromEntries(EXECUTION_DESIRED_STATES.map((name, index) => [name, index])) as {
    [K in ExecutionDesiredStateName]: number
  },
)

/** Evaluation statuses (strings). */
export const EVALUATION_STATUSES = ['pending', 'complete', 'failed', 'cancelled'] as const
/** An evaluation status. */
export type EvaluationStatus = (typeof EVALUATION_STATUSES)[number]

/** Node membership (approval) states. */
export const NODE_MEMBERSHIPS = ['PENDING', 'APPROVED', 'REJECTED'] as const
/** A node membership state. */
export type NodeMembership = (typeof NODE_MEMBERSHIPS)[number]

/** Node connection states. */
export const NODE_CONNECTION_STATES = ['CONNECTED', 'DISCONNECTED'] as const
/** A node connection state. */
export type NodeConnectionState = (typeof NODE_CONNECTION_STATES)[number]

/** Job history item types. */
export const JOB_HISTORY_TYPES = ['JobLevel', 'ExecutionLevel'] as const
/** A job history item type. */
export type JobHistoryType = (typeof JOB_HISTORY_TYPES)[number]

/** Terminal job states: no further transition happens without a rerun or update. */
export const TERMINAL_JOB_STATES: readonly JobStateType[] = ['Completed', 'Failed', 'Stopped']

/** Terminal execution compute states. */
export const TERMINAL_EXECUTION_STATES: readonly number[] = [
  ExecutionState.AskForBidRejected,
  ExecutionState.BidRejected,
  ExecutionState.Completed,
  ExecutionState.Failed,
  ExecutionState.Cancelled,
]

/** The name of an execution compute state integer, or `Unknown(n)`. */
export function executionStateName(value: number): string {
  return EXECUTION_STATES[value] ?? `Unknown(${value})`
}

import type { Execution } from '@shoal/models'
import { ExecutionState, TERMINAL_EXECUTION_STATES } from '@shoal/models'

/** Whether an execution reached an end state (completed, failed, cancelled, rejected). */
export const isTerminalExecution = (e: Execution): boolean => TERMINAL_EXECUTION_STATES.includes(e.ComputeState.StateType)

/** Whether an execution holds (or may soon hold) a slot on its node. */
export const isActiveExecution = (e: Execution): boolean => !isTerminalExecution(e)

/** Whether the node has been told to run it (bid accepted, running or publishing). */
export const isRunningExecution = (e: Execution): boolean => {
  const s = e.ComputeState.StateType
  return s === ExecutionState.BidAccepted || s === ExecutionState.Running || s === ExecutionState.Publishing
}

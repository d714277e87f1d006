/** Executions as the API writes them: Bacalhau's JSON shape. */
import type { Execution } from '@shoal/models'

/** An Execution with the fields Go always writes (no omitempty upstream) present. */
export type ExecutionJson = Execution & Required<Pick<Execution, 'PreviousExecution' | 'NextExecution' | 'FollowupEvalID'>>

/** `execution` with PreviousExecution, NextExecution and FollowupEvalID written as '' when unset. */
export function executionToWire(execution: Execution): ExecutionJson {
  return { PreviousExecution: '', NextExecution: '', FollowupEvalID: '', ...execution }
}

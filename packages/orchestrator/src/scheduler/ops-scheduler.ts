import { ExecutionState } from '@shoal/models'
import { explainNoMatchingNodes } from '../explain.ts'
import { isActiveExecution } from './execution-states.ts'
import { newExecution } from './new-execution.ts'
import { selectNodes } from './node-selector.ts'
import { offeredPlugins } from './offered-plugins.ts'
import type { Plan, SchedulerInput } from './plan.ts'
import { ExecutionView, failJob, reconcile } from './reconcile.ts'

/**
 * Ops jobs: one execution on every matching node, placed once when the version is first
 * evaluated (later joiners get none) and never retried. Completed when every execution ended,
 * Failed when one failed or no node could take it.
 */
export function scheduleOps(input: SchedulerInput, plan: Plan): void {
  const { job } = input
  const view = new ExecutionView(input.executions, plan)
  if (reconcile(input, plan, view)) return

  const current = view.ofVersion(job.Version)
  if (current.length === 0) {
    const selection = selectNodes(
      { job, required: input.required, executions: [], maxFailuresPerNode: input.settings.maxFailuresPerNode, verificationRequiredLabels: input.settings.verificationRequiredLabels },
      input.nodes,
    )
    if (selection.matching.length === 0) {
      failJob(plan, view, explainNoMatchingNodes(input.nodes.length, selection.rejected, offeredPlugins(selection.rejected, input.nodes)))
      return
    }
    for (const node of selection.matching) view.add(newExecution(input, node, 0))
    return
  }
  if (current.some(isActiveExecution)) return
  const failed = current.filter((e) => e.ComputeState.StateType === ExecutionState.Failed)
  const completed = current.filter((e) => e.ComputeState.StateType === ExecutionState.Completed)
  if (failed.length > 0) {
    const first = failed[0]
    plan.jobState = {
      state: 'Failed',
      message: `${failed.length} of ${current.length} executions failed (first: ${first.RunOutput?.ErrorMsg || first.ComputeState.Message || 'no reason given'})`,
    }
  } else if (completed.length === 0) {
    plan.jobState = { state: 'Failed', message: `every node declined the job (${current.length} asked)` }
  } else {
    plan.jobState = { state: 'Completed', message: '' }
  }
}

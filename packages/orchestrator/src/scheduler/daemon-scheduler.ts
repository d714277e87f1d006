import { ExecutionState } from '@shoal/models'
import { explainQueued } from '../explain.ts'
import { isActiveExecution } from './execution-states.ts'
import { newExecution } from './new-execution.ts'
import { selectNodes } from './node-selector.ts'
import { offeredPlugins } from './offered-plugins.ts'
import type { Plan, SchedulerInput } from './plan.ts'
import { ExecutionView, reconcile } from './reconcile.ts'

/**
 * Daemon jobs: one execution on every matching node, including nodes that join later; a failed
 * one is restarted on its node until it used its attempts there. Never completes by itself.
 */
export function scheduleDaemon(input: SchedulerInput, plan: Plan): void {
  const { job } = input
  const view = new ExecutionView(input.executions, plan)
  if (reconcile(input, plan, view)) return

  const current = view.ofVersion(job.Version)
  // Only active executions block a node; completed or failed ones are restarted (bounded by
  // maxAttempts failures per node through the selector).
  const history = current.filter((e) => e.ComputeState.StateType === ExecutionState.Failed || e.ComputeState.StateType === ExecutionState.AskForBidRejected || e.ComputeState.StateType === ExecutionState.BidRejected || isActiveExecution(e))
  const selection = selectNodes(
    { job, required: input.required, executions: history, maxFailuresPerNode: input.settings.maxAttempts, verificationRequiredLabels: input.settings.verificationRequiredLabels },
    input.nodes,
  )
  for (const node of selection.matching) view.add(newExecution(input, node, 0))
  const running = current.some(isActiveExecution) || selection.matching.length > 0
  if (running) return
  const queued = explainQueued({
    waiting: 1,
    count: 1,
    nodes: input.nodes.length,
    eligible: 0,
    rejections: selection.rejected,
    offered: offeredPlugins(selection.rejected, input.nodes),
  })
  plan.waiting = true
  plan.queuedExplanation = queued
  if (job.State.StateType !== 'Queued') plan.jobState = { state: 'Queued', message: queued }
  else if (queued !== input.lastQueuedExplanation) {
    plan.events.push({ message: queued, topic: 'Queueing' })
    plan.jobState = { state: 'Queued', message: queued }
  }
}

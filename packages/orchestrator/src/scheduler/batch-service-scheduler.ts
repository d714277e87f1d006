import type { Execution } from '@shoal/models'
import { ExecutionState, verificationReplicas } from '@shoal/models'
import { explainQueued, explainQueueTimeout, explainRetriesExhausted } from '../explain.ts'
import { isActiveExecution } from './execution-states.ts'
import { newExecution } from './new-execution.ts'
import { isBusyRejection, selectNodes } from './node-selector.ts'
import { offeredPlugins } from './offered-plugins.ts'
import type { Plan, SchedulerInput } from './plan.ts'
import { ExecutionView, failJob, reconcile } from './reconcile.ts'
import { effectiveTimeouts } from './scheduler-settings.ts'

/**
 * Batch and service jobs: Count partitions (0..Count-1), one active execution each, on distinct
 * nodes. A failed partition is retried (on another node) until it used its attempts; partitions
 * no node can take wait (Queued) until QueueTimeout, or fail the job at once without one (0, the
 * default, as in Bacalhau). A batch job completes when every partition completed; a service job
 * keeps its partitions running.
 */
export function scheduleBatchOrService(input: SchedulerInput, plan: Plan): void {
  const { job } = input
  const view = new ExecutionView(input.executions, plan)
  if (reconcile(input, plan, view)) return

  const count = Math.max(1, job.Count || 1)
  // A verified batch job runs each partition on `replicas` nodes at once (see verification/).
  const verified = job.Type === 'batch' && verificationReplicas(job) > 0
  const replicas = verified ? verificationReplicas(job) : 1
  const current = view.ofVersion(job.Version)
  const active = new Set<number>()
  const activeCount = new Map<number, number>()
  const accepted = new Set<number>()
  const completed = new Set<number>()
  const failures = new Map<number, Execution[]>()
  for (const e of current) {
    const p = e.PartitionIndex
    if (isActiveExecution(e)) {
      active.add(p)
      activeCount.set(p, (activeCount.get(p) ?? 0) + 1)
      if (e.Verification?.Outcome === 'accepted') accepted.add(p)
    } else if (e.ComputeState.StateType === ExecutionState.Completed && (!verified || e.Verification?.Publisher === true)) completed.add(p)
    if (e.ComputeState.StateType === ExecutionState.Failed) failures.set(p, [...(failures.get(p) ?? []), e])
  }
  const done = (p: number) => (activeCount.get(p) ?? 0) >= replicas || accepted.has(p) || (job.Type === 'batch' && completed.has(p))
  const remaining: number[] = []
  for (let p = 0; p < count; p++) {
    if (done(p)) continue
    for (let r = activeCount.get(p) ?? 0; r < replicas; r++) remaining.push(p)
  }

  for (const p of remaining) {
    const failed = failures.get(p) ?? []
    // A verified partition's attempt is a round of replicas; each rejected replica counts as a failure.
    if (failed.length >= input.settings.maxAttempts * replicas) {
      const last = failed[failed.length - 1]
      failJob(plan, view, explainRetriesExhausted(p, count, failed.length, last.RunOutput?.ErrorMsg || last.ComputeState.Message || ''))
      return
    }
  }
  if (remaining.length === 0) {
    if (job.Type === 'batch' && completed.size >= count && active.size === 0) {
      plan.jobState = { state: 'Completed', message: '' }
    }
    return
  }

  const selection = selectNodes(
    { job, required: input.required, executions: current, maxFailuresPerNode: input.settings.maxFailuresPerNode, verificationRequiredLabels: input.settings.verificationRequiredLabels },
    input.nodes,
  )
  const placed = Math.min(selection.matching.length, remaining.length)
  if (placed === remaining.length) {
    for (let i = 0; i < placed; i++) view.add(newExecution(input, selection.matching[i], remaining[i]))
    return
  }

  const timeouts = effectiveTimeouts(job, input.settings)
  // Without a QueueTimeout a job fails at once only when no node can ever take it. Nodes that are
  // merely busy (as Bacalhau's nodes queue such work locally) let it wait until one frees up.
  const waitsForBusyNodes = timeouts.queueS <= 0 && selection.rejected.some((r) => isBusyRejection(r.reason))
  const queued = explainQueued({
    waiting: remaining.length - placed,
    count,
    nodes: input.nodes.length,
    eligible: selection.matching.length,
    rejections: selection.rejected,
    offered: offeredPlugins(selection.rejected, input.nodes),
    queueTimeoutS: timeouts.queueS,
    waitsForBusyNodes,
  })
  const deadline = waitsForBusyNodes ? Number.POSITIVE_INFINITY : input.versionStartedAt + timeouts.queueS * 1000
  if (input.now >= deadline) {
    // As Bacalhau: too few nodes past the QueueTimeout fails the job before placing any of it.
    failJob(plan, view, explainQueueTimeout(timeouts.queueS, queued))
    return
  }
  for (let i = 0; i < placed; i++) view.add(newExecution(input, selection.matching[i], remaining[i]))
  plan.waiting = true
  plan.delay = { waitUntil: Math.min(input.now + input.settings.queueBackoffMs, deadline), comment: queued }
  plan.queuedExplanation = queued
  const nothingActive = placed === 0 && active.size === 0
  if (nothingActive && job.State.StateType !== 'Queued') plan.jobState = { state: 'Queued', message: queued }
  else if (queued !== input.lastQueuedExplanation) {
    plan.events.push({ message: queued, topic: 'Queueing' })
    // A queued job's state message is the reason it waits now (what `job run` shows live).
    if (job.State.StateType === 'Queued') plan.jobState = { state: 'Queued', message: queued }
  }
}

/**
 * Every sentence the scheduler writes into a job's history, in one place. Each names what
 * happened with numbers and, where the user can do something about it, what.
 */
import { REPUTATION_FLOOR, formatBytes, shortId } from '@shoal/models'
import type { NodeRejection, RejectionReason } from './scheduler/node-selector.ts'
import type { ResourceKey } from '@shoal/models'

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`

/** One amount of a resource, e.g. `2 GB` of memory or `0.5 CPU`. */
export function formatResource(resource: ResourceKey, amount: number): string {
  switch (resource) {
    case 'Memory':
    case 'Disk':
      return formatBytes(amount)
    case 'CPU':
      return `${Math.round(amount * 1000) / 1000} CPU`
    case 'GPU':
      return plural(amount, 'GPU')
  }
}

/** Durations in seconds: `45 s`, `5 min`, `1 h 30 min`. */
export function formatSeconds(seconds: number): string {
  if (seconds < 120) return `${Math.round(seconds * 10) / 10} s`
  const minutes = Math.round(seconds / 60)
  if (minutes < 120) return `${minutes} min`
  return `${Math.floor(minutes / 60)} h${minutes % 60 ? ` ${minutes % 60} min` : ''}`
}

/**
 * What the nodes left out for lacking a plug-in do offer instead, by kind: named next to the
 * missing one, so a job asking for an engine (or storage, publisher) no node has says what to use.
 */
export interface OfferedPlugins {
  engine?: readonly string[]
  storage?: readonly string[]
  publisher?: readonly string[]
}

// `(they offer noop, wasm)`: what the nodes lacking a plug-in offer instead, and why the nodes
// have it off when they said (`docker is off there: dockerd does not answer at …`).
function offering(n: number, offered: readonly string[] | undefined, what: string, missing: string, off: string | undefined): string {
  const parts: string[] = []
  if (offered !== undefined) parts.push(`${n === 1 ? 'it offers' : 'they offer'} ${offered.length === 0 ? `no ${what}` : offered.join(', ')}`)
  if (off !== undefined) parts.push(`${missing} is off there: ${off}`)
  return parts.length === 0 ? '' : ` (${parts.join('; ')})`
}

// Grouping key and phrase for one rejection reason; nodes with the same key are counted together.
function describe(reason: RejectionReason, offered: OfferedPlugins): { key: string; phrase: (n: number) => string } {
  const verb = (n: number, one: string, many: string) => (n === 1 ? one : many)
  switch (reason.kind) {
    case 'disconnected':
      return reason.reconnecting
        ? { key: 'reconnecting', phrase: (n) => `${n} ${verb(n, 'is', 'are')} expected to reconnect after the requester restarted` }
        : { key: 'disconnected', phrase: (n) => `${n} ${verb(n, 'is', 'are')} disconnected` }
    case 'membership':
      return reason.membership === 'PENDING'
        ? { key: 'pending', phrase: (n) => `${n} ${verb(n, 'awaits', 'await')} approval (shoal node approve <id>)` }
        : { key: `m:${reason.membership}`, phrase: (n) => `${n} ${verb(n, 'is', 'are')} ${reason.membership.toLowerCase()}` }
    case 'engine':
      return {
        key: `e:${reason.missing}:${reason.off ?? ''}`,
        phrase: (n) => `${n} ${verb(n, 'lacks', 'lack')} engine ${reason.missing}${offering(n, offered.engine, 'engine', reason.missing, reason.off)}`,
      }
    case 'publisher':
      return {
        key: `p:${reason.missing}:${reason.off ?? ''}`,
        phrase: (n) => `${n} ${verb(n, 'lacks', 'lack')} publisher ${reason.missing}${offering(n, offered.publisher, 'publisher', reason.missing, reason.off)}`,
      }
    case 'storage':
      return {
        key: `s:${reason.missing}:${reason.off ?? ''}`,
        phrase: (n) => `${n} ${verb(n, 'lacks', 'lack')} input storage ${reason.missing}${offering(n, offered.storage, 'input storage', reason.missing, reason.off)}`,
      }
    case 'constraint':
      return {
        key: `c:${reason.constraint}`,
        phrase: (n) => `${n} ${verb(n, "doesn't", "don't")} match constraint ${reason.constraint}`,
      }
    case 'resources': {
      const { resource, free, required } = reason
      if (reason.fitsNode === false) {
        return {
          key: `R:${resource}:${free}:${required}`,
          phrase: (n) => `${n} ${verb(n, 'has', 'have')} ${formatResource(resource, free)} in all, less than the ${formatResource(resource, required)} required`,
        }
      }
      return {
        key: `r:${resource}:${free}:${required}`,
        phrase: (n) => `${n} ${verb(n, 'has', 'have')} ${formatResource(resource, free)} free of the ${formatResource(resource, required)} required`,
      }
    }
    case 'already-running':
      return reason.completed
        ? { key: 'ran', phrase: (n) => `${n} already ran a partition of this job` }
        : { key: 'busy', phrase: (n) => `${n} already ${verb(n, 'runs', 'run')} a partition of this job` }
    case 'declined':
      return {
        key: `d:${reason.reason}`,
        phrase: (n) => `${n} declined it${reason.reason ? ` (${reason.reason})` : ''}`,
      }
    case 'failed-before':
      return { key: `f:${reason.times}`, phrase: (n) => `${n} already failed it ${plural(reason.times, 'time')}` }
    case 'unverified':
      return {
        key: `u:${reason.labels}`,
        phrase: (n) => `${n} (${reason.labels}) ${verb(n, 'takes', 'take')} verified jobs only: set Meta "shoal.verify/replicas" (e.g. "3") to run there`,
      }
    case 'reputation':
      return { key: 'reputation', phrase: (n) => `${n} ${verb(n, 'gets', 'get')} no work: ${verb(n, 'its', 'their')} verified results disagreed with the quorum too often (reputation at or below ${REPUTATION_FLOOR})` }
  }
}

/**
 * Why nodes were left out, grouped and counted: `2 lack engine docker (they offer noop, wasm),
 * 1 has 256 MB free of the 2 GB required`.
 */
export function explainRejections(rejections: readonly NodeRejection[], offered: OfferedPlugins = {}): string {
  const groups = new Map<string, { count: number; phrase: (n: number) => string }>()
  for (const r of rejections) {
    const { key, phrase } = describe(r.reason, offered)
    const group = groups.get(key) ?? { count: 0, phrase }
    group.count++
    groups.set(key, group)
  }
  return [...groups.values()]
    .sort((a, b) => b.count - a.count)
    .map((g) => g.phrase(g.count))
    .join(', ')
}

/** Facts behind a "queued" explanation. */
export interface QueueFacts {
  /** Partitions still without a node. */
  waiting: number
  /** Partitions the job wants (Count), 1 for single-execution jobs. */
  count: number
  /** Nodes the requester knows (connected or not). */
  nodes: number
  /** Nodes that could take one of the waiting partitions. */
  eligible: number
  rejections: readonly NodeRejection[]
  /** What the nodes lacking an engine, storage or publisher offer instead. */
  offered?: OfferedPlugins
  /** Seconds the job may wait before it fails. */
  queueTimeoutS?: number
  /** No QueueTimeout, but some nodes are only busy: the job waits for one to free up. */
  waitsForBusyNodes?: boolean
}

/**
 * Why a job (or some of its partitions) waits for a node, e.g.
 * `queued: 0 of 3 nodes can run it — 2 lack engine docker, 1 has 256 MB free of the 2 GB required`.
 */
export function explainQueued(facts: QueueFacts): string {
  let text =
    facts.nodes === 0
      ? 'queued: no compute node has joined yet'
      : `queued: ${facts.eligible} of ${plural(facts.nodes, 'node')} can run it`
  const reasons = explainRejections(facts.rejections, facts.offered)
  if (reasons) text += ` — ${reasons}`
  if (facts.count > 1) text += `; ${facts.waiting} of ${facts.count} partitions wait for a node`
  if (facts.queueTimeoutS !== undefined && facts.queueTimeoutS > 0) {
    text += `; waiting up to ${formatSeconds(facts.queueTimeoutS)} (QueueTimeout) for nodes to join or free up`
  } else if (facts.waitsForBusyNodes) text += '; waiting for a busy node to free up'
  return text
}

/**
 * The job waited longer than its QueueTimeout. With no QueueTimeout (0, the default as in
 * Bacalhau) it never waited: `not enough nodes to run job: 0 of 3 nodes can run it — …`, the
 * words Bacalhau's scheduler fails such a job with, and how to let it wait instead.
 */
export function explainQueueTimeout(queueTimeoutS: number, queued: string): string {
  const why = queued.replace(/^queued: /, '').replace(/; waiting up to .*$/, '')
  if (queueTimeoutS <= 0) return `not enough nodes to run job: ${why}; set Timeouts.QueueTimeout (--queue-timeout) to let it wait for nodes`
  return `no node could take the job within its QueueTimeout of ${formatSeconds(queueTimeoutS)}: ${why}`
}

/** An ops job found no node at submission. */
export function explainNoMatchingNodes(nodes: number, rejections: readonly NodeRejection[], offered: OfferedPlugins = {}): string {
  const reasons = explainRejections(rejections, offered)
  return nodes === 0
    ? 'no compute node has joined, so the ops job ran nowhere'
    : `0 of ${plural(nodes, 'node')} can run it${reasons ? ` — ${reasons}` : ''}`
}

/** A node declined an execution. */
export function explainBidRejected(executionId: string, nodeId: string, reason: string): string {
  return `node ${shortId(nodeId)} declined execution ${shortId(executionId)}${reason ? `: ${reason}` : ''}; trying another node`
}

/** What happens after a failed execution of a job. */
export type RetryOutcome =
  /** `where`: e.g. "on another node"; empty when the node is not known yet. */
  | { kind: 'retry'; attempt: number; maxAttempts: number; where: string }
  | { kind: 'exhausted'; attempts: number }
  | { kind: 'no-retry'; why: string }

/**
 * An execution failed, e.g. `execution e-1234 on node n-5678 failed: out of memory; retrying on
 * another node (attempt 2 of 3)`.
 */
export function explainExecutionFailed(executionId: string, nodeId: string, error: string, outcome: RetryOutcome): string {
  const head = `execution ${shortId(executionId)} on node ${shortId(nodeId)} failed: ${error || 'no reason given'}`
  switch (outcome.kind) {
    case 'retry':
      return `${head}; retrying${outcome.where ? ` ${outcome.where}` : ''} (attempt ${outcome.attempt} of ${outcome.maxAttempts})`
    case 'exhausted':
      return `${head}; giving up after ${plural(outcome.attempts, 'attempt')}`
    case 'no-retry':
      return `${head}; ${outcome.why}`
  }
}

/** The job failed because one partition used all its attempts. */
export function explainRetriesExhausted(partition: number, count: number, attempts: number, lastError: string): string {
  const which = count > 1 ? `partition ${partition} ` : ''
  return `${which}failed ${plural(attempts, 'time')}, the most allowed${lastError ? ` (last error: ${lastError})` : ''}; fix the cause and run the job again (job rerun)`
}

/**
 * Error message of executions lost with their node. When the execution was running there, say so:
 * a node whose process dies mid-run may have been crashed by that very job, and the retry that
 * follows must not hide it.
 */
export function explainNodeLost(nodeId: string, why: string, running = false): string {
  return `node ${shortId(nodeId)} ${why}${running ? ' while running this execution (if the node crashed, this job may be the cause)' : ''}`
}

/** Heartbeats stopped. */
export function explainMissedHeartbeats(missed: number, intervalMs: number): string {
  return `stopped sending heartbeats (none for ${formatSeconds((missed * intervalMs) / 1000)}, ${missed} missed)`
}

/** An execution ran past its ExecutionTimeout. */
export function explainExecutionTimeout(timeoutS: number): string {
  return `timed out after ${formatSeconds(timeoutS)} (Timeouts.ExecutionTimeout); raise it if the task needs longer`
}

/** The job ran past its TotalTimeout. */
export function explainTotalTimeout(timeoutS: number): string {
  return `job did not finish within its TotalTimeout of ${formatSeconds(timeoutS)}; raise Timeouts.TotalTimeout if it needs longer`
}

/** Executions of an older version are stopped for the new one. */
export function explainVersionReplaced(version: number): string {
  return `stopped: the job was updated to version ${version}`
}

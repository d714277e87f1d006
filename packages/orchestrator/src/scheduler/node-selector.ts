import type { ComputeNodeInfo, Execution, Job, NodeState, Resources } from '@shoal/models'
import { ExecutionState, REPUTATION_FLOOR, verificationReplicas } from '@shoal/models'
import { firstUnmetConstraint, formatConstraint } from './label-constraints.ts'
import { firstShortfall, type ResourceKey } from '@shoal/models'
import { isActiveExecution } from './execution-states.ts'

/** Why a node cannot take a job now; explanations group nodes by these. */
export type RejectionReason =
  | { kind: 'disconnected'; /** Connected before the requester restarted and still within its time to come back. */ reconnecting?: boolean }
  | { kind: 'membership'; membership: string }
  | { kind: 'engine'; missing: string; /** Why the node has it off, when it said (ComputeNodeInfo.PluginsOff). */ off?: string }
  | { kind: 'publisher'; missing: string; off?: string }
  | { kind: 'storage'; missing: string; off?: string }
  | { kind: 'constraint'; constraint: string }
  | { kind: 'resources'; resource: ResourceKey; free: number; required: number; /** The job fits the node's whole capacity: it is only busy now. */ fitsNode?: boolean }
  | { kind: 'already-running'; partition: number; completed: boolean }
  | { kind: 'declined'; reason: string; /** The node declined only because it was busy (BidResult.Busy). */ busy?: boolean }
  | { kind: 'failed-before'; times: number }
  /** Its verified results disagreed with the quorum too often (NodeState.Reputation at or below the floor). */
  | { kind: 'reputation'; score: number }
  /** The operator lets nodes with these labels run verified jobs only, and this job is not verified. */
  | { kind: 'unverified'; labels: string }

/** Longest node-given reason quoted in an explanation; a node's text is not trusted to be short. */
const MAX_OFF_REASON = 300

/** Adds the node's own reason for having the missing plug-in off (ComputeNodeInfo.PluginsOff), if it gave one. */
function withOff<R extends Extract<RejectionReason, { off?: string }>>(reason: R, info: ComputeNodeInfo | undefined): R {
  const missing = reason.missing.toLowerCase()
  const off = info?.PluginsOff?.find((entry) => entry.Kind === reason.kind && typeof entry.Type === 'string' && entry.Type.toLowerCase() === missing)
  if (!off || typeof off.Reason !== 'string' || off.Reason === '') return reason
  return { ...reason, off: off.Reason.length > MAX_OFF_REASON ? `${off.Reason.slice(0, MAX_OFF_REASON)}…` : off.Reason }
}

/** A node that was filtered out, with the first reason found. */
export interface NodeRejection {
  nodeId: string
  reason: RejectionReason
}

/** Detail key of a declined bid's ComputeState: the node's generation when it declined. */
export const NODE_GENERATION_DETAIL = 'NodeGeneration'

/** Detail key of a declined bid's ComputeState: 'true' when the node declined only because it was busy. */
export const NODE_BUSY_DETAIL = 'NodeBusy'

/**
 * Whether a node was left out only because it is busy now (short of free capacity the job fits
 * in, or it declined for want of a free slot): it can take the job once work ends.
 */
export function isBusyRejection(reason: RejectionReason): boolean {
  return (
    (reason.kind === 'resources' && reason.fitsNode === true) ||
    (reason.kind === 'declined' && reason.busy === true) ||
    // Its connection went with the requester's restart: the job waits for it as for a busy node
    // rather than failing before the node has had time to redial.
    (reason.kind === 'disconnected' && reason.reconnecting === true)
  )
}

/** What the selector sees of a node: its state, whether it is live, and its free capacity. */
export interface NodeCandidate {
  state: NodeState
  /** Connected now (a node awaiting reconnection after a restart is not a candidate). */
  connected: boolean
  /** Not connected, but it was when the requester (re)started and its time to reconnect runs. */
  reconnecting?: boolean
  /** MaxCapacity minus the resources of the node's active executions. */
  free: Resources
  /** Active executions on the node (all jobs), used to spread load. */
  activeExecutions: number
  /**
   * When the node was last given an execution, as a placement sequence number (higher = more
   * recent; 0 or absent = never): equally loaded nodes take turns, least recently used first.
   */
  lastPlacement?: number
  /**
   * Bumped whenever the node joins or changes its info. A bid it declined in an older
   * generation (e.g. while paused, or short of capacity it has since been given) no longer counts.
   */
  generation?: number
}

/** Result of matching a job against the nodes. */
export interface NodeSelection {
  /** Nodes that can take the job, best first. */
  matching: NodeCandidate[]
  rejected: NodeRejection[]
}

/** What selection needs to know about the job. */
export interface SelectionRequest {
  job: Job
  /** Resources one execution needs. */
  required: Resources
  /** Executions of the job's current version (previous placements, failures, rejected bids). */
  executions: readonly Execution[]
  /** A node with this many failed executions of the version is no longer tried. */
  maxFailuresPerNode: number
  /** Nodes already given an execution by the evaluation in progress. */
  exclude?: ReadonlySet<string>
  /** Nodes with all of these labels (e.g. runtime=browser: tabs) take only verified jobs (Meta shoal.verify/replicas). */
  verificationRequiredLabels?: Readonly<Record<string, string>>
}

const lower = (values: readonly string[] | undefined): Set<string> => new Set((values ?? []).map((v) => v.toLowerCase()))

/**
 * The share of a node's capacity in use, by its most used resource (0 idle, 1 full): a 1-core tab
 * and a 16-core server that run nothing are equally fit for the next job.
 */
export function loadOf(node: Pick<NodeCandidate, 'state' | 'free'>): number {
  const max = node.state.Info.ComputeNodeInfo?.MaxCapacity
  if (!max) return 1
  let load = 0
  for (const key of RESOURCE_KEYS) {
    if (max[key] > 0) load = Math.max(load, Math.min(1, (max[key] - node.free[key]) / max[key]))
  }
  return load
}

const RESOURCE_KEYS = ['CPU', 'Memory', 'Disk', 'GPU'] as const

/**
 * Filters and ranks nodes for one execution of a job: membership and connection, engine, input
 * storage and publisher support, label constraints, free capacity, and the job's history on the
 * node (busy with it, declined it, failed it), and its reputation in verified jobs. Ranking (see docs/ARCHITECTURE.md, "Ranking"):
 * nodes that failed the job before rank last; then nodes with a negative reputation (verified results rejected more than accepted); then the least loaded share of capacity; among
 * equally loaded nodes the one given work least recently, so they take turns; then the most
 * free CPU, the fewest executions, the node ID.
 */
export function selectNodes(request: SelectionRequest, candidates: Iterable<NodeCandidate>): NodeSelection {
  const { job } = request
  const task = job.Tasks[0]
  const engine = task?.Engine?.Type?.toLowerCase() ?? ''
  const publisher = task?.Publisher?.Type?.toLowerCase() ?? ''
  const storages = (task?.InputSources ?? []).map((input) => input.Source.Type.toLowerCase())

  const busy = new Map<string, number>()
  const done = new Set<string>()
  const declined = new Map<string, { reason: string; generation: number; busy: boolean }>()
  const failed = new Map<string, number>()
  for (const e of request.executions) {
    const state = e.ComputeState.StateType
    if (isActiveExecution(e) || state === ExecutionState.Completed) {
      busy.set(e.NodeID, e.PartitionIndex)
      if (state === ExecutionState.Completed) done.add(e.NodeID)
    }
    else if (state === ExecutionState.AskForBidRejected || state === ExecutionState.BidRejected) {
      const generation = Number(e.ComputeState.Details?.[NODE_GENERATION_DETAIL] ?? 0)
      const previous = declined.get(e.NodeID)
      const busy = e.ComputeState.Details?.[NODE_BUSY_DETAIL] === 'true'
      if (previous === undefined || generation >= previous.generation) declined.set(e.NodeID, { reason: e.ComputeState.Message ?? '', generation, busy })
    } else if (state === ExecutionState.Failed) failed.set(e.NodeID, (failed.get(e.NodeID) ?? 0) + 1)
  }

  const matching: NodeCandidate[] = []
  const rejected: NodeRejection[] = []
  for (const node of candidates) {
    const reason = rejectionOf(node)
    if (reason) rejected.push({ nodeId: node.state.Info.NodeID, reason })
    else matching.push(node)
  }
  const load = new Map(matching.map((node) => [node, loadOf(node)]))
  matching.sort(
    (a, b) =>
      (failed.get(a.state.Info.NodeID) ?? 0) - (failed.get(b.state.Info.NodeID) ?? 0) ||
      // A node whose results were rejected more than they agreed ranks after the rest; among the
      // rest a long record does not outrank a new node, which would then never get verified work.
      Math.min(0, b.state.Reputation?.Score ?? 0) - Math.min(0, a.state.Reputation?.Score ?? 0) ||
      load.get(a)! - load.get(b)! ||
      (a.lastPlacement ?? 0) - (b.lastPlacement ?? 0) ||
      b.free.CPU - a.free.CPU ||
      a.activeExecutions - b.activeExecutions ||
      (a.state.Info.NodeID < b.state.Info.NodeID ? -1 : 1),
  )
  return { matching, rejected }

  function rejectionOf(node: NodeCandidate): RejectionReason | undefined {
    const { state } = node
    const id = state.Info.NodeID
    if (state.Membership !== 'APPROVED') return { kind: 'membership', membership: state.Membership }
    const policy = request.verificationRequiredLabels
    if (policy && Object.keys(policy).length > 0 && verificationReplicas(job) === 0 && Object.entries(policy).every(([k, v]) => state.Info.Labels?.[k] === v)) {
      return { kind: 'unverified', labels: Object.entries(policy).map(([k, v]) => `${k}=${v}`).join(',') }
    }
    const score = state.Reputation?.Score ?? 0
    if (score <= REPUTATION_FLOOR) return { kind: 'reputation', score }
    if (!node.connected) return node.reconnecting ? { kind: 'disconnected', reconnecting: true } : { kind: 'disconnected' }
    const info = state.Info.ComputeNodeInfo
    if (engine && !lower(info?.ExecutionEngines).has(engine)) return withOff({ kind: 'engine', missing: task.Engine.Type }, info)
    const sources = lower(info?.StorageSources)
    const missingStorage = storages.find((s) => !sources.has(s))
    if (missingStorage) return withOff({ kind: 'storage', missing: missingStorage }, info)
    if (publisher && publisher !== 'noop' && !lower(info?.Publishers).has(publisher)) {
      return withOff({ kind: 'publisher', missing: task.Publisher.Type }, info)
    }
    const unmet = firstUnmetConstraint(state.Info.Labels ?? {}, job.Constraints ?? [])
    if (unmet) return { kind: 'constraint', constraint: formatConstraint(unmet) }
    if (request.exclude?.has(id) || busy.has(id)) return { kind: 'already-running', partition: busy.get(id) ?? -1, completed: done.has(id) && !request.exclude?.has(id) }
    const decline = declined.get(id)
    if (decline !== undefined && decline.generation >= (node.generation ?? 0)) return { kind: 'declined', reason: decline.reason, busy: decline.busy }
    const failures = failed.get(id) ?? 0
    if (failures >= request.maxFailuresPerNode) return { kind: 'failed-before', times: failures }
    const short = firstShortfall(request.required, node.free)
    if (short) {
      const max = state.Info.ComputeNodeInfo?.MaxCapacity
      const overall = max === undefined ? undefined : firstShortfall(request.required, max)
      // More than the node has at all: say so, rather than what happens to be free now.
      if (max !== undefined && overall !== undefined) return { kind: 'resources', resource: overall, free: max[overall], required: request.required[overall], fitsNode: false }
      return { kind: 'resources', resource: short, free: node.free[short], required: request.required[short], fitsNode: max !== undefined }
    }
    return undefined
  }
}

import type { Resources, Task } from '@shoal/models'
import type { Engine, Publisher, SpaceUsage, StorageProvider } from '@shoal/interface'
import { exceeding, formatBytes } from '@shoal/models'
import { formatResource } from './resources.ts'

/** The reason given when a paused node turns work down. */
export const PAUSED_REASON = 'node paused by its operator'

/** What the bidder knows about the node when a bid request arrives. */
export interface BidContext {
  engines: ReadonlyMap<string, Engine>
  storages: ReadonlyMap<string, StorageProvider>
  publishers: ReadonlyMap<string, Publisher>
  paused: boolean
  /** Network types tasks may ask for beyond None (e.g. "HTTP", "Full"). */
  allowedNetworks: readonly string[]
  /** Largest job this node takes. */
  maxJobRequirements: Resources
  /** Total capacity. */
  capacity: Resources
  /** Capacity not held by running work nor promised to accepted bids. */
  free: Resources
  /** Queue slots left for work that does not fit now. */
  queueSlots: number
  /** Work already waiting (nothing overtakes it). */
  queued: number
  /** Executions that can run at once (Infinity = no limit but the capacity). */
  executionSlots: number
  /** Execution slots neither running work nor accepted bids hold. */
  freeExecutionSlots: number
  /** Sizes of the task's inputs in bytes, by index, where their storage providers know them. */
  inputSizes?: readonly (number | undefined)[]
  /** The node's disk budget for job data, and what of it is free now. */
  disk?: SpaceUsage
}

/** A bid: accepted, or rejected with a reason in words and numbers. `queued` when it will wait. */
export interface BidDecision {
  accepted: boolean
  reason: string
  queued: boolean
  /** Declined only because the node is busy now; the requester may wait for it to free up. */
  busy?: boolean
}

const has = (names: Iterable<string>): string => [...names].sort().join(', ') || 'none'

const describeNeeds = (need: Resources, have: Resources, keys: (keyof Resources)[], haveWord: string): string =>
  keys.map((key) => `needs ${formatResource(key, need[key])}, ${formatResource(key, have[key]).replace(/ (memory|disk)$/, '')} ${haveWord}`).join('; ')

/** The reason inputs of known size do not fit in the node's free disk budget, if they do not. */
function inputsOverBudget(task: Task, context: BidContext): string | undefined {
  if (!context.disk || !context.inputSizes) return undefined
  const known = (task.InputSources ?? []).flatMap((input, index) => {
    const size = context.inputSizes?.[index]
    // A content address is what the user knows the input by: name it (an ipfs input's CID).
    const cid = typeof input.Source?.Params?.CID === 'string' ? ` ${input.Source.Params.CID}` : ''
    return size === undefined ? [] : [{ what: `InputSources[${index}] (${input.Source?.Type ?? ''}${cid}${input.Target ? ` for ${input.Target}` : ''})`, size }]
  })
  const total = known.reduce((sum, input) => sum + input.size, 0)
  if (known.length === 0 || total <= context.disk.freeBytes) return undefined
  const budget = `only ${formatBytes(context.disk.freeBytes)} (${context.disk.freeBytes} bytes) of this node's ${formatBytes(context.disk.totalBytes)} disk budget are free`
  const sizes = known.map((input) => `${input.what} is ${formatBytes(input.size)} (${input.size} bytes)`).join(', ')
  return `${sizes}${known.length > 1 ? ` (${formatBytes(total)} in all)` : ''}, but ${budget}`
}

/** Whether the node should bid on a task needing `resources`, and why (not). */
export function decideBid(task: Task, resources: Resources, context: BidContext): BidDecision {
  if (context.paused) return { accepted: false, reason: PAUSED_REASON, queued: false }
  const problems: string[] = []

  const engineType = task.Engine?.Type ?? ''
  const engine = context.engines.get(engineType)
  if (!engine) problems.push(`node lacks engine ${engineType || '(none given)'} (has: ${has(context.engines.keys())})`)
  else for (const message of engine.validate?.(task) ?? []) problems.push(`${engineType} engine: ${message}`)

  for (const [index, input] of (task.InputSources ?? []).entries()) {
    const type = input.Source?.Type ?? ''
    const storage = context.storages.get(type)
    if (!storage) problems.push(`node lacks storage ${type || '(none given)'} for InputSources[${index}] (has: ${has(context.storages.keys())})`)
    else for (const message of storage.validate?.(input.Source) ?? []) problems.push(`InputSources[${index}].Source.${message}`)
  }

  const tooBig = inputsOverBudget(task, context)
  if (tooBig) problems.push(tooBig)

  const publisherType = task.Publisher?.Type ?? ''
  if (publisherType !== '') {
    const publisher = context.publishers.get(publisherType)
    if (!publisher) problems.push(`node lacks publisher ${publisherType} (has: ${has(context.publishers.keys())})`)
    else for (const message of publisher.validate?.(task.Publisher) ?? []) problems.push(`Publisher: ${message}`)
  }

  const network = task.Network?.Type ?? ''
  // Default lets the executor decide; Shoal's executors decide: no network.
  if (!['', 'none', 'default'].includes(network.toLowerCase())) {
    const allowed = context.allowedNetworks.some((type) => type.toLowerCase() === network.toLowerCase())
    if (!allowed) {
      problems.push(
        `task asks for network ${network}; this node allows ${context.allowedNetworks.length ? `only None, ${context.allowedNetworks.join(', ')}` : 'no network access (None)'}`,
      )
    }
  }

  const overLimit = exceeding(resources, context.maxJobRequirements)
  if (overLimit.length > 0) problems.push(describeNeeds(resources, context.maxJobRequirements, overLimit, 'is the most this node takes per job'))
  else {
    const overCapacity = exceeding(resources, context.capacity)
    if (overCapacity.length > 0) problems.push(describeNeeds(resources, context.capacity, overCapacity, 'in total on this node'))
  }
  if (problems.length > 0) return { accepted: false, reason: problems.join('; '), queued: false }

  // Every slot is taken: queue the work here while the queue has room (as Bacalhau's nodes do;
  // the default ExecutionTimeout bounds how long it can wait), else decline it as busy.
  if (context.freeExecutionSlots <= 0) {
    if (context.queueSlots > 0) return { accepted: true, reason: `queued: all ${context.executionSlots} execution slot(s) busy, ${context.queued} execution(s) ahead`, queued: true }
    return {
      accepted: false,
      reason: `all ${context.executionSlots} execution slot(s) of this node are busy (it runs that many executions at once); it takes work again when one ends`,
      queued: false,
      busy: true,
    }
  }

  const short = exceeding(resources, context.free)
  if (short.length === 0 && context.queued === 0) return { accepted: true, reason: '', queued: false }
  if (context.queueSlots > 0) {
    return { accepted: true, reason: `queued: ${context.queued} execution(s) ahead`, queued: true }
  }
  const busy = short.length > 0 ? describeNeeds(resources, context.free, short, 'free') : `${context.queued} execution(s) already wait`
  return { accepted: false, reason: `${busy}, and the queue is full`, queued: false, busy: true }
}

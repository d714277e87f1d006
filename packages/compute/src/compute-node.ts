import {
  AbortError,
  ExecutionState,
  ProtocolError,
  PublishError,
  ShoalError,
  ValidationError,
  type ComputeNodeInfo,
  type Execution,
  type Job,
  type NodeInfo,
  type NodeMembership,
  type PluginOff,
  type Resources,
  type Task,
} from '@shoal/models'
import {
  silentLogger,
  systemClock,
  type AbortOptions,
  type BytesProgress,
  memoryTree,
  type Clock,
  type Engine,
  type FileTreeNode,
  type Logger,
  type Publisher,
  type StorageProvider,
  type VolumeSpace,
} from '@shoal/interface'
import { generateNodeKey, signHandshakeProof, type Connection, type Dialer, type Message, type MessageOf, type NodeKey, type OutgoingMessage } from '@shoal/protocol'
import { decideBid } from './bidder.ts'
import { ExecutorBuffer } from './executor-buffer.ts'
import { ExecutionLogStore } from './execution-log-store.ts'
import { runExecution, type ExecutionOutcome } from './execution-runner.ts'
import { MemoryVolumeSpace } from './memory-volume-space.ts'
import { progressMessage } from './progress-message.ts'
import { ProgressThrottle } from './progress-throttle.ts'
import { addResources, subtractResources, zeroResources } from '@shoal/models'
import { DEFAULT_TASK_RESOURCES, parseResourcesConfig } from './resources.ts'

/** Output and queue limits of a compute node. */
export interface ComputeNodeLimits {
  /** Cap of each of stdout and stderr kept in full per execution (default 64 MiB). */
  outputBytes?: number
  /** Bytes of each stream shown in RunOutput (default 2048, as Bacalhau). */
  runOutputPreviewBytes?: number
  /** Accepted executions that may wait for capacity (default 16); more are bid away. */
  maxQueued?: number
  /** Characters of log lines kept per execution for `job logs` (default 1 MiB). */
  logCharsPerExecution?: number
  /** Finished executions whose logs are kept (default 100). */
  logRetention?: number
}

/** Reconnection back-off. */
export interface ReconnectOptions {
  /** First delay after a failed attempt (default 500 ms); doubles per attempt. */
  initialDelayMs?: number
  /** Longest delay between attempts (default 30 s). */
  maxDelayMs?: number
  /** Attempts in one round before a warning and a pause of maxDelayMs (default 10). */
  attemptsPerRound?: number
}

/** Options of a ComputeNode. */
export interface ComputeNodeInit {
  nodeId: string
  /**
   * The node's identity key, kept with its ID (node-runner: in the data dir; a tab: in its
   * session storage). The requester binds the ID to the key it first joins with and refuses
   * other keys. Default: a new key per start, which suits only a node whose ID is new too.
   */
  identity?: NodeKey
  labels?: Record<string, string>
  engines: Engine[]
  storages?: StorageProvider[]
  publishers?: Publisher[]
  /**
   * Plug-ins the runtime has but left out, and why (assemblePlugins' report): advertised as
   * ComputeNodeInfo.PluginsOff, so `node describe` and the scheduler can say why. Engines whose
   * isInstalled fails at start are added with their reason.
   */
  pluginsOff?: readonly PluginOff[]
  /**
   * Where executions keep their inputs and outputs: the data dir on node-runner, OPFS in a tab
   * (default: memory, 1 GiB).
   */
  space?: VolumeSpace
  /** What this node offers in total (the contributor's share of the machine). */
  capacity: Resources
  /**
   * Executions that can run at once, e.g. the WASM engine's worker count (default: no limit but
   * the capacity). A bid that would wait for a slot is declined, and while every slot is taken the
   * node advertises no available capacity.
   */
  executionSlots?: number
  /** Largest job taken (default: the whole capacity). */
  maxJobRequirements?: Resources
  /** Network types tasks may ask for besides None, e.g. ["HTTP", "Full"] (default none). */
  allowedNetworks?: string[]
  /** Resources of tasks that leave CPU/Memory unset (default 500m CPU, 512 MB). */
  defaultTaskResources?: Resources
  dialer: Dialer
  /** Requesters to dial, tried in order. */
  requesterAddresses: string[]
  /**
   * Asked for the requester's current addresses before redialing after a lost connection, and
   * after a pass over all known addresses failed. A tab asks the requester's HTTP API: a
   * restarted requester listens with a new WebRTC certificate hash. A failure or an empty list
   * keeps the addresses already known.
   */
  refreshAddresses?: (signal: AbortSignal) => Promise<string[]>
  joinToken?: string
  clock?: Clock
  logger?: Logger
  limits?: ComputeNodeLimits
  reconnect?: ReconnectOptions
  /** Time allowed for the requester's HandshakeResponse (default 10 s). */
  handshakeTimeoutMs?: number
  /** An accepted bid the requester neither accepts nor rejects within this time is dropped (default 60 s). */
  bidTimeoutMs?: number
  /** Shown to the requester as BacalhauVersion.GitVersion. */
  version?: string
}

/** Connection status of a compute node. */
export type ComputeNodeStatus = 'stopped' | 'connecting' | 'connected' | 'disconnected'

/** Where an execution is on this node. */
export type ExecutionPhase = 'bid' | 'queued' | 'running' | 'completed' | 'failed' | 'cancelled'

/** Detail of the `execution` event and of `executions()`. */
export interface ExecutionSummary {
  executionId: string
  jobId: string
  phase: ExecutionPhase
  resources: Resources
  message: string
}

/** Detail of the `status` event. */
export interface StatusDetail {
  status: ComputeNodeStatus
  membership?: NodeMembership
  requester?: string
}

/** Events of a ComputeNode (CustomEvent details), for the UI of a contributing tab. */
export interface ComputeNodeEvents {
  status: CustomEvent<StatusDetail>
  execution: CustomEvent<ExecutionSummary>
}

interface ExecutionRecord {
  execution: Execution
  job: Job
  task: Task
  resources: Resources
  phase: ExecutionPhase
  /** Accepted at bid time as work that has to wait. */
  wouldQueue: boolean
  controller: AbortController
  /** Drops the bid when the requester never answers it. */
  bidTimer?: unknown
}

/** Progress reports kept while disconnected and sent after reconnecting. */
const DURABLE_TYPES = new Set(['ExecutionStateUpdate'])
/** Outcome reports, kept until the requester acknowledges them (ResultAck), whether or not they were sent. */
const OUTCOME_TYPES = new Set(['RunResult', 'ComputeError'])
const MAX_OUTBOX = 1000
/**
 * Least time between two progress reports of one execution. Each becomes the execution's state
 * message at the requester (a store write, no history event), so a download reports its figure
 * about once a second, not once per chunk.
 */
const PROGRESS_INTERVAL_MS = 1000
/** How long a bid waits for storage providers to size its inputs before bidding without. */
const INPUT_SIZE_TIMEOUT_MS = 5000
/** Unacknowledged outcomes kept; past this the oldest is dropped (and would be run again elsewhere). */
const MAX_UNACKNOWLEDGED = 1000

/** Verified results held at once, awaiting the requester's verdict. */
const MAX_HELD_RESULTS = 64

/** A verified execution's result, kept unpublished until ResultAccepted or ResultRejected. */
interface HeldResult {
  record: ExecutionRecord
  runOutput: Execution['RunOutput'] & object
  result: FileTreeNode
  publishing?: boolean
}

/** The requester's first messages, which the handshake waits for. */
type HandshakeReply = MessageOf<'Challenge'> | MessageOf<'HandshakeResponse'>

/**
 * A compute node: dials a requester, announces what it can run, bids on work, runs it through
 * its engines, storages and publishers, and reports results over the compute protocol. The same
 * class runs in a browser tab, an edge worker and node-runner (Web APIs only).
 */
export class ComputeNode extends EventTarget {
  readonly nodeId: string
  private labels: Record<string, string>
  private readonly engines = new Map<string, Engine>()
  private readonly storages = new Map<string, StorageProvider>()
  private readonly publishers = new Map<string, Publisher>()
  private readonly installedEngines = new Map<string, Engine>()
  private readonly pluginsOff: readonly PluginOff[]
  /** Engines found unusable at start, with why. */
  private enginesOff: PluginOff[] = []
  private maxJob: Resources | undefined
  private readonly allowedNetworks: string[]
  private readonly defaultTaskResources: Resources
  private readonly dialer: Dialer
  private addresses: string[]
  private readonly refreshAddresses?: (signal: AbortSignal) => Promise<string[]>
  private readonly joinToken?: string
  private readonly clock: Clock
  private readonly logger: Logger
  private readonly limits: Required<ComputeNodeLimits>
  private readonly reconnect: Required<ReconnectOptions>
  private readonly handshakeTimeoutMs: number
  private readonly bidTimeoutMs: number
  private readonly version?: string

  private readonly buffer: ExecutorBuffer
  private readonly logs: ExecutionLogStore
  private readonly records = new Map<string, ExecutionRecord>()
  private readonly follows = new Map<string, () => void>()
  /** UploadGrantRequests awaiting the requester's UploadGrant, by RequestID. */
  private readonly grants = new Map<string, (grant: MessageOf<'UploadGrant'>) => void>()
  private grantCount = 0
  private readonly outbox: OutgoingMessage[] = []
  /** RunResult/ComputeError by execution, in the order they were made, until the requester acknowledges them. */
  private readonly unacknowledged = new Map<string, OutgoingMessage & { ExecutionID: string }>()
  /** Results of verified executions awaiting the requester's verdict. */
  private readonly held = new Map<string, HeldResult>()
  private identity?: NodeKey

  private currentStatus: ComputeNodeStatus = 'stopped'
  private membership?: NodeMembership
  private paused = false
  private connection?: Connection
  private handshaken = false
  private handshakeWaiter?: (reply: HandshakeReply) => void
  private heartbeatTimer: unknown
  private heartbeatSeq = 0
  private readonly space: VolumeSpace
  /** A bid was declined for want of an execution slot: tell the requester when one frees. */
  private declinedForSlots = false
  private lifecycle?: AbortController
  private loop?: Promise<void>

  constructor(init: ComputeNodeInit) {
    super()
    this.nodeId = init.nodeId
    this.identity = init.identity
    this.labels = { ...init.labels }
    for (const engine of init.engines) this.engines.set(engine.type, engine)
    for (const storage of init.storages ?? []) this.storages.set(storage.type, storage)
    for (const publisher of init.publishers ?? []) this.publishers.set(publisher.type, publisher)
    this.pluginsOff = (init.pluginsOff ?? []).map((off) => ({ ...off }))
    this.space = init.space ?? new MemoryVolumeSpace()
    this.maxJob = init.maxJobRequirements ? { ...init.maxJobRequirements } : undefined
    this.allowedNetworks = [...(init.allowedNetworks ?? [])]
    this.defaultTaskResources = init.defaultTaskResources ?? { ...DEFAULT_TASK_RESOURCES }
    this.dialer = init.dialer
    this.addresses = [...init.requesterAddresses]
    this.refreshAddresses = init.refreshAddresses
    this.joinToken = init.joinToken
    this.clock = init.clock ?? systemClock
    this.logger = (init.logger ?? silentLogger).child('compute', { nodeId: init.nodeId })
    this.limits = {
      outputBytes: init.limits?.outputBytes ?? 64 * 1024 * 1024,
      runOutputPreviewBytes: init.limits?.runOutputPreviewBytes ?? 2048,
      maxQueued: init.limits?.maxQueued ?? 16,
      logCharsPerExecution: init.limits?.logCharsPerExecution ?? 1024 * 1024,
      logRetention: init.limits?.logRetention ?? 100,
    }
    this.reconnect = {
      initialDelayMs: init.reconnect?.initialDelayMs ?? 500,
      maxDelayMs: init.reconnect?.maxDelayMs ?? 30_000,
      attemptsPerRound: init.reconnect?.attemptsPerRound ?? 10,
    }
    this.handshakeTimeoutMs = init.handshakeTimeoutMs ?? 10_000
    this.bidTimeoutMs = init.bidTimeoutMs ?? 60_000
    this.version = init.version
    this.buffer = new ExecutorBuffer({ capacity: init.capacity, maxQueued: this.limits.maxQueued, slots: init.executionSlots })
    this.logs = new ExecutionLogStore({ maxCharsPerExecution: this.limits.logCharsPerExecution, maxExecutions: this.limits.logRetention })
    if (this.addresses.length === 0) throw new ValidationError([{ path: 'requesterAddresses', message: 'give at least one requester address to dial' }])
  }

  /** Connection status. */
  get status(): ComputeNodeStatus {
    return this.currentStatus
  }

  /** Whether the operator paused bidding. */
  get isPaused(): boolean {
    return this.paused
  }

  /** Checks which engines are installed, then keeps a connection to a requester until stop(). */
  async start(): Promise<void> {
    if (this.lifecycle) return
    this.lifecycle = new AbortController()
    this.identity ??= await generateNodeKey()
    this.installedEngines.clear()
    this.enginesOff = []
    for (const [type, engine] of this.engines) {
      let installed: boolean
      let reason = 'not installed'
      try {
        installed = (await engine.isInstalled?.()) ?? true
      } catch (err) {
        installed = false
        reason = (err as Error).message
        this.logger.warn(`engine ${type} is not usable here`, { error: reason })
      }
      if (installed) this.installedEngines.set(type, engine)
      else {
        this.enginesOff.push({ Kind: 'engine', Type: type, Reason: reason })
        if (reason === 'not installed') this.logger.warn(`engine ${type} is not installed; not offering it`)
      }
    }
    this.setStatus('connecting')
    this.loop = this.connectLoop(this.lifecycle.signal)
  }

  /**
   * Stops: cancels running and queued executions, says Goodbye when asked (so the requester
   * reschedules at once instead of waiting for missed heartbeats) and closes the connection.
   */
  async stop(options: { goodbye?: boolean; reason?: string } = {}): Promise<void> {
    const lifecycle = this.lifecycle
    if (!lifecycle) return
    this.lifecycle = undefined
    lifecycle.abort(new AbortError('compute node stopping'))
    this.clearHeartbeat()
    for (const record of this.records.values()) record.controller.abort(new AbortError('compute node stopping'))
    for (const work of this.buffer.clearQueue()) {
      this.records.delete(work.id)
      this.logs.finish(work.id)
    }
    for (const [id, record] of this.records) if (record.phase === 'bid') this.forgetBid(id, record)
    const connection = this.connection
    if (connection && !connection.closed) {
      if (options.goodbye && this.handshaken) {
        await connection.send({ Type: 'Goodbye', Reason: options.reason ?? 'compute node shutting down' }).catch(() => {})
      }
      await connection.close(options.reason ?? 'compute node stopped').catch(() => {})
    }
    await this.loop
    this.loop = undefined
    this.setStatus('stopped')
  }

  /**
   * Asks the requester to presign the upload of an execution's result archive of `size` bytes
   * (UploadGrantRequest): how a node that holds no S3 credentials (a tab) publishes to `s3`.
   * Rejects with a PublishError when not connected, when the requester refuses (with its
   * reason), or after `timeoutMs` (default 60 s) without an answer.
   */
  requestUploadGrant(executionId: string, size: number, options: AbortOptions & { timeoutMs?: number } = {}): Promise<MessageOf<'UploadGrant'>> {
    const connection = this.connection
    if (!connection || !this.handshaken || connection.closed) {
      return Promise.reject(new PublishError('not connected to the requester, which presigns the upload of s3 results from this node'))
    }
    const requestId = `upload-${++this.grantCount}-${executionId}`
    const timeoutMs = options.timeoutMs ?? 60_000
    return new Promise((resolve, reject) => {
      const done = () => {
        this.grants.delete(requestId)
        this.clock.clearTimeout(timer)
        options.signal?.removeEventListener('abort', aborted)
      }
      const aborted = () => {
        done()
        reject(options.signal!.reason)
      }
      const timer = this.clock.setTimeout(() => {
        done()
        reject(new PublishError(`the requester did not presign the result upload within ${timeoutMs / 1000} s`))
      }, timeoutMs)
      options.signal?.addEventListener('abort', aborted, { once: true })
      this.grants.set(requestId, (grant) => {
        done()
        if (grant.Error !== '') reject(new PublishError(`the requester would not presign the result upload: ${grant.Error}`))
        else resolve(grant)
      })
      connection.send({ Type: 'UploadGrantRequest', RequestID: requestId, ExecutionID: executionId, Size: size }).catch((err: Error) => {
        done()
        reject(new PublishError(`could not ask the requester to presign the result upload: ${err.message}`, { cause: err }))
      })
    })
  }

  /** Stops bidding: new bids are rejected with "node paused by its operator"; running work goes on. */
  pause(): void {
    this.paused = true
    this.logger.info('paused: bids will be rejected')
  }

  /** Bids again after pause(). */
  resume(): void {
    this.paused = false
    this.logger.info('resumed')
    // Tells the requester the node changed, so jobs it declined while paused are offered again.
    this.sendNodeInfoUpdate()
  }

  /** Changes what the node offers (e.g. the CPU slider) and tells the requester. */
  setCapacity(capacity: Resources): void {
    this.buffer.setCapacity(capacity)
    this.sendNodeInfoUpdate()
  }

  /** Changes how many executions run at once (e.g. the tab's worker share) and tells the requester. */
  setExecutionSlots(slots: number): void {
    this.buffer.setExecutionSlots(slots)
    this.sendNodeInfoUpdate()
  }

  /** Replaces the node's labels and tells the requester. */
  setLabels(labels: Record<string, string>): void {
    this.labels = { ...labels }
    this.sendNodeInfoUpdate()
  }

  /** Executions this node holds (bid, queued, running). */
  executions(): ExecutionSummary[] {
    return [...this.records.values()].map((r) => this.summary(r, ''))
  }

  /** The node as the requester sees it. */
  nodeInfo(): NodeInfo {
    const capacity = this.buffer.capacity
    const info: ComputeNodeInfo = {
      ExecutionEngines: [...this.installedEngines.keys()].sort(),
      Publishers: [...this.publishers.keys()].sort(),
      StorageSources: [...this.storages.keys()].sort(),
      ...(this.pluginsOff.length + this.enginesOff.length > 0 ? { PluginsOff: [...this.pluginsOff, ...this.enginesOff].map((off) => ({ ...off })) } : {}),
      MaxCapacity: capacity,
      QueueUsedCapacity: this.buffer.queuedResources,
      AvailableCapacity: this.buffer.startable,
      MaxJobRequirements: this.maxJob ? { ...this.maxJob } : capacity,
      RunningExecutions: this.buffer.runningCount,
      EnqueuedExecutions: this.buffer.queuedCount,
    }
    return {
      NodeID: this.nodeId,
      NodeType: 'Compute',
      Labels: { ...this.labels },
      ...(this.version ? { BacalhauVersion: { GitVersion: this.version } } : {}),
      ComputeNodeInfo: info,
    }
  }

  override addEventListener<K extends keyof ComputeNodeEvents>(
    type: K,
    listener: ((event: ComputeNodeEvents[K]) => void) | EventListenerObject | null,
    options?: boolean | AddEventListenerOptions,
  ): void {
    super.addEventListener(type, listener as EventListener, options)
  }

  override removeEventListener<K extends keyof ComputeNodeEvents>(
    type: K,
    listener: ((event: ComputeNodeEvents[K]) => void) | EventListenerObject | null,
    options?: boolean | EventListenerOptions,
  ): void {
    super.removeEventListener(type, listener as EventListener, options)
  }

  /** The requester addresses dialed now, in order (refreshed after a lost connection when the node can ask). */
  get requesterAddresses(): readonly string[] {
    return this.addresses
  }

  // ---- connection ---------------------------------------------------------------------------

  private async connectLoop(signal: AbortSignal): Promise<void> {
    let delay = this.reconnect.initialDelayMs
    let attempts = 0
    // Runs until stop(); every iteration either waits for a connection to close or backs off.
    let refresh = false
    // Which known address is dialed next; back to the first (the preferred transport) whenever
    // the addresses are refreshed with different ones.
    let next = 0
    // While the requester's API does not answer (it is restarting), ask again before every dial:
    // once it is back, its new addresses (a new WebRTC-direct certhash) are dialed first, instead
    // of a fallback transport the stale list happened to reach.
    let refreshFailed = false
    // Dials of the first address left before moving on to the next after fresh addresses: a
    // requester that has just restarted may refuse the first dial (its listener still starting),
    // and a fallback transport, once connected, is kept for the whole session.
    let firstTries = 1
    while (!signal.aborted) {
      if (refresh || refreshFailed) {
        refresh = false
        const outcome = await this.updateAddresses(signal)
        if (signal.aborted) break
        refreshFailed = outcome === 'failed'
        if (outcome === 'changed') {
          next = 0
          firstTries = 2
        }
      }
      const address = this.addresses[next % this.addresses.length]
      let session: { closed: Promise<void> }
      try {
        session = await this.connect(address, signal)
      } catch (err) {
        if (signal.aborted) break
        attempts++
        if (next % this.addresses.length === 0 && firstTries > 1) firstTries--
        else next++
        this.logger.warn(`could not connect to requester ${address} (attempt ${attempts}): ${(err as Error).message}`)
        this.setStatus('disconnected')
        if (attempts % this.addresses.length === 0) refresh = true
        if (attempts % this.reconnect.attemptsPerRound === 0) {
          this.logger.warn(
            `no requester reachable after ${this.reconnect.attemptsPerRound} attempts (${this.addresses.join(', ')}); trying again in ${this.reconnect.maxDelayMs} ms`,
          )
          await this.sleep(this.reconnect.maxDelayMs, signal)
          delay = this.reconnect.initialDelayMs
        } else {
          await this.sleep(delay, signal)
          delay = Math.min(delay * 2, this.reconnect.maxDelayMs)
        }
        continue
      }
      attempts = 0
      next = 0
      delay = this.reconnect.initialDelayMs
      await session.closed
      if (!signal.aborted) {
        this.logger.warn(`connection to requester ${address} lost; reconnecting`)
        this.setStatus('disconnected')
        await this.sleep(this.reconnect.initialDelayMs, signal)
        refresh = true
      }
    }
  }

  /** Replaces the known requester addresses with fresh ones, when there is a way to ask. */
  private async updateAddresses(signal: AbortSignal): Promise<'changed' | 'same' | 'failed'> {
    if (!this.refreshAddresses) return 'same'
    try {
      const fresh = await this.refreshAddresses(signal)
      if (fresh.length === 0 || (fresh.length === this.addresses.length && fresh.every((address, i) => address === this.addresses[i]))) return 'same'
      this.addresses = [...fresh]
      return 'changed'
    } catch (err) {
      if (!signal.aborted) this.logger.warn(`could not refresh the requester's addresses, dialing the known ones: ${(err as Error).message}`)
      return 'failed'
    }
  }

  /** Dials and shakes hands; resolves with a promise of the connection's end. */
  private async connect(address: string, signal: AbortSignal): Promise<{ closed: Promise<void> }> {
    this.setStatus('connecting')
    const connection = await this.dialer.dial(address, { signal })
    let resolveClosed!: () => void
    const closed = new Promise<void>((resolve) => (resolveClosed = resolve))
    this.connection = connection
    this.handshaken = false
    // The requester speaks first, maybe before attach returns: wait for its Challenge from here.
    const challenged = this.nextHandshakeReply('Challenge', closed, signal)
    connection.attach({
      onMessage: (message) => this.onMessage(connection, message),
      onError: (error) => this.onFrameError(connection, error),
      onClose: (reason) => {
        this.onConnectionClosed(connection, reason)
        resolveClosed()
      },
    })
    const identity = this.identity!
    const response = await (async () => {
      const challenge = await challenged
      const signature = await signHandshakeProof(identity, { requesterId: challenge.RequesterID, nonce: challenge.Nonce, nodeId: this.nodeId })
      const answer = this.nextHandshakeReply('HandshakeResponse', closed, signal)
      await connection.send({
        Type: 'Handshake',
        NodeInfo: this.nodeInfo(),
        JoinToken: this.joinToken,
        PublicKey: identity.publicKey,
        Signature: signature,
        RunningExecutions: this.ownedExecutionIds(),
      })
      return answer
    })().catch(async (err) => {
      this.handshakeWaiter = undefined
      await connection.close('handshake failed').catch(() => {})
      throw err
    })
    if (!response.Accepted) {
      await connection.close('handshake refused').catch(() => {})
      throw new ProtocolError(`requester refused this node: ${response.Reason || response.Membership}`)
    }
    this.handshaken = true
    this.membership = response.Membership
    this.logger.info(`connected to requester ${response.RequesterID} at ${address}`, { membership: response.Membership })
    this.setStatus('connected', address)
    this.scheduleHeartbeat(response.HeartbeatIntervalMs)
    for (const message of this.outbox.splice(0)) this.send(message)
    // Outcomes the requester has not acknowledged, maybe lost with the old connection (or the
    // requester died before storing them): the Handshake named them, the requester applies them.
    for (const message of [...this.unacknowledged.values()]) this.transmit(message)
    return { closed }
  }

  /** The next Challenge or HandshakeResponse; rejects on timeout, abort or a closed connection. */
  private nextHandshakeReply<T extends HandshakeReply['Type']>(type: T, closed: Promise<void>, signal: AbortSignal): Promise<Extract<HandshakeReply, { Type: T }>> {
    return new Promise((resolve, reject) => {
      const timer = this.clock.setTimeout(() => {
        this.handshakeWaiter = undefined
        reject(new ProtocolError(`no ${type} from the requester within ${this.handshakeTimeoutMs} ms`))
      }, this.handshakeTimeoutMs)
      const onAbort = () => {
        this.clock.clearTimeout(timer)
        reject(signal.reason)
      }
      signal.addEventListener('abort', onAbort, { once: true })
      void closed.then(() => {
        this.clock.clearTimeout(timer)
        reject(new ProtocolError('the requester closed the connection during the handshake'))
      })
      this.handshakeWaiter = (reply) => {
        this.clock.clearTimeout(timer)
        signal.removeEventListener('abort', onAbort)
        this.handshakeWaiter = undefined
        if (reply.Type === type) resolve(reply as Extract<HandshakeReply, { Type: T }>)
        else reject(new ProtocolError(`expected ${type} from the requester, got ${reply.Type}`))
      }
    })
  }

  /**
   * Executions this node still answers for: running, queued, and those that ended while it was
   * disconnected, whose outcome waits in the outbox. The requester fails any active execution
   * the Handshake does not name, so leaving the latter out would discard their results and run
   * them again elsewhere.
   */
  private ownedExecutionIds(): string[] {
    const undelivered = this.outbox.flatMap((message) => ('ExecutionID' in message ? [message.ExecutionID] : []))
    return [...new Set([...this.buffer.ids(), ...undelivered, ...this.unacknowledged.keys(), ...this.held.keys()])]
  }

  private onConnectionClosed(connection: Connection, reason: string | undefined): void {
    if (connection !== this.connection) return
    this.logger.debug('connection closed', { reason })
    this.connection = undefined
    this.handshaken = false
    this.clearHeartbeat()
    for (const stop of this.follows.values()) stop()
    this.follows.clear()
    // Open bids die with the connection: the requester asks again (or elsewhere) once it sees
    // the node back, and unanswered bids must not hold capacity.
    for (const [id, record] of this.records) {
      if (record.phase !== 'bid') continue
      this.forgetBid(id, record)
      this.emit({ ...record, phase: 'cancelled' }, 'connection to the requester lost before the bid was answered')
    }
  }

  private scheduleHeartbeat(intervalMs: number): void {
    this.clearHeartbeat()
    const beat = () => {
      this.heartbeatTimer = this.clock.setTimeout(beat, intervalMs)
      this.send({
        Type: 'Heartbeat',
        Seq: this.heartbeatSeq++,
        AvailableCapacity: this.buffer.startable,
        QueueUsedCapacity: this.buffer.queuedResources,
        RunningExecutions: this.buffer.runningCount,
      })
    }
    this.heartbeatTimer = this.clock.setTimeout(beat, intervalMs)
  }

  private clearHeartbeat(): void {
    if (this.heartbeatTimer !== undefined) this.clock.clearTimeout(this.heartbeatTimer)
    this.heartbeatTimer = undefined
  }

  private sendNodeInfoUpdate(): void {
    if (this.handshaken) this.send({ Type: 'NodeInfoUpdate', NodeInfo: this.nodeInfo() })
  }

  /**
   * Sends when connected; progress reports wait for the next connection otherwise, and outcomes
   * are kept until acknowledged either way (a send can succeed into a connection whose requester
   * dies before storing it).
   */
  private send(message: OutgoingMessage): void {
    if (OUTCOME_TYPES.has(message.Type) && 'ExecutionID' in message) {
      this.unacknowledged.delete(message.ExecutionID)
      this.unacknowledged.set(message.ExecutionID, message)
      if (this.unacknowledged.size > MAX_UNACKNOWLEDGED) {
        const [oldest] = this.unacknowledged.keys()
        this.unacknowledged.delete(oldest)
        this.logger.warn(`${MAX_UNACKNOWLEDGED} outcomes wait for the requester's acknowledgement; dropped the one of ${oldest}`)
      }
    }
    this.transmit(message)
  }

  private transmit(message: OutgoingMessage): void {
    const connection = this.connection
    if (connection && this.handshaken && !connection.closed) {
      connection.send(message).catch((err) => {
        this.logger.warn(`could not send ${message.Type}: ${(err as Error).message}`)
        if (DURABLE_TYPES.has(message.Type)) this.keep(message)
      })
    } else if (DURABLE_TYPES.has(message.Type)) this.keep(message)
  }

  /**
   * Sends a progress figure when connected, and drops it otherwise: unlike state changes it is
   * not kept for the next connection, where a newer figure (or the outcome) soon replaces it.
   */
  private sendProgress(message: OutgoingMessage): void {
    const connection = this.connection
    if (!connection || !this.handshaken || connection.closed) return
    connection.send(message).catch((err) => this.logger.debug(`could not send progress: ${(err as Error).message}`))
  }

  private keep(message: OutgoingMessage): void {
    this.outbox.push(message)
    if (this.outbox.length > MAX_OUTBOX) {
      const dropped = this.outbox.shift()!
      this.logger.warn(`outbox full while disconnected; dropped a ${dropped.Type}`)
    }
  }

  private replyError(code: string, message: string, inReplyTo?: string): void {
    const connection = this.connection
    if (!connection || connection.closed) return
    connection.send({ Type: 'Error', Code: code, Message: message, ...(inReplyTo ? { InReplyTo: inReplyTo } : {}) }).catch(() => {})
  }

  private onFrameError(connection: Connection, error: Error): void {
    if (connection !== this.connection) return
    this.logger.warn(`malformed message from the requester: ${error.message}`)
    this.replyError(error instanceof ShoalError ? error.code : 'ProtocolError', error.message)
  }

  private onMessage(connection: Connection, message: Message): void {
    if (connection !== this.connection) return
    try {
      this.dispatch(message)
    } catch (err) {
      this.logger.error(`could not handle ${message.Type}: ${(err as Error).message}`)
      this.replyError(err instanceof ShoalError ? err.code : 'InternalError', `could not handle ${message.Type}: ${(err as Error).message}`, message.Type)
    }
  }

  private dispatch(message: Message): void {
    switch (message.Type) {
      case 'Challenge':
      case 'HandshakeResponse': {
        const waiter = this.handshakeWaiter
        this.handshakeWaiter = undefined
        if (waiter) waiter(message)
        else this.unexpected(message.Type, 'the handshake is already done')
        return
      }
      case 'ResultAck':
        this.unacknowledged.delete(message.ExecutionID)
        return
      case 'ResultAccepted':
        return void this.onResultAccepted(message)
      case 'ResultRejected':
        if (this.held.delete(message.ExecutionID)) this.logger.info(`result of ${message.ExecutionID} rejected: ${message.Reason}`)
        return
      case 'AskForBid':
        return void this.onAskForBid(message)
      case 'BidAccepted':
        return this.onBidAccepted(message)
      case 'BidRejected':
        return this.onBidRejected(message)
      case 'CancelExecution':
        return this.onCancel(message)
      case 'LogsRequest':
        return this.onLogsRequest(message)
      case 'LogsCancel': {
        this.follows.get(message.RequestID)?.()
        this.follows.delete(message.RequestID)
        return
      }
      case 'UploadGrant':
        this.grants.get(message.RequestID)?.(message)
        return
      case 'Error':
        this.logger.warn(`requester reported an error: ${message.Code}: ${message.Message}`, { inReplyTo: message.InReplyTo })
        return
      case 'Goodbye':
        this.logger.info(`requester said goodbye: ${message.Reason}`)
        void this.connection?.close('requester said goodbye')
        return
      default:
        this.unexpected(message.Type, 'a requester does not send it to a compute node')
    }
  }

  private unexpected(type: string, why: string): void {
    this.logger.warn(`unexpected ${type} from the requester: ${why}`)
    this.replyError('ProtocolError', `unexpected ${type}: ${why}`, type)
  }

  // ---- bidding --------------------------------------------------------------------------------

  private async onAskForBid(message: MessageOf<'AskForBid'>): Promise<void> {
    const id = message.ExecutionID
    const existing = this.records.get(id)
    if (existing) {
      // A repeated request (e.g. after a reconnect): the answer stands.
      this.send({ Type: 'BidResult', ExecutionID: id, Accepted: true, Reason: '' })
      return
    }
    const reject = (reason: string, busy = false) => {
      this.logger.info(`bid rejected for ${id}: ${reason}`)
      this.send({ Type: 'BidResult', ExecutionID: id, Accepted: false, Reason: reason, ...(busy ? { Busy: true } : {}) })
    }
    const execution = message.Execution
    const job = execution.Job
    const task = job?.Tasks?.[0]
    if (!job || typeof job !== 'object' || !task || typeof task !== 'object') {
      this.unexpected('AskForBid', `Execution ${id} carries no Job with a task`)
      return reject('the bid request carries no job with a task to run')
    }
    if (execution.ID !== undefined && execution.ID !== id) {
      this.unexpected('AskForBid', `ExecutionID ${id} does not match Execution.ID ${execution.ID}`)
      return reject('the bid request is inconsistent (ExecutionID differs from Execution.ID)')
    }
    const normalizedTask = normalizeTask(task)
    let resources: Resources
    try {
      resources = this.resourcesOf(execution, normalizedTask)
    } catch (err) {
      return reject((err as Error).message)
    }
    const sizing = this.inputSizes(normalizedTask, id, job.ID)
    const inputSizes = Array.isArray(sizing) ? sizing : await sizing
    if (this.records.has(id)) {
      // The same request arrived again while its inputs were being sized: the answer stands.
      this.send({ Type: 'BidResult', ExecutionID: id, Accepted: true, Reason: '' })
      return
    }
    let reserved = zeroResources()
    let waiting = 0
    let reservedSlots = 0
    for (const record of this.records.values()) {
      if (record.phase !== 'bid') continue
      if (record.wouldQueue) waiting++
      else {
        reserved = addResources(reserved, record.resources)
        reservedSlots++
      }
    }
    const decision = decideBid(normalizedTask, resources, {
      engines: this.installedEngines,
      storages: this.storages,
      publishers: this.publishers,
      paused: this.paused,
      allowedNetworks: this.allowedNetworks,
      maxJobRequirements: this.maxJob ?? this.buffer.capacity,
      capacity: this.buffer.capacity,
      free: subtractResources(this.buffer.available, reserved),
      queueSlots: this.buffer.freeSlots - waiting,
      queued: this.buffer.queuedCount + waiting,
      executionSlots: this.buffer.executionSlots,
      freeExecutionSlots: this.buffer.freeExecutionSlots - reservedSlots,
      inputSizes,
      disk: this.space.usage(),
    })
    if (!decision.accepted) {
      if (this.buffer.freeExecutionSlots - reservedSlots <= 0) this.declinedForSlots = true
      return reject(decision.reason, decision.busy)
    }

    const record: ExecutionRecord = {
      execution: { ...execution, ID: id },
      job,
      task: normalizedTask,
      resources,
      phase: 'bid',
      wouldQueue: decision.queued,
      controller: new AbortController(),
    }
    this.records.set(id, record)
    this.logger.info(`bid accepted for ${id}`, { job: job.ID, reason: decision.reason })
    this.send({ Type: 'BidResult', ExecutionID: id, Accepted: true, Reason: decision.reason })
    this.emit(record, decision.reason || 'bid accepted')
    if (!message.WaitForApproval) this.admit(record)
    else {
      record.bidTimer = this.clock.setTimeout(() => {
        if (this.records.get(id) !== record || record.phase !== 'bid') return
        this.records.delete(id)
        this.slotFreed()
        this.logger.warn(`bid for ${id} expired: the requester did not answer within ${this.bidTimeoutMs} ms`)
        this.emit({ ...record, phase: 'cancelled' }, 'bid expired')
      }, this.bidTimeoutMs)
    }
  }

  /**
   * Sizes of the task's inputs where their providers know them cheaply (for the disk budget),
   * within a bounded time; synchronous (no await) when no provider can tell.
   */
  private inputSizes(task: Task, executionId: string, jobId: string): (number | undefined)[] | Promise<(number | undefined)[]> {
    const inputs = task.InputSources ?? []
    if (!inputs.some((input) => this.storages.get(input.Source?.Type)?.getVolumeSize)) return []
    const signal = AbortSignal.timeout(INPUT_SIZE_TIMEOUT_MS)
    return Promise.all(
      inputs.map(async (input, inputIndex) => {
        const storage = this.storages.get(input.Source?.Type)
        try {
          return await storage?.getVolumeSize?.(input, { executionId, jobId, inputIndex, signal })
        } catch {
          return undefined
        }
      }),
    )
  }

  private resourcesOf(execution: Execution, task: Task): Resources {
    const allocated = execution.AllocatedResources?.Tasks?.[task.Name]
    if (allocated && ['CPU', 'Memory', 'Disk', 'GPU'].every((k) => typeof allocated[k as keyof Resources] === 'number')) {
      if (allocated.CPU > 0 || allocated.Memory > 0) return { ...allocated }
    }
    return parseResourcesConfig(task.Resources, this.defaultTaskResources, 'Tasks[0].Resources')
  }

  private onBidAccepted(message: MessageOf<'BidAccepted'>): void {
    const record = this.records.get(message.ExecutionID)
    if (!record) {
      this.unexpected('BidAccepted', `no bid for execution ${message.ExecutionID} is open on this node`)
      this.send({ Type: 'ComputeError', ExecutionID: message.ExecutionID, ErrorCode: 'NotFound', Message: `node ${this.nodeId} holds no bid for execution ${message.ExecutionID}; it may have restarted` })
      return
    }
    if (record.phase !== 'bid') return // already admitted (WaitForApproval false, or a repeat)
    this.admit(record)
  }

  private onBidRejected(message: MessageOf<'BidRejected'>): void {
    const record = this.records.get(message.ExecutionID)
    if (!record || record.phase !== 'bid') return
    this.forgetBid(message.ExecutionID, record)
    this.emit({ ...record, phase: 'cancelled' }, `bid rejected by the requester${message.Reason ? `: ${message.Reason}` : ''}`)
  }

  private onCancel(message: MessageOf<'CancelExecution'>): void {
    const id = message.ExecutionID
    const record = this.records.get(id)
    if (!record) {
      this.logger.debug(`cancel for ${id}, which this node no longer holds`)
      return
    }
    const reason = message.Reason || 'cancelled by the requester'
    this.logger.info(`cancelling ${id}: ${reason}`)
    record.controller.abort(new AbortError(reason))
    if (record.phase === 'bid' || record.phase === 'queued') {
      this.forgetBid(id, record)
      if (record.phase === 'queued') {
        this.buffer.release(id)
        this.logs.finish(id)
      }
      this.emit({ ...record, phase: 'cancelled' }, reason)
    }
    // A running execution ends through its signal: runExecution returns `cancelled`.
  }

  private forgetBid(id: string, record: ExecutionRecord): void {
    if (record.bidTimer !== undefined) this.clock.clearTimeout(record.bidTimer)
    this.records.delete(id)
    this.slotFreed()
  }

  /**
   * After a declined bid the requester does not offer that job here again until the node's info
   * changes: a NodeInfoUpdate when a slot frees up tells it this node can take work again.
   */
  private slotFreed(): void {
    if (!this.declinedForSlots) return
    this.declinedForSlots = false
    this.sendNodeInfoUpdate()
  }

  // ---- running --------------------------------------------------------------------------------

  private admit(record: ExecutionRecord): void {
    const id = record.execution.ID
    if (record.bidTimer !== undefined) this.clock.clearTimeout(record.bidTimer)
    this.logs.open(id)
    const outcome = this.buffer.enqueue({
      id,
      resources: record.resources,
      start: () => queueMicrotask(() => void this.run(record)),
    })
    if (outcome === 'rejected') {
      this.records.delete(id)
      this.logs.finish(id)
      const message = `node ${this.nodeId} is full: ${this.buffer.queuedCount} execution(s) already wait for capacity; place it on another node`
      this.send({ Type: 'ComputeError', ExecutionID: id, ErrorCode: 'ExecutionError', Message: message })
      this.emit({ ...record, phase: 'failed' }, message)
      return
    }
    if (outcome === 'queued') {
      record.phase = 'queued'
      this.emit(record, `waiting for capacity (${this.buffer.queuedCount} queued)`)
    }
  }

  private async run(record: ExecutionRecord): Promise<void> {
    const id = record.execution.ID
    if (record.controller.signal.aborted || !this.records.has(id)) {
      this.buffer.release(id)
      return
    }
    record.phase = 'running'
    this.emit(record, 'running')
    let outcome: ExecutionOutcome
    // Bytes moved by storage and publishers become the message of the state the run is in.
    let computeState: number = ExecutionState.Running
    const progress = new ProgressThrottle<BytesProgress>({
      clock: this.clock,
      intervalMs: PROGRESS_INTERVAL_MS,
      send: (detail) => {
        if (!record.controller.signal.aborted) this.sendProgress({ Type: 'ExecutionStateUpdate', ExecutionID: id, ComputeState: computeState, Message: progressMessage(detail) })
      },
    })
    try {
      outcome = await runExecution(
        {
          nodeId: this.nodeId,
          execution: record.execution,
          job: record.job,
          task: record.task,
          resources: record.resources,
          limits: { outputBytes: this.limits.outputBytes, previewBytes: this.limits.runOutputPreviewBytes },
          onState: (state, message) => {
            // A figure still waiting would overwrite the new state's message with the old one's.
            progress.cancel()
            computeState = state
            if (!record.controller.signal.aborted) this.send({ Type: 'ExecutionStateUpdate', ExecutionID: id, ComputeState: state, Message: message })
          },
          onProgress: (event) => {
            if (event.type === 'bytes' && event.detail) progress.report(event.detail)
          },
          signal: record.controller.signal,
        },
        {
          engines: this.installedEngines,
          storages: this.storages,
          publishers: this.publishers,
          logs: this.logs,
          space: this.space,
          clock: this.clock,
          logger: this.logger,
        },
      )
    } catch (err) {
      // runExecution does not throw; this guards against a bug turning into a silent hang.
      outcome = { kind: 'failed', errorCode: 'InternalError', message: `compute node failed: ${(err as Error).message}` }
    } finally {
      progress.stop()
    }
    this.records.delete(id)
    // Followers see the end of the logs before the outcome, so `logs --follow` ends cleanly.
    this.logs.finish(id)
    switch (outcome.kind) {
      case 'completed':
        this.logger.info(`execution ${id} completed`, { exitCode: outcome.runOutput.ExitCode })
        this.send({ Type: 'RunResult', ExecutionID: id, RunOutput: outcome.runOutput, PublishedResult: outcome.publishedResult })
        this.emit({ ...record, phase: 'completed' }, `exit code ${outcome.runOutput.ExitCode}`)
        break
      case 'failed':
        this.logger.warn(`execution ${id} failed: ${outcome.message}`, { code: outcome.errorCode })
        this.send({
          Type: 'ComputeError',
          ExecutionID: id,
          ErrorCode: outcome.errorCode,
          Message: outcome.message,
          ...(outcome.runOutput ? { RunOutput: outcome.runOutput } : {}),
        })
        this.emit({ ...record, phase: 'failed' }, outcome.message)
        break
      case 'held':
        this.hold(id, { record, runOutput: outcome.runOutput, result: outcome.result })
        this.logger.info(`execution ${id} holds its result for verification`, { digest: outcome.digest })
        this.send({ Type: 'RunResult', ExecutionID: id, RunOutput: outcome.runOutput, PublishedResult: null, ResultDigest: outcome.digest })
        this.emit({ ...record, phase: 'completed' }, `result held for verification (${outcome.digest.slice(0, 19)}…)`)
        break
      case 'cancelled':
        this.logger.info(`execution ${id} cancelled: ${outcome.reason}`)
        this.emit({ ...record, phase: 'cancelled' }, outcome.reason)
        break
    }
    this.buffer.release(id)
    this.slotFreed()
  }

  // ---- verified results -----------------------------------------------------------------------

  /** Keeps a verified execution's result until the requester's verdict; the oldest goes past the bound. */
  private hold(id: string, held: HeldResult): void {
    this.held.set(id, held)
    for (const oldest of this.held.keys()) {
      if (this.held.size <= MAX_HELD_RESULTS) break
      this.held.delete(oldest)
      this.logger.warn(`dropped the held result of ${oldest}: more than ${MAX_HELD_RESULTS} results wait for verification`)
    }
  }

  /** A quorum agrees with the held result: publish it when asked to (one node per partition is), else drop it. */
  private async onResultAccepted(message: MessageOf<'ResultAccepted'>): Promise<void> {
    const id = message.ExecutionID
    const held = this.held.get(id)
    if (!message.Publish) {
      this.held.delete(id)
      return
    }
    if (!held) {
      this.send({ Type: 'ComputeError', ExecutionID: id, ErrorCode: 'NotFound', Message: `node ${this.nodeId} no longer holds the result of execution ${id} (it restarted, or held too many); it cannot publish it` })
      return
    }
    if (held.publishing) return // a repeated verdict after a reconnect
    held.publishing = true
    const { record, runOutput, result } = held
    const type = record.task.Publisher?.Type ?? ''
    const publisher = type === '' ? undefined : this.publishers.get(type)
    try {
      if (type !== '' && !publisher) throw new ShoalError(`node lacks publisher ${type}`)
      this.send({ Type: 'ExecutionStateUpdate', ExecutionID: id, ComputeState: ExecutionState.Publishing, Message: `publishing the verified result with ${type || 'no publisher'}` })
      const signal = this.lifecycle?.signal ?? AbortSignal.abort(new AbortError('compute node stopped'))
      const published = publisher
        ? await publisher.publish({ executionId: id, nodeId: this.nodeId, job: record.job, spec: record.task.Publisher, result: memoryTree(result), signal })
        : null
      this.send({ Type: 'RunResult', ExecutionID: id, RunOutput: runOutput, PublishedResult: published })
    } catch (err) {
      const text = `could not publish the verified result with ${type}: ${(err as Error).message}`
      this.send({ Type: 'ComputeError', ExecutionID: id, ErrorCode: err instanceof ShoalError ? err.code : 'PublishError', Message: text, RunOutput: { ...runOutput, ErrorMsg: text } })
    } finally {
      this.held.delete(id)
    }
  }

  // ---- logs -----------------------------------------------------------------------------------

  private onLogsRequest(message: MessageOf<'LogsRequest'>): void {
    const { RequestID: requestId, ExecutionID: id } = message
    const read = this.logs.read(id, message.Tail)
    if (!read) {
      this.send({
        Type: 'LogsEnd',
        RequestID: requestId,
        Error: `node ${this.nodeId} has no logs of execution ${id}: it never ran here, or its logs were dropped (the node keeps the last ${this.limits.logRetention} executions' logs, in memory)`,
      })
      return
    }
    const line = (entry: { stream: 1 | 2; line: string }) =>
      this.send({ Type: 'LogLine', RequestID: requestId, ExecutionID: id, Stream: entry.stream, Line: entry.line })
    for (const entry of read.entries) line(entry)
    if (!message.Follow || read.finished) {
      this.send({ Type: 'LogsEnd', RequestID: requestId, Error: '' })
      return
    }
    this.follows.get(requestId)?.()
    const stop = this.logs.follow(id, {
      onLine: line,
      onEnd: () => {
        this.follows.delete(requestId)
        this.send({ Type: 'LogsEnd', RequestID: requestId, Error: '' })
      },
    })
    this.follows.set(requestId, stop)
  }

  // ---- helpers --------------------------------------------------------------------------------

  private summary(record: ExecutionRecord, message: string): ExecutionSummary {
    return { executionId: record.execution.ID, jobId: record.job.ID, phase: record.phase, resources: { ...record.resources }, message }
  }

  private emit(record: ExecutionRecord, message: string): void {
    this.dispatchEvent(new CustomEvent('execution', { detail: this.summary(record, message) }))
  }

  private setStatus(status: ComputeNodeStatus, requester?: string): void {
    if (status === this.currentStatus && status !== 'connected') return
    this.currentStatus = status
    this.dispatchEvent(new CustomEvent('status', { detail: { status, membership: this.membership, requester } satisfies StatusDetail }))
  }

  private sleep(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal.aborted) return resolve()
      const timer = this.clock.setTimeout(() => {
        signal.removeEventListener('abort', onAbort)
        resolve()
      }, ms)
      const onAbort = () => {
        this.clock.clearTimeout(timer)
        resolve()
      }
      signal.addEventListener('abort', onAbort, { once: true })
    })
  }
}

/** A task from the wire with every collection present, so the pipeline needs no guards. */
function normalizeTask(task: Task): Task {
  return {
    ...task,
    Name: task.Name ?? 'main',
    Engine: task.Engine ?? { Type: '', Params: {} },
    Publisher: task.Publisher ?? { Type: '', Params: {} },
    Env: task.Env ?? {},
    Meta: task.Meta ?? {},
    InputSources: task.InputSources ?? [],
    ResultPaths: task.ResultPaths ?? [],
    Resources: task.Resources ?? {},
    Network: task.Network ?? { Type: 'None' },
    Timeouts: task.Timeouts ?? {},
  }
}

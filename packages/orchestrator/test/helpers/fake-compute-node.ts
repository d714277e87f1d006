import type { Execution, NodeInfo, PluginOff, Resources, RunCommandResult } from '@shoal/models'
import { ExecutionState } from '@shoal/models'
import type { Clock } from '@shoal/interface'
import { systemClock } from '@shoal/interface'
import { generateNodeKey, signHandshakeProof, type Connection, type MemoryNetwork, type Message, type MessageOf, type NodeKey, type OutgoingMessage } from '@shoal/protocol'

/** What a fake node does with a bid request. */
export type BidPolicy = 'accept' | 'reject' | ((execution: Execution) => { accept: boolean; reason?: string; busy?: boolean })

/** What a fake node does once its bid is accepted: finish at once, fail at once, or wait for the test. */
export type RunPolicy = 'complete' | 'fail' | 'hang' | ((execution: Execution) => 'complete' | 'fail' | 'hang')

/** Options of a FakeComputeNode. */
export interface FakeComputeNodeOptions {
  network: MemoryNetwork
  /** The requester's memory listener address. */
  address: string
  nodeId: string
  engines?: string[]
  publishers?: string[]
  storageSources?: string[]
  /** Plug-ins the node advertises as off, with why (ComputeNodeInfo.PluginsOff). */
  pluginsOff?: PluginOff[]
  labels?: Record<string, string>
  /** MaxCapacity (default 4 CPU, 8 GB memory, 100 GB disk, 0 GPU). */
  capacity?: Partial<Resources>
  joinToken?: string
  /** Drives heartbeats; heartbeats are off unless a clock is given or `heartbeats` is true. */
  clock?: Clock
  heartbeats?: boolean
  bid?: BidPolicy
  run?: RunPolicy
  /** Send ExecutionStateUpdate Running before finishing (default true). */
  reportRunning?: boolean
  /** Log lines served for LogsRequest. */
  logs?: (executionId: string) => Array<{ stream: 1 | 2; line: string }>
  /** Executions reported in the Handshake as still running (reconnect after a restart). */
  runningExecutions?: string[]
  /** The node's identity key (default: a new one per FakeComputeNode; pass the same key to come back as the same node). */
  key?: NodeKey
  /** Signs the Challenge with this key while sending `key`'s public key (a node that cannot prove its key). */
  signWith?: NodeKey
}

/** One execution as the fake node sees it. */
export interface FakeExecution {
  execution: Execution
  state: 'bidding' | 'running' | 'completed' | 'failed' | 'cancelled' | 'rejected'
}

/**
 * A compute node for requester tests: dials a MemoryNetwork listener, handshakes with the given
 * engines, labels and capacity, bids by policy, and completes, fails or holds executions on
 * command. Everything it receives is kept in `received`.
 */
export class FakeComputeNode {
  readonly nodeId: string
  readonly received: Message[] = []
  readonly executions = new Map<string, FakeExecution>()
  handshake?: MessageOf<'HandshakeResponse'>
  private readonly options: FakeComputeNodeOptions
  private connection?: Connection
  private heartbeatTimer?: unknown
  private heartbeatSeq = 0
  private waiters: Array<{ test: (m: Message) => boolean; resolve: (m: Message) => void }> = []
  private heartbeating = false

  constructor(options: FakeComputeNodeOptions) {
    this.options = options
    this.nodeId = options.nodeId
  }

  /** The NodeInfo sent in the handshake. */
  nodeInfo(): NodeInfo {
    const o = this.options
    const max: Resources = { CPU: 4, Memory: 8e9, Disk: 100e9, GPU: 0, ...o.capacity }
    return {
      NodeID: o.nodeId,
      NodeType: 'Compute',
      Labels: o.labels ?? {},
      ComputeNodeInfo: {
        ExecutionEngines: o.engines ?? ['wasm', 'docker', 'noop'],
        Publishers: o.publishers ?? ['local', 'noop', 'ipfs', 's3'],
        StorageSources: o.storageSources ?? ['inline', 'urlDownload', 'ipfs', 's3', 'local'],
        ...(o.pluginsOff ? { PluginsOff: o.pluginsOff } : {}),
        MaxCapacity: max,
        AvailableCapacity: max,
        QueueUsedCapacity: { CPU: 0, Memory: 0, Disk: 0, GPU: 0 },
        MaxJobRequirements: max,
        RunningExecutions: 0,
        EnqueuedExecutions: 0,
      },
    }
  }

  /** The identity key this node proves (made on first start unless given). */
  key?: NodeKey

  /** Connects and handshakes (answering the requester's Challenge); resolves with the HandshakeResponse. */
  async start(): Promise<MessageOf<'HandshakeResponse'>> {
    this.key ??= this.options.key ?? (await generateNodeKey())
    const seen = this.received.length
    const connection = await this.options.network.dialer(this.nodeId).dial(this.options.address)
    this.connection = connection
    connection.attach({
      onMessage: (message) => this.onMessage(message),
      onClose: () => this.stopHeartbeats(),
    })
    const challenge = (this.received.slice(seen).find((m) => m.Type === 'Challenge') ??
      (await this.next((m) => m.Type === 'Challenge'))) as MessageOf<'Challenge'>
    const signature = await signHandshakeProof(this.options.signWith ?? this.key, { requesterId: challenge.RequesterID, nonce: challenge.Nonce, nodeId: this.nodeId })
    const response = this.next((m) => m.Type === 'HandshakeResponse')
    await this.send({
      Type: 'Handshake',
      NodeInfo: this.nodeInfo(),
      ...(this.options.joinToken !== undefined ? { JoinToken: this.options.joinToken } : {}),
      PublicKey: this.key.publicKey,
      Signature: signature,
      RunningExecutions: this.options.runningExecutions ?? [],
    })
    this.handshake = (await response) as MessageOf<'HandshakeResponse'>
    if (this.handshake.Accepted && (this.options.clock || this.options.heartbeats)) {
      this.heartbeating = true
      this.scheduleHeartbeat()
    }
    return this.handshake
  }

  /** Sends a message as this node. */
  async send(message: OutgoingMessage): Promise<void> {
    await this.connection!.send(message)
  }

  /** Delivers a raw frame to the requester, bypassing encoding (for malformed input). */
  sendRaw(frame: string): void {
    // The peer of our end is the requester's end; MemoryConnection exposes deliver on it.
    const peer = (this.connection as unknown as { peer: { deliver(frame: string): void } }).peer
    peer.deliver(frame)
  }

  /** Resolves with the next received message passing `test` (or one already received, when `past`). */
  next(test: (m: Message) => boolean, past = false): Promise<Message> {
    if (past) {
      const found = this.received.find(test)
      if (found) return Promise.resolve(found)
    }
    return new Promise((resolve) => this.waiters.push({ test, resolve }))
  }

  /** Messages of one type received so far. */
  receivedOf<T extends Message['Type']>(type: T): MessageOf<T>[] {
    return this.received.filter((m) => m.Type === type) as MessageOf<T>[]
  }

  /** Executions in a given state. */
  executionsIn(state: FakeExecution['state']): Execution[] {
    return [...this.executions.values()].filter((e) => e.state === state).map((e) => e.execution)
  }

  /** Finishes an execution with a result. */
  async complete(executionId: string, output: Partial<RunCommandResult> = {}, published?: { Type: string; Params: Record<string, unknown> }): Promise<void> {
    this.mark(executionId, 'completed')
    await this.send({
      Type: 'RunResult',
      ExecutionID: executionId,
      RunOutput: { Stdout: '', StdoutTruncated: false, stderr: '', StderrTruncated: false, ExitCode: 0, ErrorMsg: '', ...output },
      PublishedResult: published ?? { Type: 'local', Params: { URL: `http://127.0.0.1/results/${executionId}.tar.gz` } },
    })
  }

  /** Fails an execution with an error message. */
  async fail(executionId: string, message = 'the module trapped: unreachable'): Promise<void> {
    this.mark(executionId, 'failed')
    await this.send({ Type: 'ComputeError', ExecutionID: executionId, ErrorCode: 'ExecutionError', Message: message })
  }

  /** Stops sending heartbeats (the connection stays open, as with a frozen tab). */
  stopHeartbeats(): void {
    this.heartbeating = false
    if (this.heartbeatTimer !== undefined) (this.options.clock ?? systemClock).clearTimeout(this.heartbeatTimer)
    this.heartbeatTimer = undefined
  }

  /** Says Goodbye and closes, as a node shutting down cleanly. */
  async goodbye(reason = 'shutting down'): Promise<void> {
    await this.send({ Type: 'Goodbye', Reason: reason })
    await this.close()
  }

  /** Closes the connection without a word (a crash or a closed tab). */
  async close(): Promise<void> {
    this.stopHeartbeats()
    await this.connection?.close('node went away')
  }

  private mark(executionId: string, state: FakeExecution['state']): void {
    const entry = this.executions.get(executionId)
    if (entry) entry.state = state
  }

  private scheduleHeartbeat(): void {
    const clock = this.options.clock ?? systemClock
    this.heartbeatTimer = clock.setTimeout(() => {
      if (!this.heartbeating || this.connection?.closed) return
      void this.send({
        Type: 'Heartbeat',
        Seq: ++this.heartbeatSeq,
        AvailableCapacity: this.nodeInfo().ComputeNodeInfo!.AvailableCapacity,
        RunningExecutions: this.executionsIn('running').length,
      }).catch(() => {})
      this.scheduleHeartbeat()
    }, this.handshake?.HeartbeatIntervalMs ?? 1000)
  }

  private onMessage(message: Message): void {
    this.received.push(message)
    for (const waiter of [...this.waiters]) {
      if (waiter.test(message)) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1)
        waiter.resolve(message)
      }
    }
    void this.react(message).catch(() => {})
  }

  private async react(message: Message): Promise<void> {
    switch (message.Type) {
      case 'AskForBid': {
        const execution = message.Execution
        const policy = this.options.bid ?? 'accept'
        const decision: { accept: boolean; reason?: string; busy?: boolean } =
          typeof policy === 'function' ? policy(execution) : { accept: policy === 'accept', reason: policy === 'reject' ? 'node is busy' : '' }
        this.executions.set(execution.ID, { execution, state: decision.accept ? 'bidding' : 'rejected' })
        await this.send({ Type: 'BidResult', ExecutionID: execution.ID, Accepted: decision.accept, Reason: decision.reason ?? '', ...(decision.busy ? { Busy: true } : {}) })
        return
      }
      case 'BidAccepted': {
        const entry = this.executions.get(message.ExecutionID)
        if (!entry) return
        entry.state = 'running'
        if (this.options.reportRunning ?? true) {
          await this.send({ Type: 'ExecutionStateUpdate', ExecutionID: message.ExecutionID, ComputeState: ExecutionState.Running, Message: '' })
        }
        const policy = this.options.run ?? 'complete'
        const action = typeof policy === 'function' ? policy(entry.execution) : policy
        if (action === 'complete') await this.complete(message.ExecutionID, { Stdout: `partition ${entry.execution.PartitionIndex}\n` })
        else if (action === 'fail') await this.fail(message.ExecutionID)
        return
      }
      case 'BidRejected':
        this.mark(message.ExecutionID, 'rejected')
        return
      case 'CancelExecution':
        this.mark(message.ExecutionID, 'cancelled')
        return
      case 'LogsRequest': {
        const lines = this.options.logs?.(message.ExecutionID) ?? []
        const tail = message.Tail ?? lines.length
        for (const l of lines.slice(Math.max(0, lines.length - tail))) {
          await this.send({ Type: 'LogLine', RequestID: message.RequestID, ExecutionID: message.ExecutionID, Stream: l.stream, Line: l.line })
        }
        if (!message.Follow) await this.send({ Type: 'LogsEnd', RequestID: message.RequestID, Error: '' })
        return
      }
      default:
        return
    }
  }
}

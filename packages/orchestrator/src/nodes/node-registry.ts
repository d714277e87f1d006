import type { NodeInfo, NodeMembership, NodeState, Resources } from '@shoal/models'
import { NotFoundError, nextReputation } from '@shoal/models'
import type { Clock, JobStore, Logger } from '@shoal/interface'
import type { Connection, OutgoingMessage } from '@shoal/protocol'
import type { NodeCandidate } from '../scheduler/node-selector.ts'
import { addResources, subtractResources, zeroResources } from '@shoal/models'
import { explainMissedHeartbeats } from '../explain.ts'

/** A node as the registry holds it: its state plus what only exists while it is connected. */
export interface LiveNode {
  state: NodeState
  connection?: Connection
  /** Resources of the node's active executions, by execution ID. */
  allocations: Map<string, Resources>
  /** Sum of `allocations`. */
  used: Resources
  heartbeatTimer?: unknown
  /** Set after a requester restart until the node reconnects or its grace period ends. */
  reconnectTimer?: unknown
  lastPersistedHeartbeat: number
  /** Bumped whenever the node (re)joins or changes its info: bids it declined in an older generation no longer count. */
  generation: number
  /** Placement sequence number of the node's latest execution (0 = none yet): nodes take turns. */
  lastPlacement?: number
}

/** Settings of the registry. */
export interface NodeRegistryInit {
  heartbeatIntervalMs: number
  /** Heartbeats missed before the node counts as disconnected. */
  missedHeartbeats: number
  /**
   * After a requester restart, how long a node that was connected has to come back before its
   * executions count as lost (at least the heartbeat timeout). It must outlast the nodes'
   * reconnect back-off: a node that comes back later finds its work failed and rerun elsewhere.
   */
  restartGraceMs?: number
  /** Called when a node is lost (heartbeats stopped, connection closed, Goodbye, no reconnect). */
  onLost(nodeId: string, why: string): void
}

const HEARTBEAT_PERSIST_MS = 30_000

/**
 * The live node registry: who is connected on which connection, membership, last heartbeat,
 * and free capacity (MaxCapacity minus the resources of active executions). Node states are
 * written to the store on every change that matters (connect, disconnect, membership, info)
 * and heartbeats at most every 30 s, so the API's node list survives a restart.
 */
export class NodeRegistry {
  private readonly store: JobStore
  private readonly clock: Clock
  private readonly logger: Logger
  private readonly init: NodeRegistryInit
  private readonly nodes = new Map<string, LiveNode>()
  private readonly executionNodes = new Map<string, string>()
  /** Counts placements, so each node knows how recently it was given work. */
  private placements = 0

  constructor(components: { store: JobStore; clock: Clock; logger: Logger }, init: NodeRegistryInit) {
    this.store = components.store
    this.clock = components.clock
    this.logger = components.logger
    this.init = init
  }

  /** Time without heartbeat after which a node is lost. */
  get heartbeatTimeoutMs(): number {
    return this.init.heartbeatIntervalMs * this.init.missedHeartbeats
  }

  /**
   * Loads known nodes after a (re)start. Nodes that were connected get one heartbeat timeout to
   * come back before they are lost (and their executions rescheduled).
   */
  async load(): Promise<void> {
    let nextToken = ''
    for (let page = 0; page < 10_000; page++) {
      const result = await this.store.listNodes({ limit: 500, nextToken })
      for (const state of result.Items) {
        const wasConnected = state.ConnectionState.Status === 'CONNECTED'
        const node: LiveNode = {
          state: { ...state, ConnectionState: { ...state.ConnectionState, Status: 'DISCONNECTED' } },
          allocations: new Map(),
          used: zeroResources(),
          lastPersistedHeartbeat: 0,
          generation: 0,
        }
        if (wasConnected) {
          node.reconnectTimer = this.clock.setTimeout(() => {
            node.reconnectTimer = undefined
            if (!node.connection) this.init.onLost(state.Info.NodeID, 'did not reconnect after the requester restarted')
          }, Math.max(this.heartbeatTimeoutMs, this.init.restartGraceMs ?? 0))
        }
        this.nodes.set(state.Info.NodeID, node)
      }
      nextToken = result.NextToken
      if (!nextToken) break
    }
  }

  /** Clears timers (connections are closed by the requester). */
  stop(): void {
    for (const node of this.nodes.values()) {
      if (node.heartbeatTimer !== undefined) this.clock.clearTimeout(node.heartbeatTimer)
      if (node.reconnectTimer !== undefined) this.clock.clearTimeout(node.reconnectTimer)
      node.heartbeatTimer = node.reconnectTimer = undefined
    }
  }

  /** A node by ID. */
  get(nodeId: string): LiveNode | undefined {
    return this.nodes.get(nodeId)
  }

  /** Every node's state, with live free capacity. */
  states(): NodeState[] {
    return [...this.nodes.values()].map((n) => this.withLiveCapacity(n))
  }

  /** Nodes as the scheduler sees them (fresh copies it may modify). */
  candidates(): NodeCandidate[] {
    const out: NodeCandidate[] = []
    for (const node of this.nodes.values()) {
      out.push({
        state: node.state,
        connected: node.connection !== undefined,
        reconnecting: node.connection === undefined && node.reconnectTimer !== undefined,
        free: this.freeOf(node),
        activeExecutions: node.allocations.size,
        generation: node.generation,
        lastPlacement: node.lastPlacement ?? 0,
      })
    }
    return out
  }

  /** Connected, or expected back after a requester restart. */
  isAlive(nodeId: string): boolean {
    const node = this.nodes.get(nodeId)
    return node !== undefined && (node.connection !== undefined || node.reconnectTimer !== undefined)
  }

  /** The connection of a connected node. */
  connectionOf(nodeId: string): Connection | undefined {
    return this.nodes.get(nodeId)?.connection
  }

  /**
   * The key `nodeId` is bound to when it is not `publicKey` (a node claiming another's ID), else
   * undefined: a new node, or one stored before keys were bound, takes the key it connects with.
   * Synchronous, so a check and the `connect` after it cannot interleave with another handshake.
   */
  boundKeyOtherThan(nodeId: string, publicKey: string): string | undefined {
    const bound = this.nodes.get(nodeId)?.state.Identity?.PublicKey
    return bound !== undefined && bound !== publicKey ? bound : undefined
  }

  /** Counts a connection refused for claiming `nodeId` without its key, and stores why (shown by `node describe`). */
  async recordRefusal(nodeId: string, remoteAddress: string, reason: string): Promise<void> {
    const node = this.nodes.get(nodeId)
    if (!node?.state.Identity) return
    const identity = node.state.Identity
    node.state = {
      ...node.state,
      Identity: {
        ...identity,
        RefusedConnections: (identity.RefusedConnections ?? 0) + 1,
        LastRefusal: { Time: new Date(this.clock.now()).toISOString(), RemoteAddress: remoteAddress, Reason: reason },
      },
    }
    await this.persist(node)
  }

  /**
   * Registers a node that completed its handshake on `connection`, proving `publicKey`: its ID is
   * bound to that key from now on (callers check `boundKeyOtherThan` first). A previous connection
   * of the same node is closed (the new one replaces it). Returns the live node.
   */
  async connect(info: NodeInfo, connection: Connection, membership: NodeMembership, publicKey: string): Promise<LiveNode> {
    const now = new Date(this.clock.now()).toISOString()
    let node = this.nodes.get(info.NodeID)
    const previous = node?.connection
    if (!node) {
      node = { state: { Info: info, Membership: membership, ConnectionState: { Status: 'CONNECTED' } }, allocations: new Map(), used: zeroResources(), lastPersistedHeartbeat: 0, generation: 0 }
      this.nodes.set(info.NodeID, node)
    }
    if (node.reconnectTimer !== undefined) this.clock.clearTimeout(node.reconnectTimer)
    node.reconnectTimer = undefined
    node.connection = connection
    node.state = {
      Info: info,
      Membership: membership,
      ConnectionState: { Status: 'CONNECTED', ConnectedSince: now, LastHeartbeat: now },
      Identity: node.state.Identity ?? { PublicKey: publicKey, BoundAt: now },
      // A reconnect does not wash a record of disagreeing results.
      ...(node.state.Reputation ? { Reputation: node.state.Reputation } : {}),
    }
    node.lastPersistedHeartbeat = this.clock.now()
    node.generation++
    this.armHeartbeat(node)
    if (previous && previous !== connection) void previous.close('replaced by a new connection of the same node')
    await this.persist(node)
    return node
  }

  /**
   * Marks a node disconnected (its connection, if `connection` is given, must be the current
   * one). Returns false when it was not connected on it.
   */
  async disconnect(nodeId: string, why: string, connection?: Connection): Promise<boolean> {
    const node = this.nodes.get(nodeId)
    if (!node || !node.connection || (connection && node.connection !== connection)) return false
    const current = node.connection
    node.connection = undefined
    if (node.heartbeatTimer !== undefined) this.clock.clearTimeout(node.heartbeatTimer)
    node.heartbeatTimer = undefined
    node.state = {
      ...node.state,
      ConnectionState: { ...node.state.ConnectionState, Status: 'DISCONNECTED', DisconnectedSince: new Date(this.clock.now()).toISOString(), LastError: why },
    }
    if (!current.closed) void current.close(why)
    await this.persist(node)
    return true
  }

  /** Records a heartbeat; returns whether the node's free capacity may have grown. */
  async heartbeat(nodeId: string, available: Resources): Promise<{ capacityGrew: boolean }> {
    const node = this.nodes.get(nodeId)
    if (!node) return { capacityGrew: false }
    const info = node.state.Info
    const before = info.ComputeNodeInfo?.AvailableCapacity
    const grew =
      before === undefined || available.CPU > before.CPU || available.Memory > before.Memory || available.Disk > before.Disk || available.GPU > before.GPU
    const now = this.clock.now()
    node.state = {
      ...node.state,
      Info: info.ComputeNodeInfo ? { ...info, ComputeNodeInfo: { ...info.ComputeNodeInfo, AvailableCapacity: available } } : info,
      ConnectionState: { ...node.state.ConnectionState, LastHeartbeat: new Date(now).toISOString() },
    }
    this.armHeartbeat(node)
    if (now - node.lastPersistedHeartbeat >= HEARTBEAT_PERSIST_MS) {
      node.lastPersistedHeartbeat = now
      await this.persist(node)
    }
    return { capacityGrew: grew }
  }

  /** Replaces a node's info (labels, engines, capacity changed). */
  async updateInfo(nodeId: string, info: NodeInfo): Promise<void> {
    const node = this.nodes.get(nodeId)
    if (!node) return
    node.state = { ...node.state, Info: { ...info, NodeID: nodeId } }
    node.generation++
    await this.persist(node)
  }

  /** Changes a node's membership (approve/reject). */
  async setMembership(nodeId: string, membership: NodeMembership): Promise<NodeState> {
    const node = this.nodes.get(nodeId)
    if (!node) throw new NotFoundError(`node ${nodeId} not found`, { hint: 'list nodes with `shoal node list`' })
    node.state = { ...node.state, Membership: membership }
    await this.persist(node)
    return node.state
  }

  /** Records verified-job verdicts on nodes' results (agreement raises reputation, disagreement lowers it). */
  async recordVerdicts(verdicts: ReadonlyArray<{ nodeId: string; agreed: boolean }>): Promise<void> {
    for (const { nodeId, agreed } of verdicts) {
      const node = this.nodes.get(nodeId)
      if (!node) continue
      node.state = { ...node.state, Reputation: nextReputation(node.state.Reputation, agreed) }
      await this.persist(node)
    }
  }

  /** Forgets a node (its connection, if any, is closed by the caller). */
  async remove(nodeId: string): Promise<void> {
    const node = this.nodes.get(nodeId)
    if (node?.heartbeatTimer !== undefined) this.clock.clearTimeout(node.heartbeatTimer)
    if (node?.reconnectTimer !== undefined) this.clock.clearTimeout(node.reconnectTimer)
    this.nodes.delete(nodeId)
    try {
      await this.store.deleteNode(nodeId)
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err
    }
  }

  /** Books an execution's resources on its node. */
  allocate(nodeId: string, executionId: string, resources: Resources): void {
    const node = this.nodes.get(nodeId)
    if (!node || node.allocations.has(executionId)) return
    node.allocations.set(executionId, resources)
    node.used = addResources(node.used, resources)
    node.lastPlacement = ++this.placements
    this.executionNodes.set(executionId, nodeId)
  }

  /** Frees an execution's resources; returns the node it was on. */
  release(executionId: string): string | undefined {
    const nodeId = this.executionNodes.get(executionId)
    if (nodeId === undefined) return undefined
    this.executionNodes.delete(executionId)
    const node = this.nodes.get(nodeId)
    const resources = node?.allocations.get(executionId)
    if (node && resources) {
      node.allocations.delete(executionId)
      node.used = node.allocations.size === 0 ? zeroResources() : subtractResources(node.used, resources)
    }
    return nodeId
  }

  /** Sends a message to a connected node; false when it is not connected. */
  send(nodeId: string, message: OutgoingMessage): boolean {
    const connection = this.nodes.get(nodeId)?.connection
    if (!connection || connection.closed) return false
    connection.send(message).catch((err: Error) => {
      this.logger.warn('could not send to node', { nodeId, type: message.Type, error: err.message })
    })
    return true
  }

  private freeOf(node: LiveNode): Resources {
    return subtractResources(node.state.Info.ComputeNodeInfo?.MaxCapacity ?? zeroResources(), node.used)
  }

  private withLiveCapacity(node: LiveNode): NodeState {
    const info = node.state.Info
    if (!info.ComputeNodeInfo) return node.state
    return {
      ...node.state,
      Info: { ...info, ComputeNodeInfo: { ...info.ComputeNodeInfo, RunningExecutions: node.allocations.size } },
    }
  }

  private armHeartbeat(node: LiveNode, timeoutMs = this.heartbeatTimeoutMs, stallChecked = false): void {
    if (node.heartbeatTimer !== undefined) this.clock.clearTimeout(node.heartbeatTimer)
    const nodeId = node.state.Info.NodeID
    const due = this.clock.now() + timeoutMs
    node.heartbeatTimer = this.clock.setTimeout(() => {
      node.heartbeatTimer = undefined
      if (!node.connection) return
      // Fired more than an interval late: this process stalled (a long store write, a starved
      // CPU), and the node's heartbeats may be sitting unread in its connection. Read them for
      // one interval before declaring the node lost and running its work again elsewhere.
      const lateMs = this.clock.now() - due
      if (!stallChecked && lateMs > this.init.heartbeatIntervalMs) {
        this.logger.warn('heartbeat check ran late: this process stalled; reading the node\'s heartbeats before declaring it lost', { nodeId, lateMs })
        this.armHeartbeat(node, this.init.heartbeatIntervalMs, true)
        return
      }
      this.init.onLost(nodeId, explainMissedHeartbeats(this.init.missedHeartbeats, this.init.heartbeatIntervalMs))
    }, timeoutMs)
  }

  private async persist(node: LiveNode): Promise<void> {
    try {
      await this.store.putNode(node.state)
    } catch (err) {
      this.logger.warn('could not store node state', { nodeId: node.state.Info.NodeID, error: (err as Error).message })
    }
  }
}

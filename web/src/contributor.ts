import { ComputeNode, MemoryVolumeSpace, pluginsOff, type ExecutionSummary, type StatusDetail } from '@shoal/compute'
import { readUnixfs } from '@shoal/ipfs'
import { createRoutingDialer, createWebSocketDialer, isWebSocketAddress, type Dialer, type NodeKey } from '@shoal/protocol'
import type { Logger, PluginKind } from '@shoal/interface'
import type { OpfsVolumeSpace } from './opfs-volume-space.ts'
import { createComputeLibp2p, createLibp2pDialer, devConnectionGater, type Libp2p } from '@shoal/transport-libp2p'
import type { ContributionPhase, ContributorSnapshot, RecentJob, TransportInUse } from './contributor-state.ts'
import { createTabHelia, type TabHelia } from './tab-helia.ts'
import { assembleTabPlugins } from './tab-plugins.ts'
import type { WorkerShareEngine } from './worker-share.ts'

/** Recent executions kept for the page. */
const RECENT_JOBS = 10

/** Options of a Contributor. */
export interface ContributorInit {
  nodeId: string
  /** The key the node ID is bound to at the requester (kept with the ID; default: a new one per start). */
  identity?: NodeKey
  /** Requester addresses, in the order tried: multiaddrs (libp2p) and ws(s):// URLs (its compute WebSocket). */
  requesterAddresses: string[]
  /** Asks the requester for its current addresses before reconnecting (a restart changes the certhash). */
  refreshAddresses?: (signal: AbortSignal) => Promise<string[]>
  /** URL of the WASM engine's worker script (Vite's `?worker&url`). */
  workerUrl: URL
  workers: number
  maxWorkers: number
  memoryBytes: number
  /** Where jobs' inputs and outputs are kept: the page's OPFS (default: memory, when the browser has no OPFS). */
  space?: OpfsVolumeSpace
  iceServers: RTCIceServer[]
  /**
   * The requester's API URL, whose trustless gateway (`/ipfs/`) gives the tab IPFS blocks that
   * no peer it is connected to holds; none when the tab was given a multiaddr only.
   */
  gatewayUrl?: string
  /** Whether the browser has WebRTC; without it the tab dials WebSockets only (default true). */
  webrtc?: boolean
  /** Allow loopback, private and ws:// addresses (development and tests). */
  dev: boolean
  startPaused?: boolean
  /** Labels besides runtime=browser. */
  labels?: Record<string, string>
  /** Plug-in types the page turned off (`?disabled-engines=` …), advertised as off with why. */
  disabledPlugins?: Partial<Record<PluginKind, readonly string[]>>
  /** Hosts `urlDownload` and `s3PreSigned` inputs may fetch although private or loopback (tests, a LAN's S3). */
  allowUrlHosts?: string[]
  version?: string
  logger?: Logger
}

/**
 * This tab as a compute node: a libp2p node on the page (WebRTC-direct, WebRTC, WebSockets,
 * circuit relay), a light Helia node on it (the `ipfs` input and publisher), the WASM engine in a
 * pool of Web Workers, and the ComputeNode that bids and runs jobs. Fires `change` whenever the snapshot the page shows changed.
 */
export class Contributor extends EventTarget {
  private readonly init: ContributorInit
  private libp2p?: Libp2p
  private helia?: TabHelia
  private node?: ComputeNode
  private engine?: WorkerShareEngine
  private state: ContributorSnapshot
  /** Executions queued or running here now, and since when. */
  private readonly live = new Map<string, { state: 'queued' | 'running'; since: number }>()
  private leaving?: Promise<void>

  constructor(init: ContributorInit) {
    super()
    this.init = init
    this.state = {
      phase: 'starting',
      nodeId: init.nodeId,
      counts: { completed: 0, running: 0, failed: 0, queued: 0 },
      recent: [],
      workers: init.workers,
      maxWorkers: init.maxWorkers,
      memoryBytes: init.memoryBytes,
    }
  }

  /** The current snapshot (a copy). */
  snapshot(): ContributorSnapshot {
    return structuredClone(this.state)
  }

  /** Starts the libp2p node, the engine and the compute node, and dials the requester. */
  async start(): Promise<void> {
    const init = this.init
    try {
      this.libp2p ??= await createComputeLibp2p({
        // 'browser' refuses to start without RTCPeerConnection (it guards against Web Workers).
        // A page without WebRTC still has WebSockets: skip that guard, and the requester
        // addresses it was given are WebSockets ones only (dialOrder with webrtc: false).
        transports: init.webrtc === false ? 'node' : 'browser',
        iceServers: init.iceServers,
        connectionGater: init.dev ? devConnectionGater() : undefined,
      })
    } catch (err) {
      this.update({ phase: 'disconnected', reason: (err as Error).message })
      throw err
    }
    this.update({ peerId: this.libp2p.peerId.toString() })
    const helia = (this.helia ??= await this.startHelia(this.libp2p))
    const unixfs = readUnixfs(helia)
    this.init.space?.setReadOther(unixfs)
    const space = this.init.space ?? new MemoryVolumeSpace({ readOther: unixfs })
    // Which engines, input sources and publishers the tab offers: tab-plugins.ts decides.
    let plugins: Awaited<ReturnType<typeof assembleTabPlugins>>
    try {
      plugins = await assembleTabPlugins(
        {
          helia,
          workerUrl: init.workerUrl,
          maxWorkers: init.maxWorkers,
          workers: init.workers,
          opfs: init.space?.kind === 'opfs',
          allowUrlHosts: init.allowUrlHosts,
          space,
          // An s3 result goes up through URLs the requester presigns: a tab holds no S3 credentials.
          requestUploadGrant: (executionId, size, options) => node.requestUploadGrant(executionId, size, options),
        },
        init.disabledPlugins,
      )
    } catch (err) {
      this.update({ phase: 'disconnected', reason: (err as Error).message })
      throw err
    }
    this.engine = plugins.share
    const node: ComputeNode = new ComputeNode({
      nodeId: init.nodeId,
      identity: init.identity,
      labels: { ...init.labels, runtime: 'browser' },
      engines: plugins.engines,
      storages: plugins.storages,
      publishers: plugins.publishers,
      pluginsOff: pluginsOff(plugins.statuses),
      // Job data in OPFS when the page has it; `ipfs` inputs are read block by block through the tab's Helia.
      space,
      capacity: this.capacity(init.workers),
      // One execution per worker of the share: more would wait for a worker.
      executionSlots: init.workers,
      dialer: this.watchTransport(
        createRoutingDialer([
          // The requester's plain compute WebSocket (what an edge requester offers), else libp2p.
          { matches: isWebSocketAddress, dialer: createWebSocketDialer() },
          { matches: () => true, dialer: createLibp2pDialer({ libp2p: this.libp2p }) },
        ]),
      ),
      requesterAddresses: init.requesterAddresses,
      refreshAddresses: init.refreshAddresses,
      // A tab that loses its connection should be back fast: the requester is usually its origin.
      reconnect: { initialDelayMs: 250, maxDelayMs: 10_000 },
      version: init.version,
      logger: init.logger,
    })
    node.addEventListener('status', (event) => this.onStatus(event.detail))
    node.addEventListener('execution', (event) => this.onExecution(event.detail))
    if (init.startPaused) node.pause()
    this.node = node
    await node.start()
  }

  /** Changes the CPU share: how many jobs run at once, offered to the requester as CPU. */
  setWorkers(workers: number): void {
    const clamped = Math.min(this.init.maxWorkers, Math.max(1, Math.round(workers)))
    this.engine?.setWorkers(clamped)
    this.node?.setExecutionSlots(clamped)
    this.node?.setCapacity(this.capacity(clamped))
    this.update({ workers: clamped })
  }

  /** Stops taking new jobs; running ones finish. */
  pause(): void {
    this.node?.pause()
    if (this.state.phase === 'contributing') this.update({ phase: 'paused' })
  }

  /** Takes jobs again. */
  resume(): void {
    this.node?.resume()
    if (this.state.phase === 'paused') this.update({ phase: 'contributing' })
  }

  /** Whether new jobs are refused. */
  get paused(): boolean {
    return this.node?.isPaused ?? false
  }

  /**
   * Leaves the network now: running jobs are stopped and the requester is told (Goodbye), so it
   * reschedules them at once instead of waiting for missed heartbeats.
   */
  leave(reason: string): Promise<void> {
    const node = this.node
    if (!node || this.leaving) return this.leaving ?? Promise.resolve()
    this.update({ phase: 'left', reason })
    this.leaving = node.stop({ goodbye: true, reason }).finally(() => (this.leaving = undefined))
    return this.leaving
  }

  /** Joins again after leave() (the tab became visible again). */
  async rejoin(): Promise<void> {
    await this.leaving
    if (!this.node || this.node.status !== 'stopped') return
    this.update({ phase: 'connecting', reason: undefined })
    await this.node.start()
  }

  /**
   * The tab's IPFS node, over the page's libp2p: blocks in IndexedDB, or in memory where the
   * page has no IndexedDB (some private modes), which bounds what it can hold by the tab's heap.
   */
  private async startHelia(libp2p: Libp2p): Promise<TabHelia> {
    try {
      return await createTabHelia({ libp2p, nodeId: this.init.nodeId, gatewayUrl: this.init.gatewayUrl })
    } catch (err) {
      this.init.logger?.warn('IndexedDB unavailable; keeping IPFS blocks in memory', { error: (err as Error).message })
      return createTabHelia({ libp2p, nodeId: this.init.nodeId, gatewayUrl: this.init.gatewayUrl, blockstore: 'memory' })
    }
  }

  private capacity(workers: number) {
    // Disk is the OPFS budget the tab keeps job data in (0 without OPFS: data stays in memory).
    const disk = this.init.space?.kind === 'opfs' ? this.init.space.usage().totalBytes : 0
    return { CPU: workers, Memory: this.init.memoryBytes, Disk: disk, GPU: 0 }
  }

  /** Wraps the dialer to learn which transport each connection to the requester uses. */
  private watchTransport(dialer: Dialer): Dialer {
    return {
      dial: async (address, options) => {
        const connection = await dialer.dial(address, options)
        this.update({ transport: connection.transport as TransportInUse, requester: address })
        return connection
      },
    }
  }

  private onStatus(detail: StatusDetail): void {
    if (this.state.phase === 'left') return
    const phases: Record<StatusDetail['status'], ContributionPhase> = {
      stopped: 'left',
      connecting: 'connecting',
      connected: this.paused ? 'paused' : 'contributing',
      disconnected: 'disconnected',
    }
    const phase = phases[detail.status]
    const reason =
      detail.status === 'connected' && detail.membership === 'PENDING'
        ? 'waiting for the requester operator to approve this node'
        : detail.status === 'disconnected'
          ? 'lost the connection to the requester; reconnecting'
          : undefined
    this.update({ phase, reason })
  }

  private onExecution(summary: ExecutionSummary): void {
    const id = summary.executionId
    const now = Date.now()
    const wasLive = this.live.get(id)
    let entry: RecentJob
    switch (summary.phase) {
      case 'bid':
        return
      case 'queued':
        this.live.set(id, { state: 'queued', since: now })
        entry = { executionId: id, jobId: summary.jobId, state: 'queued', message: summary.message, at: now }
        break
      case 'running':
        this.live.set(id, { state: 'running', since: now })
        entry = { executionId: id, jobId: summary.jobId, state: 'running', message: '', at: now }
        break
      default: {
        this.live.delete(id)
        // A bid that never ran (rejected by the requester, expired) is not a job of this tab.
        if (wasLive === undefined) return
        entry = {
          executionId: id,
          jobId: summary.jobId,
          state: summary.phase,
          durationMs: wasLive.state === 'running' ? now - wasLive.since : undefined,
          message: summary.message,
          at: now,
        }
      }
    }
    const counts = { ...this.state.counts, running: 0, queued: 0 }
    for (const live of this.live.values()) counts[live.state]++
    if (entry.state === 'completed') counts.completed++
    else if (entry.state === 'failed') counts.failed++
    const recent = [entry, ...this.state.recent.filter((job) => job.executionId !== id)].slice(0, RECENT_JOBS)
    this.update({ counts, recent })
  }

  private update(change: Partial<ContributorSnapshot>): void {
    this.state = { ...this.state, ...change }
    this.dispatchEvent(new Event('change'))
  }
}

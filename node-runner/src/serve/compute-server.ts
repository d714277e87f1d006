import { availableParallelism, freemem } from 'node:os'
import { join } from 'node:path'
import type { Logger, PluginStatus } from '@shoal/interface'
import { ComputeNode, formatPluginStatus, pluginsOff } from '@shoal/compute'
import { readUnixfs } from '@shoal/ipfs'
import { parseBytes, parseCpu, PLUGIN_KIND_NAMES, type Resources } from '@shoal/models'
import { createComputeLibp2p } from '@shoal/transport-libp2p'
import { ensureDataDir } from '../config/data-dir.ts'
import { loadOrCreateNodeId } from '../config/node-id.ts'
import { loadOrCreateNodeKey } from '../config/node-key.ts'
import { startNodeHelia, type NodeHelia } from '../ipfs/node-helia.ts'
import type { IpfsSettings } from '../ipfs/ipfs-settings.ts'
import { loadOrCreatePeerKey } from '../libp2p/peer-key.ts'
import { nodeRTCConfiguration } from '../libp2p/node-rtc-configuration.ts'
import { startResultServer } from '../publisher/result-server.ts'
import { loadOrCreateResultSecret, ResultUrlSigner } from '../publisher/result-url-signer.ts'
import { defaultDiskBudget, HostVolumeSpace } from '../storage/host-volume-space.ts'
import type { AllowedPath } from '../storage/local-storage.ts'
import { createNodeWorkerFactory } from '../worker/index.ts'
import type { DockerPullPolicy } from '../engine/docker/docker-engine.ts'
import { assembleComputePlugins } from './compute-plugins.ts'
import { SHOAL_VERSION } from '../version.ts'
import { createRequesterDialer } from './requester-dialer.ts'

/** Options of a compute node on Node. */
export interface ComputeServerOptions {
  dataDir: string
  /** Requester addresses to dial, in order: API URLs (http(s)://, asked for transports), ws(s):// URLs, multiaddrs. */
  requesterAddresses: string[]
  /** Interface the result server listens on. */
  host: string
  labels?: Record<string, string>
  /** CPU offered, e.g. "2" or "1500m" (default: all cores). */
  capacityCpu?: string
  /** Memory offered, e.g. "4Gb" (default: 80% of free memory). */
  capacityMemory?: string
  /**
   * Disk budget for job data (downloaded inputs, outputs, staging), e.g. "20GiB"; advertised as
   * Resources.Disk (default: 10 GiB, at most half the free space of the data dir's filesystem).
   */
  diskBudget?: string
  allowedPaths?: AllowedPath[]
  /**
   * Hosts URL inputs may be fetched from although they are loopback, link-local or private
   * (names, addresses or CIDR ranges); everything else of that kind is refused, also after DNS.
   */
  allowUrlHosts?: string[]
  /** How long the signed URLs of `local` published results stay valid, in ms (default 7 days). */
  resultUrlTtlMs?: number
  joinToken?: string
  /** Base URL under which `local` results are served (default: the result server's own address). */
  publisherUrl?: string
  /** WASM workers (default: the CPU capacity, at least 1). */
  workers?: number
  /**
   * The docker engine on the local dockerd: `auto` (default) offers it when dockerd answers,
   * `true` also logs an error when it does not, `false` leaves it out.
   */
  docker?: 'auto' | 'true' | 'false'
  /** dockerd's socket (default /var/run/docker.sock). */
  dockerSocketPath?: string
  /** When the docker engine pulls images (default if-missing). */
  dockerPull?: DockerPullPolicy
  /** User containers run as (default: the image's). */
  dockerUser?: string
  /** Engine types turned off (compute.disabled-engines; upstream Engines.Disabled). */
  disabledEngines?: string[]
  /** Input source types turned off (compute.disabled-input-sources; upstream InputSources.Disabled). */
  disabledInputSources?: string[]
  /** Publisher types turned off (compute.disabled-publishers; upstream Publishers.Disabled). */
  disabledPublishers?: string[]
  /** Network types jobs may ask for besides None (e.g. Host, Full). */
  allowNetworks?: string[]
  /** Bind WebRTC ICE to this address (loopback-only namespaces). */
  rtcBindAddress?: string
  /** The node's IPFS peers and network; hermetic by default. */
  ipfs?: IpfsSettings
  logger: Logger
}

/** A running compute node. */
export interface ComputeServer {
  readonly nodeId: string
  readonly node: ComputeNode
  readonly resultsUrl: string
  /** Its IPFS node (the `ipfs` input source and publisher). */
  readonly ipfs: NodeHelia
  /** Every plug-in node-runner has: on, or off with why (also advertised as ComputeNodeInfo.PluginsOff). */
  readonly plugins: readonly PluginStatus[]
  stop(options?: { goodbye?: boolean }): Promise<void>
}

/** Capacity offered by this machine unless configured; Disk is the node's disk budget. */
export function computeCapacity(options: { capacityCpu?: string; capacityMemory?: string; diskBytes?: number }): Resources {
  return {
    CPU: options.capacityCpu ? parseCpu(options.capacityCpu) : availableParallelism(),
    Memory: options.capacityMemory ? parseBytes(options.capacityMemory) : Math.floor(freemem() * 0.8),
    Disk: options.diskBytes ?? 0,
    GPU: 0,
  }
}

/**
 * Starts a compute node on Node: the plug-ins compute-plugins.ts assembles from the settings
 * (WASM on worker_threads, noop, docker when dockerd answers; inline, urlDownload, local, ipfs,
 * s3, s3PreSigned, repoclone inputs; local, noop, ipfs, s3 publishers), job data in the data dir
 * within the disk budget, `local` results served over HTTP, dialing the requester over libp2p or a WebSocket.
 */
export async function startComputeServer(options: ComputeServerOptions): Promise<ComputeServer> {
  const logger = options.logger
  const dataDir = await ensureDataDir(options.dataDir)
  const nodeId = await loadOrCreateNodeId(dataDir)
  const identity = await loadOrCreateNodeKey(dataDir)
  const diskBytes = options.diskBudget ? parseBytes(options.diskBudget) : await defaultDiskBudget(dataDir)
  const capacity = computeCapacity({ ...options, diskBytes })
  const resultsDir = join(dataDir, 'results')
  const signer = new ResultUrlSigner({ secret: await loadOrCreateResultSecret(dataDir), ttlMs: options.resultUrlTtlMs })
  const resultServer = await startResultServer({ directory: resultsDir, host: options.host, port: 0, signer })
  const resultsUrl = options.publisherUrl ?? resultServer.url
  const libp2p = await createComputeLibp2p({
    privateKey: await loadOrCreatePeerKey(dataDir),
    transports: 'node',
    rtcConfiguration: nodeRTCConfiguration({ bindAddress: options.rtcBindAddress }),
  })
  // Started before the node dials: the requester then sees bitswap among this peer's protocols.
  const ipfs = await startNodeHelia({ dataDir, libp2p, peers: options.ipfs?.peers, public: options.ipfs?.public, logger: logger.child('ipfs') })
  // Job data lives in <data dir>/volumes, one directory per execution; a restart clears it.
  // `ipfs` inputs are read block by block through the node's Helia when staged for the engine.
  const unixfs = readUnixfs(ipfs.helia)
  const space = await HostVolumeSpace.open({ directory: join(dataDir, 'volumes'), totalBytes: diskBytes, readUnixfs: (volume) => unixfs(volume)! })
  const workers = options.workers ?? Math.max(1, Math.ceil(capacity.CPU))
  // Which engines, input sources and publishers the node offers: compute-plugins.ts decides.
  const plugins = await assembleComputePlugins(
    {
      disabledEngines: options.disabledEngines,
      disabledInputSources: options.disabledInputSources,
      disabledPublishers: options.disabledPublishers,
      docker: options.docker,
      dockerSocketPath: options.dockerSocketPath,
      dockerPull: options.dockerPull,
      dockerUser: options.dockerUser,
      allowedPaths: options.allowedPaths ?? [],
      allowUrlHosts: options.allowUrlHosts,
      ipfsReadTimeoutMs: options.ipfs?.readTimeoutMs,
    },
    () => ({
      nodeId,
      helia: ipfs.helia,
      wasm: { workerFactory: createNodeWorkerFactory(), poolSize: workers },
      localResults: { directory: resultsDir, baseUrl: () => resultsUrl, sign: (name) => signer.sign(name) },
      logger,
    }),
  ).catch(async (error: unknown) => {
    // A bad setting (an unknown type to disable): stop what already runs before saying so.
    await ipfs.stop().catch(() => {})
    await Promise.resolve(libp2p.stop()).catch(() => {})
    await resultServer.stop().catch(() => {})
    throw error
  })
  logger.info('compute node offers', {
    engines: plugins.engines.map((e) => e.type).join(', '),
    inputSources: plugins.storages.map((s) => s.type).join(', '),
    publishers: plugins.publishers.map((p) => p.type).join(', '),
  })
  for (const status of plugins.statuses.filter((s) => !s.on)) {
    const docker = status.type === 'docker' && status.kind === 'engine'
    // compute.docker true: the operator counts on docker, so its absence is an error.
    if (docker && options.docker === 'true') logger.error('compute.docker is true but the docker engine cannot run', { reason: status.reason })
    else logger.info(`${PLUGIN_KIND_NAMES[status.kind]} ${formatPluginStatus(status)}`)
  }
  const node = new ComputeNode({
    nodeId,
    identity,
    labels: { runtime: 'node', ...options.labels },
    engines: plugins.engines,
    allowedNetworks: options.allowNetworks,
    storages: plugins.storages,
    publishers: plugins.publishers,
    pluginsOff: pluginsOff(plugins.statuses),
    capacity,
    space,
    // One execution per worker: more would wait for a worker while the node shows free CPU.
    executionSlots: workers,
    dialer: createRequesterDialer({ libp2p }),
    requesterAddresses: options.requesterAddresses,
    joinToken: options.joinToken,
    logger: logger.child('compute', { node: nodeId }),
    version: `v${SHOAL_VERSION}`,
  })
  await node.start()
  logger.info('compute node started', { node: nodeId, requester: options.requesterAddresses[0], results: resultsUrl })
  return {
    nodeId,
    node,
    resultsUrl,
    ipfs,
    plugins: plugins.statuses,
    async stop(stopOptions = { goodbye: true }) {
      await node.stop(stopOptions).catch(() => {})
      for (const engine of plugins.engines) {
        try {
          await engine.stop?.()
        } catch {}
      }
      await ipfs.stop()
      try {
        await libp2p.stop()
      } catch {}
      await resultServer.stop()
      plugins.close()
    },
  }
}

import { availableParallelism, freemem } from 'node:os'
import { join } from 'node:path'
import type { Engine, Logger } from '@shoal/interface'
import { ComputeNode, InlineStorage, NoopEngine, NoopPublisher, S3PreSignedStorage, UrlDownloadStorage, UrlHostPolicy } from '@shoal/compute'
import { IpfsPublisher, IpfsStorage, readUnixfs } from '@shoal/ipfs'
import { parseBytes, parseCpu, type Resources } from '@shoal/models'
import { createComputeLibp2p, createLibp2pDialer } from '@shoal/transport-libp2p'
import { createWasmEngine } from '@shoal/wasm'
import { ensureDataDir } from '../config/data-dir.ts'
import { loadOrCreateNodeId } from '../config/node-id.ts'
import { loadOrCreateNodeKey } from '../config/node-key.ts'
import { startNodeHelia, type NodeHelia } from '../ipfs/node-helia.ts'
import type { IpfsSettings } from '../ipfs/ipfs-settings.ts'
import { loadOrCreatePeerKey } from '../libp2p/peer-key.ts'
import { nodeRTCConfiguration } from '../libp2p/node-rtc-configuration.ts'
import { LocalPublisher } from '../publisher/local-publisher.ts'
import { startResultServer } from '../publisher/result-server.ts'
import { loadOrCreateResultSecret, ResultUrlSigner } from '../publisher/result-url-signer.ts'
import { createAddressCheckedFetch } from '../net/address-checked-fetch.ts'
import { defaultDiskBudget, HostVolumeSpace } from '../storage/host-volume-space.ts'
import { LocalStorage, type AllowedPath } from '../storage/local-storage.ts'
import { S3ClientProvider } from '../storage/s3-client-provider.ts'
import { S3Storage } from '../storage/s3-storage.ts'
import { S3Publisher } from '../publisher/s3-publisher.ts'
import { GitStorage } from '../storage/git-storage.ts'
import { createNodeWorkerFactory } from '../worker/index.ts'
import { DockerEngine, type DockerPullPolicy } from '../engine/docker/docker-engine.ts'
import { SHOAL_VERSION } from '../version.ts'

/** Options of a compute node on Node. */
export interface ComputeServerOptions {
  dataDir: string
  /** Requester multiaddrs to dial, in order. */
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
  /** When the docker engine pulls images (default if-missing). */
  dockerPull?: DockerPullPolicy
  /** User containers run as (default: the image's). */
  dockerUser?: string
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
 * Starts a compute node on Node: the WASM engine on worker_threads, noop engine, the docker
 * engine when dockerd answers (unless turned off), inline,
 * urlDownload (streamed to disk) and allow-listed local (mounted in place) inputs, local and
 * noop publishers (results served over HTTP), job data in the data dir within the disk budget,
 * dialing the requester over libp2p.
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
  // Node workers open host volumes in place (node-worker-bootstrap.ts installs the access).
  const wasm = createWasmEngine({ workerFactory: createNodeWorkerFactory(), poolSize: workers, volumeKinds: ['host'] })
  // The one place a Node compute node gets its URL fetcher: names are checked after DNS too.
  const urlPolicy = new UrlHostPolicy({ allowHosts: options.allowUrlHosts })
  const engines: Engine[] = [wasm, new NoopEngine()]
  if (options.docker !== 'false') {
    // Offered only when dockerd answers: ComputeNode.start asks isInstalled and logs the reason otherwise.
    const docker = new DockerEngine({ nodeId, pull: options.dockerPull, user: options.dockerUser, urlPolicy, logger: logger.child('docker') })
    engines.push(docker)
    if (options.docker === 'true') {
      await docker.isInstalled().catch((error: unknown) => logger.error('compute.docker is true but the docker engine cannot run', { error: (error as Error).message }))
    }
  }
  const urlDownload = new UrlDownloadStorage({ policy: urlPolicy, fetch: createAddressCheckedFetch({ policy: urlPolicy }) })
  // S3 (inputs and publisher) is offered when the AWS SDK's default chain gives credentials.
  const s3Clients = new S3ClientProvider()
  const s3 = await s3Clients.availability()
  if (s3.ok) logger.info('s3 input source and publisher offered', { endpoint: s3Clients.endpointOf() ?? 'AWS', region: s3Clients.regionOf() })
  else logger.info('s3 input source and publisher not offered', { reason: s3.reason })
  const node = new ComputeNode({
    nodeId,
    identity,
    labels: { runtime: 'node', ...options.labels },
    engines,
    allowedNetworks: options.allowNetworks,
    storages: [
      new InlineStorage(),
      urlDownload,
      new LocalStorage({ allowedPaths: options.allowedPaths ?? [] }),
      new IpfsStorage(ipfs.helia, { readTimeoutMs: options.ipfs?.readTimeoutMs }),
      new S3PreSignedStorage({ download: urlDownload }),
      new GitStorage({ policy: urlPolicy }),
      ...(s3.ok ? [new S3Storage({ clients: s3Clients })] : []),
    ],
    publishers: [
      new LocalPublisher({ directory: resultsDir, baseUrl: () => resultsUrl, sign: (name) => signer.sign(name) }),
      new NoopPublisher(),
      new IpfsPublisher(ipfs.helia),
      ...(s3.ok ? [new S3Publisher({ clients: s3Clients })] : []),
    ],
    capacity,
    space,
    // One execution per worker: more would wait for a worker while the node shows free CPU.
    executionSlots: workers,
    dialer: createLibp2pDialer({ libp2p }),
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
    async stop(stopOptions = { goodbye: true }) {
      await node.stop(stopOptions).catch(() => {})
      try {
        await wasm.stop?.()
      } catch {}
      await ipfs.stop()
      try {
        await libp2p.stop()
      } catch {}
      await resultServer.stop()
      s3Clients.destroy()
    },
  }
}

import { readFile } from 'node:fs/promises'
import { createServer as createHttpServer, type Server } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import { join } from 'node:path'
import { getRequestListener } from '@hono/node-server'
import { createNodeWebSocket } from '@hono/node-ws'
import { Hono } from 'hono'
import type { Logger } from '@shoal/interface'
import { BadRequestError, ConflictError, type NodeInfo } from '@shoal/models'
import { Requester, SqlJobStore, createRequesterApp, type ApiToken, type RequesterConfig } from '@shoal/orchestrator'
import { COMPUTE_SOCKET_PATH, createWebSocketListener, webSocketUrlOf, type Listener } from '@shoal/protocol'
import { createLibp2pListener, createRequesterLibp2p, type Libp2p } from '@shoal/transport-libp2p'
import { ensureDataDir } from '../config/data-dir.ts'
import { HeliaResultPinner } from '../ipfs/helia-result-pinner.ts'
import { startNodeHelia, type NodeHelia } from '../ipfs/node-helia.ts'
import { requesterGateway } from '../ipfs/requester-gateway.ts'
import type { IpfsSettings } from '../ipfs/ipfs-settings.ts'
import { loadOrCreatePeerKey } from '../libp2p/peer-key.ts'
import { nodeRTCConfiguration } from '../libp2p/node-rtc-configuration.ts'
import { listen } from '../net/listen.ts'
import { createNodeSqliteDatabase } from '../sqlite/node-sqlite-database.ts'
import { SHOAL_VERSION } from '../version.ts'
import { createStaticAssets } from './static-assets.ts'
import { S3ClientProvider } from '../storage/s3-client-provider.ts'
import { createS3ResultSigner } from '../publisher/s3-result-signer.ts'
import { createS3UploadSigner } from '../publisher/s3-upload-signer.ts'

/** True when `err` (or a listener failure it lists) is EADDRINUSE. */
function mentionsPortInUse(err: Error): boolean {
  return (err as NodeJS.ErrnoException).code === 'EADDRINUSE' || /EADDRINUSE|already in use/.test(err.message)
}

/** Reads the PEM certificate and key, naming the file that cannot be read. */
async function readTlsFiles(tls: { certFile: string; keyFile: string }): Promise<{ cert: Buffer; key: Buffer }> {
  const read = async (file: string, flag: string) =>
    readFile(file).catch((err: Error) => {
      throw new BadRequestError(`cannot read the TLS ${flag === '--tls-cert' ? 'certificate' : 'key'} ${file}: ${err.message}`, { cause: err, hint: `Check ${flag} names a readable PEM file.` })
    })
  return { cert: await read(tls.certFile, '--tls-cert'), key: await read(tls.keyFile, '--tls-key') }
}

/** Options of a requester on Node. */
export interface RequesterServerOptions {
  dataDir: string
  /** Interface of every listener (API and libp2p). */
  host: string
  /** REST API port (0 = any free port). */
  port: number
  /** libp2p port for WebSockets (TCP) and WebRTC-direct (UDP); default API port + 1 (any when the API port is 0). */
  peerPort?: number
  /**
   * Transports compute nodes and tabs may join on (default both): `libp2p` (its own port:
   * WebSockets and WebRTC-direct) and `websocket` (GET /api/v1/shoal/compute on the API port).
   * Without `libp2p` the libp2p node listens nowhere (as on the edge); IPFS still dials out.
   */
  computeTransports?: ComputeTransportName[]
  joinToken?: string
  manualApproval?: boolean
  /** Bearer tokens the REST API requires (read: GET; write: the rest; admin: node actions); undefined = the API is open. */
  apiTokens?: ApiToken[]
  /** PEM certificate and key files: the REST API and dashboard are served over HTTPS. */
  tls?: { certFile: string; keyFile: string }
  /** Scheduler settings (heartbeats, retries, timeouts). */
  config?: RequesterConfig
  /**
   * Directory of the built pages (web/dist): the dashboard at its routes, the contribute page at
   * /contribute (page-routes.ts); while they are not built, every page says how to build them
   * (see createStaticAssets). Undefined: no pages, / is the API's 404.
   */
  webRoot?: string
  /** The checkout that page names for `npm run build:web`. */
  webCheckoutDir?: string
  /** Bind WebRTC ICE to this address (loopback-only namespaces). */
  rtcBindAddress?: string
  /** The requester's IPFS node (peers, public network, how results are kept); hermetic by default. */
  ipfs?: IpfsSettings
  logger: Logger
}

/** A transport a requester accepts compute nodes on. */
export type ComputeTransportName = 'libp2p' | 'websocket'

/** A running requester. */
export interface RequesterServer {
  /** e.g. http://127.0.0.1:1234 */
  readonly url: string
  /** Multiaddrs compute nodes dial, each ending in /p2p/<peer id> (none without the libp2p transport). */
  readonly multiaddrs: string[]
  /** The ws:// or wss:// URL of its compute WebSocket, when it offers the websocket transport. */
  readonly computeSocketUrl?: string
  readonly requester: Requester
  readonly libp2p: Libp2p
  /** Its IPFS node: keeps `ipfs` results (pinned) and serves the gateway at /ipfs. */
  readonly ipfs: NodeHelia
  /**
   * Shows the compute node of the same process (a combined `shoal serve`) in GET /agent/node, so
   * `shoal agent node` says what it offers and why something is off.
   */
  attachCompute(node: { nodeInfo(): NodeInfo }): void
  stop(): Promise<void>
}

/**
 * Starts a requester on Node: the SQL job store on node:sqlite in the data dir, the scheduler,
 * the libp2p listener (WebSockets + WebRTC-direct), the REST API over HTTP and the compute
 * WebSocket on the API's port.
 */
export async function startRequesterServer(options: RequesterServerOptions): Promise<RequesterServer> {
  const logger = options.logger
  const dataDir = await ensureDataDir(options.dataDir)
  const db = createNodeSqliteDatabase(join(dataDir, 'jobs.db'))
  const store = new SqlJobStore({ db })
  const cleanups: Array<() => Promise<unknown> | unknown> = [() => store.close()]
  const cleanup = async () => {
    for (const fn of cleanups.reverse()) {
      try {
        await fn()
      } catch (err) {
        logger.warn('shutdown step failed', { error: (err as Error).message })
      }
    }
  }
  try {
    const peerPort = options.peerPort ?? (options.port === 0 ? 0 : options.port + 1)
    const transports = new Set(options.computeTransports ?? ['libp2p', 'websocket'])
    const libp2p = await createRequesterLibp2p({
      privateKey: await loadOrCreatePeerKey(dataDir),
      listen: transports.has('libp2p') ? [`/ip4/${options.host}/tcp/${peerPort}/ws`, `/ip4/${options.host}/udp/${peerPort}/webrtc-direct`] : [],
      rtcConfiguration: nodeRTCConfiguration({ bindAddress: options.rtcBindAddress }),
      relay: true,
    }).catch((err: Error) => {
      if (mentionsPortInUse(err)) {
        throw new ConflictError(`the compute-protocol port ${peerPort} on ${options.host} is already in use`, {
          cause: err,
          hint: 'Stop what uses it, or choose another --peer-port (it defaults to --port + 1).',
        })
      }
      // libp2p lists every failed address with a stack trace: keep the first line.
      throw Object.assign(err, { message: `cannot start the compute-protocol listener on ${options.host}:${peerPort}: ${err.message.split('\n')[0]}` })
    })
    cleanups.push(() => libp2p.stop())
    // Helia on the compute protocol's libp2p node: bitswap reaches every compute node and tab
    // over the connection it already has (docs/ARCHITECTURE.md, "IPFS").
    const ipfs = await startNodeHelia({ dataDir, libp2p, peers: options.ipfs?.peers, public: options.ipfs?.public, logger: logger.child('ipfs') })
    cleanups.push(() => ipfs.stop())
    const listeners: Listener[] = []
    if (transports.has('libp2p')) listeners.push(createLibp2pListener({ libp2p }))
    let computeSocketUrl: string | undefined
    const socketListener = transports.has('websocket') ? createWebSocketListener({ addresses: () => (computeSocketUrl ? [computeSocketUrl] : []) }) : undefined
    if (socketListener) listeners.push(socketListener)
    // With AWS credentials the requester presigns s3 results, as upstream's does, so `job get`
    // needs none of its own, and presigns the uploads of tabs' s3 results (they hold no credentials).
    const s3Clients = new S3ClientProvider()
    const s3 = await s3Clients.availability()
    if (!s3.ok) logger.debug('s3 results are returned unsigned and tabs cannot publish to s3', { reason: s3.reason })
    const requester = new Requester({
      store,
      listeners,
      logger: logger.child('requester'),
      config: { ...options.config, joinToken: options.joinToken, manualApproval: options.manualApproval },
      resultPinner: new HeliaResultPinner({ helia: ipfs.helia, timeoutMs: options.ipfs?.pinTimeoutMs, maxBytes: options.ipfs?.pinMaxBytes, logger: logger.child('ipfs') }),
      uploadSigner: s3.ok ? createS3UploadSigner({ clients: s3Clients }) : undefined,
    })
    await requester.start()
    cleanups.push(() => requester.stop())
    const multiaddrs = libp2p.getMultiaddrs().map((m) => m.toString())

    const root = new Hono()
    const { injectWebSocket, upgradeWebSocket, wss } = createNodeWebSocket({ app: root })
    // The trustless gateway: ipfs results the requester pinned, and any CID its peers have.
    const gateway = requesterGateway(ipfs.helia, { apiTokens: options.apiTokens })
    root.all('/ipfs/*', (c) => gateway(c.req.raw))
    let localCompute: { nodeInfo(): NodeInfo } | undefined
    const api = createRequesterApp({
      localCompute: () => localCompute?.nodeInfo().ComputeNodeInfo,
      resultTransform: s3.ok ? createS3ResultSigner({ clients: s3Clients }) : undefined,
      service: requester,
      upgradeWebSocket,
      version: { GitVersion: `v${SHOAL_VERSION}` },
      config: { DataDir: dataDir, Host: options.host, Port: options.port, PeerPort: peerPort, JoinToken: options.joinToken, ManualApproval: options.manualApproval ?? false, ...(options.apiTokens ? { ApiTokens: options.apiTokens } : {}) },
      logger: logger.child('api'),
      auth: options.apiTokens ? { tokens: options.apiTokens } : undefined,
      staticAssets: options.webRoot ? createStaticAssets(options.webRoot, { checkoutDir: options.webCheckoutDir }) : undefined,
      // GET /api/v1/shoal/peers (the contribute page and `--requester <URL>` read it) and the compute WebSocket.
      compute: {
        libp2p: transports.has('libp2p') ? () => ({ peerId: libp2p.peerId.toString(), multiaddrs: libp2p.getMultiaddrs().map((m) => m.toString()) }) : undefined,
        websocket: socketListener,
        remoteAddress: (c) => {
          const socket = (c.env as { incoming?: { socket?: { remoteAddress?: string; remotePort?: number } } } | undefined)?.incoming?.socket
          return socket?.remoteAddress ? `${socket.remoteAddress}:${socket.remotePort ?? 0}` : undefined
        },
      },
    })
    // Mounted as a fetch handler, not with root.route(): Hono never calls a routed sub-app's
    // notFound, so misses under /api/v1 would get a text/plain 404 instead of the API's JSON error
    // body (and no 405 for a wrong method). The env (Node's request, the WebSocket marker) passes through.
    // The request goes through as it came: copying it (Hono's default) throws for TRACE, which
    // the Fetch API forbids, and the client got a text/plain 500 instead of the API's 405.
    root.mount('/', api.fetch, { replaceRequest: false })
    const handleRequest = getRequestListener(root.fetch)
    const server: Server = options.tls ? createHttpsServer(await readTlsFiles(options.tls), handleRequest) as unknown as Server : createHttpServer(handleRequest)
    injectWebSocket(server)
    const port = await listen(server, options.host, options.port, 'REST API', '--port')
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve())
          server.closeAllConnections()
          // Upgraded sockets (compute nodes, log streams) are no longer the HTTP server's to close.
          for (const client of wss.clients) client.terminate()
        }),
    )
    const url = `${options.tls ? 'https' : 'http'}://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}`
    if (socketListener) computeSocketUrl = webSocketUrlOf(COMPUTE_SOCKET_PATH, url)
    logger.info('requester ready', { api: url, peerId: libp2p.peerId.toString(), computeTransports: [...transports].join(',') })
    return { url, multiaddrs, computeSocketUrl, requester, libp2p, ipfs, attachCompute: (node) => (localCompute = node), stop: cleanup }
  } catch (err) {
    await cleanup()
    throw err
  }
}

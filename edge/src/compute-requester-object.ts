/**
 * The requester Durable Object with its compute transport installed: compute nodes and tabs
 * connect with a WebSocket to GET /api/v1/shoal/compute, accepted with the hibernation API
 * (HibernatableSockets), and GET /api/v1/shoal/peers offers that WebSocket, so
 * `shoal serve --compute --requester <edge URL>` and the contribute page find it.
 *
 * With a Worker Loader binding (env.LOADER) the object also runs the edge compute node
 * (edge-compute-node.ts), which joins this requester over an in-memory connection and runs WASM
 * jobs in loaded workers. Without the binding (e.g. on the Workers Free plan) the requester runs
 * without edge compute and logs so.
 */
import type { DurableObjectState } from 'cloudflare:workers'
import { createConsoleLogger, type Logger } from '@shoal/interface'
import { COMPUTE_SOCKET_PATH, REQUESTER_PEERS_PATH, type RequesterPeersResponse } from '@shoal/protocol'
import { HibernatableSockets, type HibernatableWebSocket, type HibernationApi } from './hibernatable-connection.ts'
import { RequesterObject, type RequesterEnv } from './requester-object.ts'
import { startEdgeComputeNode } from './edge-compute-node.ts'
import { readEdgeSettings } from './edge-settings.ts'
import { EDGE_VERSION } from './edge-version.ts'
import type { WorkerLoader } from './loader-wasm-engine.ts'
// The bundled job host (edge/scripts/build-job-host.ts), the loaded workers' main module.
import JOB_HOST from '../build/job-host.txt'

/** compatibility_date of the workers loaded for jobs (that of wrangler.jsonc). */
export const JOB_COMPATIBILITY_DATE = '2026-07-30'

/** The bindings of the requester object with compute. */
export interface ComputeRequesterEnv extends RequesterEnv {
  /** The Worker Loader binding (wrangler.jsonc `worker_loaders`); absent: no edge compute node. */
  LOADER?: WorkerLoader
}

/** RequesterObject plus compute nodes over hibernatable WebSockets. */
export class ComputeRequesterObject extends RequesterObject {
  readonly #sockets: HibernatableSockets

  constructor(ctx: DurableObjectState, env: ComputeRequesterEnv) {
    super(ctx, env)
    const logger = createConsoleLogger({ level: env.SHOAL_LOG_LEVEL === 'debug' ? 'debug' : 'info', write: (line) => console.log(line) }).child('edge-compute')
    this.#sockets = new HibernatableSockets({ ctx: ctx as unknown as HibernationApi, logger })
    this.acceptCompute = (request, connect) => this.#sockets.accept(request, connect)
    // Not awaited: the node's handshake needs the requester, which starts after this constructor.
    void this.#startEdgeCompute(ctx, env, logger)
  }

  async #startEdgeCompute(ctx: DurableObjectState, env: ComputeRequesterEnv, logger: Logger): Promise<void> {
    if (env.LOADER === undefined) {
      logger.info('no Worker Loader binding (LOADER): this requester runs without edge compute; compute nodes and tabs can still join (see docs/EDGE.md)')
      return
    }
    try {
      const settings = readEdgeSettings(env)
      if (!settings.edgeCompute) {
        logger.info('SHOAL_EDGE_COMPUTE is false: this requester runs without edge compute')
        return
      }
      await startEdgeComputeNode({
        loader: env.LOADER,
        hostSource: JOB_HOST,
        compatibilityDate: JOB_COMPATIBILITY_DATE,
        network: settings.network,
        connect: (connection) => void this.handleComputeConnection(connection),
        sql: ctx.storage.sql,
        joinToken: settings.requester.joinToken,
        version: `v${EDGE_VERSION}`,
        logger: logger.child('node'),
      })
    } catch (error) {
      logger.error('the edge compute node did not start', { error: (error as Error).message })
    }
  }

  /** Answers the peers route (only the WebSocket: the edge runs no libp2p), else as RequesterObject. */
  override async fetch(request: Request): Promise<Response> {
    const { pathname } = new URL(request.url)
    if (pathname === REQUESTER_PEERS_PATH && request.method === 'GET') {
      return Response.json({ PeerID: '', Multiaddrs: [], Transports: [{ Type: 'websocket', URL: COMPUTE_SOCKET_PATH }] } satisfies RequesterPeersResponse)
    }
    return super.fetch(request)
  }

  /** Hibernation API: a message on a compute socket. */
  webSocketMessage(socket: HibernatableWebSocket, message: string | ArrayBuffer): void {
    this.#sockets.message(socket, message)
  }

  /** Hibernation API: a compute socket closed. */
  webSocketClose(socket: HibernatableWebSocket, code: number, reason: string): void {
    this.#sockets.closed(socket, code, reason)
  }

  /** Hibernation API: a compute socket failed. */
  webSocketError(socket: HibernatableWebSocket, error: unknown): void {
    this.#sockets.failed(socket, error)
  }
}

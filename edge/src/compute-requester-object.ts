/**
 * The requester Durable Object with its compute transport installed: compute nodes and tabs
 * connect with a WebSocket to GET /api/v1/shoal/compute, accepted with the hibernation API
 * (HibernatableSockets), and GET /api/v1/shoal/peers offers that WebSocket, so
 * `shoal serve --compute --requester <edge URL>` and the contribute page find it.
 */
import type { DurableObjectState } from 'cloudflare:workers'
import { createConsoleLogger } from '@shoal/interface'
import { COMPUTE_SOCKET_PATH, REQUESTER_PEERS_PATH, type RequesterPeersResponse } from '@shoal/protocol'
import { HibernatableSockets, type HibernatableWebSocket, type HibernationApi } from './hibernatable-connection.ts'
import { RequesterObject, type RequesterEnv } from './requester-object.ts'

/** RequesterObject plus compute nodes over hibernatable WebSockets. */
export class ComputeRequesterObject extends RequesterObject {
  readonly #sockets: HibernatableSockets

  constructor(ctx: DurableObjectState, env: RequesterEnv) {
    super(ctx, env)
    const logger = createConsoleLogger({ level: env.SHOAL_LOG_LEVEL === 'debug' ? 'debug' : 'info', write: (line) => console.log(line) }).child('edge-compute')
    this.#sockets = new HibernatableSockets({ ctx: ctx as unknown as HibernationApi, logger })
    this.acceptCompute = (request, connect) => this.#sockets.accept(request, connect)
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

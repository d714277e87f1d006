/**
 * A test worker for HibernatableSockets in workerd: the Durable Object accepts compute sockets
 * with the hibernation API and plays a minimal requester on each Connection (accepts any
 * Handshake, echoes every other message back). GET /sessions lists the sessions kept in the
 * sockets' attachments; POST /forget replaces the object's HibernatableSockets with a fresh one,
 * as an object evicted and woken by a socket event would have (workerd cannot evict locally).
 */
import { DurableObject, type DurableObjectState } from 'cloudflare:workers'
import type { Connection } from '../../../packages/protocol/src/index.ts'
import { HibernatableSockets, type HibernatableWebSocket, type HibernationApi } from '../../src/hibernatable-connection.ts'

/** The object under test. */
export class SocketObject extends DurableObject<unknown> {
  private sockets: HibernatableSockets

  constructor(ctx: DurableObjectState, env: unknown) {
    super(ctx, env)
    this.sockets = new HibernatableSockets({ ctx: ctx as unknown as HibernationApi })
  }

  async fetch(request: Request): Promise<Response> {
    const { pathname } = new URL(request.url)
    if (pathname === '/sessions') return Response.json(this.sockets.sessions())
    if (pathname === '/forget') {
      this.sockets = new HibernatableSockets({ ctx: this.ctx as unknown as HibernationApi })
      return new Response(null, { status: 204 })
    }
    return this.sockets.accept(request, (connection) => serve(connection), { remoteAddress: 'test-client' })
  }

  webSocketMessage(socket: HibernatableWebSocket, message: string | ArrayBuffer): void {
    this.sockets.message(socket, message)
  }

  webSocketClose(socket: HibernatableWebSocket, code: number, reason: string): void {
    this.sockets.closed(socket, code, reason)
  }

  webSocketError(socket: HibernatableWebSocket, error: unknown): void {
    this.sockets.failed(socket, error)
  }
}

/** A minimal requester: accepts the Handshake, echoes the rest. */
function serve(connection: Connection): void {
  connection.attach({
    onMessage: (message) => {
      if (message.Type === 'Handshake') {
        void connection.send({ Type: 'HandshakeResponse', Accepted: true, Reason: '', Membership: 'APPROVED', HeartbeatIntervalMs: 1000, RequesterID: 'test-requester' })
      } else void connection.send(message)
    },
    onClose: () => {},
  })
}

interface Env {
  SOCKETS: DurableObjectNamespace
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    return env.SOCKETS.get(env.SOCKETS.idFromName('one')).fetch(request)
  },
}

/**
 * Compute protocol Connections over WebSockets a Durable Object accepted with the hibernation
 * API (`ctx.acceptWebSocket`). The runtime delivers such a socket's events to the object's
 * `webSocketMessage` / `webSocketClose` / `webSocketError` methods rather than to listeners, and
 * may evict the object between events while the socket stays open; `HibernatableSockets` turns
 * those calls into the feed of a `WebSocketConnection` (@shoal/protocol), and keeps each
 * socket's session (its connection ID, remote address, and the node it belongs to once the
 * requester accepted its Handshake) in the socket's attachment, which survives eviction.
 */
import type { Logger } from '@shoal/interface'
import { WebSocketConnection, type Connection, type ConnectionHandlers, type Message, type OutgoingMessage } from '@shoal/protocol'
import type { AbortOptions } from '@shoal/interface'

/** A WebSocket accepted with `ctx.acceptWebSocket` (workerd's API beyond the standard class). */
export interface HibernatableWebSocket {
  send(data: ArrayBuffer | ArrayBufferView | string): void
  close(code?: number, reason?: string): void
  /** Keeps a structured-clonable value with the socket, across hibernation (at most 2 KiB). */
  serializeAttachment(value: unknown): void
  deserializeAttachment(): unknown
}

/** The slice of a Durable Object's `ctx` the hibernation API adds. */
export interface HibernationApi {
  acceptWebSocket(socket: HibernatableWebSocket, tags?: string[]): void
  getWebSockets(tag?: string): HibernatableWebSocket[]
}

/** What a compute socket's attachment holds. */
export interface ComputeSocketSession {
  /** The Connection's ID (the same after a wake-up). */
  connectionId: string
  remoteAddress: string
  /** When the socket was accepted (ms since the epoch). */
  acceptedAt: number
  /** The node whose Handshake the requester accepted on this socket; absent before that. */
  nodeId?: string
}

/** Options of HibernatableSockets. */
export interface HibernatableSocketsInit {
  /** The object's `ctx` (its hibernation API). */
  ctx: HibernationApi
  /** Tag of the sockets it accepts (default "compute"). */
  tag?: string
  logger?: Logger
  /**
   * A socket whose Connection this object does not hold: the object was evicted and woken by
   * the socket's event, so the requester that spoke on it is gone. Default: close it so the node
   * reconnects and shakes hands with the requester as it is now.
   */
  onOrphan?: (socket: HibernatableWebSocket, session: ComputeSocketSession | undefined) => void
}

/** Tells a woken object's orphaned sockets to reconnect (a node does, with back-off). */
const ORPHAN_CLOSE_REASON = 'the requester restarted; reconnect'

/** The WebSocketPair constructor of workerd (not in the DOM types the repository checks against). */
type WebSocketPairConstructor = new () => { 0: WebSocket; 1: HibernatableWebSocket }

/**
 * The compute sockets of one Durable Object. Wire the object's hibernation handlers to
 * `message`, `closed` and `failed`, and its upgrade route to `accept`.
 */
export class HibernatableSockets {
  private readonly ctx: HibernationApi
  private readonly tag: string
  private readonly logger?: Logger
  private readonly onOrphan: (socket: HibernatableWebSocket, session: ComputeSocketSession | undefined) => void
  /** Live Connections of this object instance; empty again after a wake-up. */
  private readonly connections = new WeakMap<HibernatableWebSocket, WebSocketConnection>()
  /** Sockets found without a Connection (after a wake-up) and already told to reconnect. */
  private readonly orphaned = new WeakSet<HibernatableWebSocket>()

  constructor(init: HibernatableSocketsInit) {
    this.ctx = init.ctx
    this.tag = init.tag ?? 'compute'
    this.logger = init.logger
    this.onOrphan = init.onOrphan ?? ((socket) => closeQuietly(socket, 1012, ORPHAN_CLOSE_REASON))
  }

  /**
   * Accepts a WebSocket upgrade request with the hibernation API, hands its Connection to
   * `connect`, and returns the 101 response. A request without `Upgrade: websocket` gets 426.
   */
  accept(request: Request, connect: (connection: Connection) => void, options: { remoteAddress?: string } = {}): Response {
    if ((request.headers.get('upgrade') ?? '').toLowerCase() !== 'websocket') {
      return Response.json(
        { Status: 426, Code: 'UpgradeRequired', Message: 'the compute endpoint speaks the compute protocol over a WebSocket', Hint: 'open it with a WebSocket client' },
        { status: 426, headers: { Upgrade: 'websocket' } },
      )
    }
    const Pair = (globalThis as unknown as { WebSocketPair: WebSocketPairConstructor }).WebSocketPair
    const pair = new Pair()
    const client = pair[0]
    const server = pair[1]
    this.ctx.acceptWebSocket(server, [this.tag])
    const remoteAddress = options.remoteAddress ?? request.headers.get('cf-connecting-ip') ?? 'websocket client'
    const connection = this.wrap(server, { connectionId: `websocket-${crypto.randomUUID()}`, remoteAddress, acceptedAt: Date.now() })
    connect(connection)
    return new Response(null, { status: 101, webSocket: client } as ResponseInit)
  }

  /** The object's `webSocketMessage(socket, message)`. */
  message(socket: HibernatableWebSocket, message: string | ArrayBuffer): void {
    const connection = this.connections.get(socket)
    if (connection !== undefined) connection.receive(message)
    else if (!this.orphaned.has(socket)) this.orphan(socket)
  }

  /** The object's `webSocketClose(socket, code, reason)`. */
  closed(socket: HibernatableWebSocket, code: number, reason: string): void {
    const connection = this.connections.get(socket)
    // Complete the closing handshake (runtimes before auto-reply-to-close need it; later ones ignore it).
    closeQuietly(socket, code === 1005 || code === 1006 ? 1000 : code, reason)
    connection?.remoteClosed(code, reason)
  }

  /** The object's `webSocketError(socket, error)`. */
  failed(socket: HibernatableWebSocket, error: unknown): void {
    this.connections.get(socket)?.failed(error)
  }

  /** The session kept with a socket (after a wake-up too). */
  sessionOf(socket: HibernatableWebSocket): ComputeSocketSession | undefined {
    const value = socket.deserializeAttachment()
    return typeof value === 'object' && value !== null && typeof (value as ComputeSocketSession).connectionId === 'string' ? (value as ComputeSocketSession) : undefined
  }

  /** The sessions of every open compute socket of the object (what a woken object still has). */
  sessions(): ComputeSocketSession[] {
    return this.ctx.getWebSockets(this.tag).flatMap((socket) => this.sessionOf(socket) ?? [])
  }

  private wrap(socket: HibernatableWebSocket, session: ComputeSocketSession): WebSocketConnection {
    socket.serializeAttachment(session)
    const connection = new SessionConnection({ socket, session, onAccepted: (nodeId) => socket.serializeAttachment({ ...session, nodeId }) })
    this.connections.set(socket, connection)
    return connection
  }

  private orphan(socket: HibernatableWebSocket): void {
    const session = this.sessionOf(socket)
    this.orphaned.add(socket)
    this.logger?.info('compute socket outlived the requester object; asking the node to reconnect', { nodeId: session?.nodeId, remote: session?.remoteAddress })
    this.onOrphan(socket, session)
  }
}

/**
 * A WebSocketConnection that notes in the socket's attachment which node the requester accepted
 * on it: it sees the node's Handshake come in and the requester's HandshakeResponse go out.
 */
class SessionConnection extends WebSocketConnection {
  private claimedNodeId: string | undefined
  private readonly onAccepted: (nodeId: string) => void

  constructor(init: { socket: HibernatableWebSocket; session: ComputeSocketSession; onAccepted: (nodeId: string) => void }) {
    super({ socket: init.socket, remoteAddress: init.session.remoteAddress, id: init.session.connectionId })
    this.onAccepted = init.onAccepted
  }

  override attach(handlers: ConnectionHandlers): void {
    super.attach({
      ...handlers,
      onMessage: (message) => {
        if (message.Type === 'Handshake') this.claimedNodeId = message.NodeInfo.NodeID
        handlers.onMessage(message)
      },
    })
  }

  override send(message: OutgoingMessage | Message, options?: AbortOptions): Promise<void> {
    if (message.Type === 'HandshakeResponse' && message.Accepted && this.claimedNodeId !== undefined) this.onAccepted(this.claimedNodeId)
    return super.send(message, options)
  }
}

function closeQuietly(socket: HibernatableWebSocket, code: number, reason: string): void {
  try {
    socket.close(code, reason)
  } catch {
    // Already closed.
  }
}

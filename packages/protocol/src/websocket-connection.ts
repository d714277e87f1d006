import { ProtocolError, UnreachableError } from '@shoal/models'
import { abortable, type AbortOptions } from '@shoal/interface'
import { decodeMessage, encodeMessage, MAX_FRAME_BYTES } from './codec.ts'
import type { Message, OutgoingMessage } from './messages.ts'
import type { Connection, ConnectionHandlers } from './transport.ts'

/**
 * The sending half of a WebSocket as a connection uses it. The standard WebSocket class, Hono's
 * WSContext and a workerd Durable Object's hibernatable WebSocket all fit; the connection never
 * reads `bufferedAmount` (workerd has none), so backpressure comes from the peer's credit replies.
 */
export interface WebSocketPort {
  send(data: Uint8Array<ArrayBuffer>): void
  close(code?: number, reason?: string): void
}

/** What a WebSocketConnection is built from. */
export interface WebSocketConnectionInit {
  /** The socket, already open. */
  socket: WebSocketPort
  /** Who is at the other end (the dialed URL, or the client's address on the accepting side). */
  remoteAddress: string
  /** Unique per connection (default: a random one); an edge runtime keeps it across wake-ups. */
  id?: string
  /** Largest frame sent or accepted; defaults to MAX_FRAME_BYTES. */
  maxFrameBytes?: number
}

/** The transport name WebSocket connections report (`Connection.transport`). */
export const WEBSOCKET_TRANSPORT = 'websocket'

/**
 * The first byte of every binary WebSocket message says what it carries. A compute protocol
 * frame is split into chunks (so no message exceeds what runtimes accept: workerd's limit is far
 * below MAX_FRAME_BYTES), the last one marked final. Probe/Credit are the flow control.
 */
const Kind = { final: 0, more: 1, probe: 2, credit: 3 } as const

/** Bytes of frame body per WebSocket message. */
export const WEBSOCKET_CHUNK_BYTES = 256 * 1024
/**
 * Frame bytes a sender may have in flight before the peer confirms them. A sender probes once
 * half of it is unconfirmed, so on a fast link it rarely waits.
 */
export const WEBSOCKET_WINDOW_BYTES = 4 * 1024 * 1024
/** How long close() waits for queued frames to be confirmed before closing the socket anyway. */
const CLOSE_DRAIN_MS = 30_000
/** A WebSocket close reason is at most 123 bytes of UTF-8. */
const MAX_CLOSE_REASON_BYTES = 123

type Pending = { kind: 'message'; message: Message } | { kind: 'error'; error: Error }

interface Outgoing {
  body: Uint8Array
  offset: number
  settle: (error?: Error) => void
}

let fallbackCounter = 0

/** A random connection ID (the requester keys sessions by it). */
function newConnectionId(): string {
  const random = typeof crypto?.randomUUID === 'function' ? crypto.randomUUID() : `${Date.now()}-${++fallbackCounter}`
  return `websocket-${random}`
}

/** `reason` cut to what a WebSocket close frame carries, on a character boundary. */
export function closeReasonOf(reason: string | undefined): string {
  if (!reason) return ''
  const encoder = new TextEncoder()
  if (encoder.encode(reason).byteLength <= MAX_CLOSE_REASON_BYTES) return reason
  let cut = reason.slice(0, MAX_CLOSE_REASON_BYTES)
  while (encoder.encode(cut + '…').byteLength > MAX_CLOSE_REASON_BYTES) cut = cut.slice(0, -1)
  return cut + '…'
}

function controlMessage(kind: number, value: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(9)
  bytes[0] = kind
  new DataView(bytes.buffer).setFloat64(1, value)
  return bytes
}

/**
 * A compute protocol Connection over one WebSocket, fed by the runtime: whoever owns the socket
 * calls `receive` for each message, `remoteClosed` on its close event and `failed` on an error
 * (a browser WebSocket, Hono's upgrade callbacks and a Durable Object's webSocketMessage
 * handler are wired the same way).
 *
 * Flow control does not rely on `bufferedAmount`: the sender keeps at most
 * WEBSOCKET_WINDOW_BYTES of frame data unconfirmed, and confirms by a probe carrying its byte
 * count, which the receiver echoes. WebSocket delivery is ordered and a receiver handles each
 * message before the next, so the echo says "all of that arrived and was handled". The receiver
 * keeps no state for it, which a Durable Object woken from hibernation could not have kept.
 */
export class WebSocketConnection implements Connection {
  readonly id: string
  readonly transport = WEBSOCKET_TRANSPORT
  readonly remoteAddress: string
  private readonly socket: WebSocketPort
  private readonly maxFrameBytes: number
  private handlers?: ConnectionHandlers
  private readonly pending: Pending[] = []
  private isClosed = false
  private socketGone = false
  private closeReason: string | undefined
  private closeDelivered = false
  // Sending.
  private readonly queue: Outgoing[] = []
  private sentBytes = 0
  private confirmedBytes = 0
  private probeOutstanding = false
  private drainWaiters: Array<() => void> = []
  // Receiving.
  private chunks: Uint8Array[] = []
  private chunkBytes = 0
  private discarding = false

  constructor(init: WebSocketConnectionInit) {
    this.socket = init.socket
    this.remoteAddress = init.remoteAddress
    this.id = init.id ?? newConnectionId()
    this.maxFrameBytes = init.maxFrameBytes ?? MAX_FRAME_BYTES
  }

  get closed(): boolean {
    return this.isClosed
  }

  async send(message: OutgoingMessage | Message, options?: AbortOptions): Promise<void> {
    options?.signal?.throwIfAborted()
    if (this.isClosed) throw this.closedError()
    const body = encodeMessage(message)
    if (body.byteLength > this.maxFrameBytes) {
      throw new ProtocolError(`${message.Type} message of ${body.byteLength} bytes exceeds the ${this.maxFrameBytes} byte frame limit`, {
        hint: 'send large inputs by reference (URL, IPFS CID) instead of inline',
      })
    }
    let settle!: (error?: Error) => void
    const written = new Promise<void>((resolve, reject) => (settle = (error) => (error ? reject(error) : resolve())))
    // Senders that never await (fire-and-forget replies) must not leave an unhandled rejection.
    written.catch(() => {})
    this.queue.push({ body, offset: 0, settle })
    this.pump()
    return abortable(written, options?.signal)
  }

  attach(handlers: ConnectionHandlers): void {
    this.handlers = handlers
    for (const item of this.pending.splice(0)) this.dispatch(item)
    if (this.isClosed) this.deliverClose()
  }

  async close(reason?: string): Promise<void> {
    if (this.isClosed) return
    this.finish(reason)
    // What was sent before close() goes out first (an Error, a Goodbye), as far as the peer takes it.
    if (this.queue.length > 0 && !this.socketGone) {
      let timer: ReturnType<typeof setTimeout> | undefined
      await new Promise<void>((resolve) => {
        this.drainWaiters.push(resolve)
        timer = setTimeout(resolve, CLOSE_DRAIN_MS)
      })
      clearTimeout(timer)
    }
    this.failQueue()
    this.closeSocket(reason)
  }

  /** Hands the connection one WebSocket message (text or binary) as it arrived. */
  receive(data: string | ArrayBuffer | ArrayBufferView): void {
    if (this.socketGone) return
    if (typeof data === 'string') {
      // A text message is one whole frame (handy for debugging with a plain WebSocket client).
      if (!this.isClosed) this.frame(data)
      return
    }
    const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
    if (bytes.byteLength === 0) return this.queueItem({ kind: 'error', error: new ProtocolError('empty WebSocket message: every message starts with a kind byte') })
    const kind = bytes[0]
    if (kind === Kind.probe || kind === Kind.credit) {
      if (bytes.byteLength !== 9) return this.queueItem({ kind: 'error', error: new ProtocolError(`flow-control message of ${bytes.byteLength} bytes (expected 9)`) })
      const value = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getFloat64(1)
      if (kind === Kind.probe) this.sendControl(Kind.credit, value)
      else this.credit(value)
      return
    }
    if (kind !== Kind.final && kind !== Kind.more) {
      return this.queueItem({ kind: 'error', error: new ProtocolError(`unknown WebSocket message kind ${kind}`, { hint: 'run the same Shoal version on both ends' }) })
    }
    if (this.isClosed) return
    const chunk = bytes.subarray(1)
    if (!this.discarding) {
      if (this.chunkBytes + chunk.byteLength > this.maxFrameBytes) {
        this.queueItem({ kind: 'error', error: new ProtocolError(`frame exceeds the ${this.maxFrameBytes} byte limit; dropped`) })
        this.discarding = true
        this.chunks = []
        this.chunkBytes = 0
      } else {
        // Copied: runtimes may reuse the buffer of a message once the handler returns.
        this.chunks.push(kind === Kind.final && this.chunks.length === 0 ? chunk : chunk.slice())
        this.chunkBytes += chunk.byteLength
      }
    }
    if (kind === Kind.final) {
      const discarded = this.discarding
      const chunks = this.chunks
      const length = this.chunkBytes
      this.chunks = []
      this.chunkBytes = 0
      this.discarding = false
      if (discarded) return
      if (chunks.length === 1) return this.frame(chunks[0])
      const body = new Uint8Array(length)
      let offset = 0
      for (const part of chunks) {
        body.set(part, offset)
        offset += part.byteLength
      }
      this.frame(body)
    }
  }

  /** Tells the connection its socket closed (the close event's code and reason). */
  remoteClosed(code?: number, reason?: string): void {
    if (this.socketGone) return
    this.socketGone = true
    this.failQueue()
    const detail = code !== undefined && code !== 1000 && code !== 1005 ? ` (code ${code})` : ''
    this.finish(reason ? reason : `remote peer closed the connection${detail}`)
  }

  /** Tells the connection its socket failed (the error event). */
  failed(error?: unknown): void {
    if (this.socketGone) return
    this.socketGone = true
    this.failQueue()
    const message = error instanceof Error ? error.message : typeof (error as { message?: unknown })?.message === 'string' ? (error as { message: string }).message : ''
    this.finish(`connection lost${message ? `: ${message}` : ''}`)
    this.closeSocket('connection lost')
  }

  // ----- sending -----

  /** Sends queued frames, chunk by chunk, while the window allows; resumes on credit. */
  private pump(): void {
    while (this.queue.length > 0) {
      if (this.socketGone) return this.failQueue()
      const item = this.queue[0]
      while (item.offset < item.body.byteLength) {
        if (this.sentBytes - this.confirmedBytes >= WEBSOCKET_WINDOW_BYTES) {
          this.probe()
          return
        }
        const end = Math.min(item.offset + WEBSOCKET_CHUNK_BYTES, item.body.byteLength)
        const message = new Uint8Array(1 + end - item.offset)
        message[0] = end === item.body.byteLength ? Kind.final : Kind.more
        message.set(item.body.subarray(item.offset, end), 1)
        try {
          this.socket.send(message)
        } catch (err) {
          this.failed(err)
          return
        }
        this.sentBytes += end - item.offset
        item.offset = end
        if (this.sentBytes - this.confirmedBytes >= WEBSOCKET_WINDOW_BYTES / 2) this.probe()
      }
      this.queue.shift()
      item.settle()
    }
    for (const resolve of this.drainWaiters.splice(0)) resolve()
  }

  private probe(): void {
    if (this.probeOutstanding) return
    this.probeOutstanding = true
    this.sendControl(Kind.probe, this.sentBytes)
  }

  private credit(value: number): void {
    this.probeOutstanding = false
    // An echo of a count this side never sent (a probe from before a restart) confirms nothing.
    if (Number.isFinite(value) && value > this.confirmedBytes && value <= this.sentBytes) this.confirmedBytes = value
    this.pump()
  }

  private sendControl(kind: number, value: number): void {
    if (this.socketGone) return
    try {
      this.socket.send(controlMessage(kind, value))
    } catch (err) {
      this.failed(err)
    }
  }

  private failQueue(): void {
    const items = this.queue.splice(0)
    for (const item of items) item.settle(this.closedError())
    for (const resolve of this.drainWaiters.splice(0)) resolve()
  }

  private closeSocket(reason: string | undefined): void {
    try {
      // 1000: a script may send only 1000 or 3000-4999 (browsers throw for others).
      this.socket.close(1000, closeReasonOf(reason))
    } catch {
      // Already closing or closed: nothing left to release.
    }
  }

  // ----- receiving -----

  private frame(body: Uint8Array | string): void {
    let message: Message
    try {
      message = decodeMessage(body)
    } catch (err) {
      return this.queueItem({ kind: 'error', error: err as Error })
    }
    this.queueItem({ kind: 'message', message })
  }

  private queueItem(item: Pending): void {
    if (this.handlers === undefined) this.pending.push(item)
    else this.dispatch(item)
  }

  private dispatch(item: Pending): void {
    const handlers = this.handlers!
    try {
      if (item.kind === 'message') handlers.onMessage(item.message)
      else handlers.onError?.(item.error)
    } catch (err) {
      // A throwing handler must not take the socket's event loop down.
      if (item.kind === 'message') handlers.onError?.(err as Error)
    }
  }

  private finish(reason: string | undefined): void {
    if (this.isClosed) return
    this.isClosed = true
    this.closeReason = reason
    if (this.handlers !== undefined) this.deliverClose()
  }

  private deliverClose(): void {
    if (this.closeDelivered) return
    this.closeDelivered = true
    this.handlers!.onClose(this.closeReason)
  }

  private closedError(cause?: unknown): UnreachableError {
    return new UnreachableError(`connection to ${this.remoteAddress} is closed${this.closeReason ? ` (${this.closeReason})` : ''}`, {
      cause,
      hint: 'dial again; the compute node reconnects with back-off',
    })
  }
}

/** Frames one body as the single final chunk a WebSocketConnection accepts (tests write raw frames with it). */
export function encodeWebSocketFrame(body: Uint8Array): Uint8Array<ArrayBuffer> {
  const message = new Uint8Array(1 + body.byteLength)
  message[0] = Kind.final
  message.set(body, 1)
  return message
}

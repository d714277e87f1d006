import { ProtocolError, UnreachableError } from '@shoal/models'
import { abortable, concatBytes, type AbortOptions } from '@shoal/interface'
import { decodeMessage, encodeMessage, MAX_FRAME_BYTES } from '@shoal/protocol'
import type { Connection, ConnectionHandlers, Message, OutgoingMessage } from '@shoal/protocol'
import type { Connection as Libp2pConnectionHandle, Stream, StreamCloseEvent, StreamMessageEvent } from '@libp2p/interface'
import { encodeFrame, FrameDecoder } from './frame-codec.ts'
import { transportName, type Libp2pTransportName } from './transport-name.ts'

/** What a Libp2pConnection is built from. */
export interface Libp2pConnectionInit {
  /** The negotiated compute protocol stream. */
  stream: Stream
  /** The libp2p connection the stream runs on. */
  connection: Libp2pConnectionHandle
  /** Largest frame sent or accepted; defaults to MAX_FRAME_BYTES. */
  maxFrameBytes?: number
}

type Pending = { kind: 'message'; message: Message } | { kind: 'error'; error: Error }

/** Frames sent in the same turn of the event loop go to the stream as one write, up to this size. */
const BATCH_BYTES = 64 * 1024

/** Frames waiting for the end of the current turn, and the promise their senders wait on. */
interface Outbox {
  frames: Uint8Array[]
  bytes: number
  written: Promise<void>
  settle: (error?: Error) => void
}

/**
 * A compute protocol Connection over one long-lived libp2p stream: length-prefixed frames, each
 * validated by decodeMessage. A malformed or oversized frame is reported to `onError` and the
 * connection stays open; a corrupt length prefix closes it (the byte stream cannot be resynced).
 * Frames sent in the same turn (a scheduler's burst of AskForBids, a node's state update and
 * result) are written as one chunk: one muxer frame, one encrypted message, one socket write.
 */
export class Libp2pConnection implements Connection {
  readonly id: string
  readonly transport: Libp2pTransportName
  readonly remoteAddress: string
  /** The remote peer ID (a stable identity when the peer keeps its key). */
  readonly remotePeer: string
  private readonly stream: Stream
  private readonly maxFrameBytes: number
  private readonly decoder: FrameDecoder
  private handlers?: ConnectionHandlers
  private readonly pending: Pending[] = []
  private isClosed = false
  private closeReason: string | undefined
  private closeDelivered = false
  private outbox: Outbox | undefined

  constructor(init: Libp2pConnectionInit) {
    const { stream, connection } = init
    this.stream = stream
    this.maxFrameBytes = init.maxFrameBytes ?? MAX_FRAME_BYTES
    this.decoder = new FrameDecoder(this.maxFrameBytes)
    this.id = `libp2p-${connection.id}-${stream.id}`
    this.transport = transportName(connection.remoteAddr)
    this.remotePeer = connection.remotePeer.toString()
    const last = connection.remoteAddr.getComponents().at(-1)
    this.remoteAddress =
      last?.name === 'p2p' && last.value === this.remotePeer
        ? connection.remoteAddr.toString()
        : `${connection.remoteAddr.toString()}/p2p/${this.remotePeer}`
    stream.addEventListener('message', (event: StreamMessageEvent) => this.receive(event.data.subarray()))
    // 'end' (not 'remoteCloseWrite') so frames the remote sent just before closing are delivered.
    stream.addEventListener('end', () => {
      this.finish('remote peer closed the connection')
      // Close our half too so the stream is released on both sides.
      if (this.stream.writeStatus === 'writable') this.stream.close().catch((err: Error) => this.stream.abort(err))
    })
    stream.addEventListener('close', (event: StreamCloseEvent) => {
      this.finish(event.error === undefined ? 'remote peer closed the connection' : `connection lost: ${event.error.message}`)
    })
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
    const frame = encodeFrame(body)
    if (frame.byteLength >= BATCH_BYTES) {
      // Large frames (inline modules) are written on their own, after what is queued, uncopied.
      this.flush()
      return this.write(frame, options)
    }
    const outbox = (this.outbox ??= this.newOutbox())
    outbox.frames.push(frame)
    outbox.bytes += frame.byteLength
    if (outbox.bytes >= BATCH_BYTES) this.flush()
    return abortable(outbox.written, options?.signal)
  }

  private newOutbox(): Outbox {
    let settle!: (error?: Error) => void
    const written = new Promise<void>((resolve, reject) => (settle = (error) => (error ? reject(error) : resolve())))
    // Senders that never await (fire-and-forget replies) must not leave an unhandled rejection.
    written.catch(() => {})
    queueMicrotask(() => this.flush())
    return { frames: [], bytes: 0, written, settle }
  }

  /** Writes the frames queued so far as one chunk; their senders resume once the stream took it. */
  private flush(): void {
    const outbox = this.outbox
    if (!outbox) return
    this.outbox = undefined
    if (outbox.frames.length === 0) return outbox.settle()
    const chunk = outbox.frames.length === 1 ? outbox.frames[0] : concatBytes(outbox.frames, outbox.bytes)
    this.write(chunk).then(() => outbox.settle(), (error: Error) => outbox.settle(error))
  }

  private async write(chunk: Uint8Array, options?: AbortOptions): Promise<void> {
    if (this.isClosed) throw this.closedError()
    let canSendMore: boolean
    try {
      canSendMore = this.stream.send(chunk)
    } catch (err) {
      throw this.closedError(err)
    }
    if (canSendMore) return
    // The chunk is queued; wait until the stream can take more so fast senders feel backpressure.
    try {
      await this.stream.onDrain(options)
    } catch (err) {
      if (options?.signal?.aborted) throw options.signal.reason
      throw this.closedError(err)
    }
  }

  attach(handlers: ConnectionHandlers): void {
    this.handlers = handlers
    for (const item of this.pending.splice(0)) this.dispatch(item)
    if (this.isClosed) this.deliverClose()
  }

  async close(reason?: string): Promise<void> {
    if (this.isClosed) return
    // What was sent before close() goes out before the stream closes (an Error, a Goodbye).
    this.flush()
    this.finish(reason)
    try {
      await this.stream.close()
    } catch (err) {
      this.stream.abort(err as Error)
    }
  }

  private receive(bytes: Uint8Array): void {
    if (this.isClosed) return
    for (const event of this.decoder.push(bytes)) {
      if (event.type === 'frame') {
        let message: Message
        try {
          message = decodeMessage(event.body)
        } catch (err) {
          this.queue({ kind: 'error', error: err as Error })
          continue
        }
        this.queue({ kind: 'message', message })
      } else {
        this.queue({ kind: 'error', error: event.error })
        if (event.type === 'corrupt') {
          this.finish(event.error.message)
          this.stream.abort(event.error)
        }
      }
    }
  }

  private queue(item: Pending): void {
    if (this.handlers === undefined) this.pending.push(item)
    else this.dispatch(item)
  }

  private dispatch(item: Pending): void {
    const handlers = this.handlers!
    try {
      if (item.kind === 'message') handlers.onMessage(item.message)
      else handlers.onError?.(item.error)
    } catch (err) {
      // A throwing handler must not take the stream (or, through EventTarget, the process) down.
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

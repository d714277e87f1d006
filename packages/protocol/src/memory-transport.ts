import { UnreachableError, ProtocolError } from '@shoal/models'
import type { AbortOptions } from '@shoal/interface'
import { decodeMessage, encodeMessage } from './codec.ts'
import type { Message, OutgoingMessage } from './messages.ts'
import type { Connection, ConnectionHandlers, Dialer, Listener } from './transport.ts'

let nextId = 0

/**
 * An in-memory transport for tests: a network of named listeners in one process. Every message
 * is encoded and decoded as on a real wire, so validation and copying behave the same.
 */
export class MemoryNetwork {
  private readonly listeners = new Map<string, (connection: Connection) => void>()

  /** A listener reachable at `address`. */
  listener(address: string): Listener {
    return {
      addresses: [address],
      start: async (onConnection) => {
        if (this.listeners.has(address)) throw new ProtocolError(`memory address ${address} already in use`)
        this.listeners.set(address, onConnection)
      },
      stop: async () => {
        this.listeners.delete(address)
      },
    }
  }

  /** A dialer into this network, identified as `name` on the other side. */
  dialer(name = 'memory-dialer'): Dialer {
    return {
      dial: async (address: string, options?: AbortOptions) => {
        options?.signal?.throwIfAborted()
        const accept = this.listeners.get(address)
        if (accept === undefined) throw new UnreachableError(`no memory listener at ${address}`)
        const [local, remote] = MemoryConnection.pair(name, address)
        accept(remote)
        return local
      },
    }
  }
}

/** One end of an in-memory connection pair. */
export class MemoryConnection implements Connection {
  readonly id = `memory-${++nextId}`
  readonly transport = 'memory'
  readonly remoteAddress: string
  private peer?: MemoryConnection
  private handlers?: ConnectionHandlers
  private readonly pending: Array<() => void> = []
  private isClosed = false

  private constructor(remoteAddress: string) {
    this.remoteAddress = remoteAddress
  }

  /** Two connected ends: the first is the dialer's, the second the listener's. */
  static pair(dialerName: string, listenerAddress: string): [MemoryConnection, MemoryConnection] {
    const a = new MemoryConnection(listenerAddress)
    const b = new MemoryConnection(dialerName)
    a.peer = b
    b.peer = a
    return [a, b]
  }

  get closed(): boolean {
    return this.isClosed
  }

  async send(message: OutgoingMessage | Message): Promise<void> {
    if (this.isClosed) throw new UnreachableError('connection is closed')
    const frame = encodeMessage(message)
    const peer = this.peer!
    // Deliver asynchronously, in order, as a network would.
    queueMicrotask(() => peer.deliver(frame))
  }

  /** Delivers a raw frame (tests use this to inject malformed data). */
  deliver(frame: Uint8Array | string): void {
    if (this.isClosed) return
    const run = () => {
      let message: Message
      try {
        message = decodeMessage(frame)
      } catch (err) {
        this.handlers!.onError?.(err as Error)
        return
      }
      this.handlers!.onMessage(message)
    }
    if (this.handlers) run()
    else this.pending.push(run)
  }

  attach(handlers: ConnectionHandlers): void {
    this.handlers = handlers
    for (const run of this.pending.splice(0)) run()
  }

  async close(reason?: string): Promise<void> {
    if (this.isClosed) return
    this.isClosed = true
    this.handlers?.onClose(reason)
    const peer = this.peer
    if (peer && !peer.isClosed) queueMicrotask(() => void peer.close(reason))
  }
}

import type { AbortOptions } from '@shoal/interface'
import type { Message, OutgoingMessage } from './messages.ts'

/** Callbacks a connection delivers to. Messages arrive validated; malformed frames go to onError. */
export interface ConnectionHandlers {
  onMessage(message: Message): void
  /** A frame that could not be decoded (the connection stays open). */
  onError?(error: Error): void
  onClose(reason: string | undefined): void
}

/**
 * One bidirectional, ordered, message-framed channel between a requester and a compute node.
 * Messages sent before `attach` is called are buffered.
 */
export interface Connection {
  /** Unique per connection. */
  readonly id: string
  /** How the bytes travel, e.g. "memory", "webrtc-direct", "webrtc", "websockets". */
  readonly transport: string
  /** The remote peer (peer ID, multiaddr or a test name). */
  readonly remoteAddress: string
  send(message: OutgoingMessage | Message, options?: AbortOptions): Promise<void>
  attach(handlers: ConnectionHandlers): void
  close(reason?: string): Promise<void>
  readonly closed: boolean
}

/** The requester side: accepts connections from compute nodes. */
export interface Listener {
  /** Addresses compute nodes can dial (multiaddrs for libp2p, names for memory). */
  readonly addresses: string[]
  start(onConnection: (connection: Connection) => void): Promise<void>
  stop(): Promise<void>
}

/** The compute node side: opens a connection to a requester address. */
export interface Dialer {
  dial(address: string, options?: AbortOptions): Promise<Connection>
  stop?(): Promise<void>
}

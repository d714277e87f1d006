import { UnreachableError } from '@shoal/models'
import type { Connection, Listener } from './transport.ts'
import { WebSocketConnection, type WebSocketPort } from './websocket-connection.ts'

/** Options of createWebSocketListener. */
export interface WebSocketListenerInit {
  /** The ws(s):// URLs compute nodes dial, once known (the server's port may be chosen at start). */
  addresses?: () => string[]
  /** Largest frame sent or accepted; defaults to MAX_FRAME_BYTES. */
  maxFrameBytes?: number
}

/** A Listener for sockets a runtime's HTTP server accepted: the server hands each one to `accept`. */
export interface WebSocketListener extends Listener {
  /**
   * Turns an accepted, open socket into a Connection and hands it to the requester; the caller
   * feeds it the socket's messages and close. UnreachableError while the listener is stopped.
   */
  accept(socket: WebSocketPort, remoteAddress: string): WebSocketConnection
  /** Whether it is started (an HTTP route answers 503 otherwise). */
  readonly listening: boolean
}

/**
 * The requester side of the WebSocket transport. It opens no port: the runtime's HTTP server
 * upgrades GET /api/v1/shoal/compute (see the orchestrator API) and passes the socket in, so the
 * compute protocol shares the REST API's port, TLS and reverse proxy.
 */
export function createWebSocketListener(init: WebSocketListenerInit = {}): WebSocketListener {
  let onConnection: ((connection: Connection) => void) | undefined
  return {
    get addresses() {
      return init.addresses?.() ?? []
    },
    get listening() {
      return onConnection !== undefined
    },
    start: async (handler) => {
      onConnection = handler
    },
    stop: async () => {
      onConnection = undefined
    },
    accept: (socket, remoteAddress) => {
      if (onConnection === undefined) {
        throw new UnreachableError('the compute WebSocket listener is not started', { hint: 'try again once the requester has started' })
      }
      const connection = new WebSocketConnection({ socket, remoteAddress, maxFrameBytes: init.maxFrameBytes })
      onConnection(connection)
      return connection
    },
  }
}

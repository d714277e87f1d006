import { BadRequestError, UnreachableError } from '@shoal/models'
import type { AbortOptions } from '@shoal/interface'
import type { Dialer } from './transport.ts'
import { WebSocketConnection } from './websocket-connection.ts'

/** The standard WebSocket constructor (Node 24's global, a browser's, workerd's). */
export type WebSocketConstructor = new (url: string | URL, protocols?: string | string[]) => WebSocket

/** Options of createWebSocketDialer. */
export interface WebSocketDialerInit {
  /** The WebSocket class (default: the global one). */
  WebSocket?: WebSocketConstructor
  /** How long the opening handshake may take, in ms (default 10000). */
  openTimeoutMs?: number
  /** Largest frame sent or accepted; defaults to MAX_FRAME_BYTES. */
  maxFrameBytes?: number
}

/** Whether `address` is a ws:// or wss:// URL (what a WebSocket dialer dials). */
export function isWebSocketAddress(address: string): boolean {
  return /^wss?:\/\//i.test(address)
}

/**
 * A Dialer that opens a WebSocket to a requester's compute endpoint (a ws:// or wss:// URL,
 * e.g. ws://host:1234/api/v1/shoal/compute) with the standard WebSocket class.
 */
export function createWebSocketDialer(init: WebSocketDialerInit = {}): Dialer {
  const openTimeoutMs = init.openTimeoutMs ?? 10_000
  return {
    dial: async (address: string, options?: AbortOptions): Promise<WebSocketConnection> => {
      options?.signal?.throwIfAborted()
      if (!isWebSocketAddress(address)) {
        throw new BadRequestError(`${address} is not a WebSocket URL`, { hint: 'give a ws:// or wss:// URL, e.g. ws://127.0.0.1:1234/api/v1/shoal/compute' })
      }
      const Ctor = init.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket
      if (Ctor === undefined) throw new UnreachableError('this runtime has no WebSocket class', { hint: 'use Node 24 or later, a browser or workerd' })
      let socket: WebSocket
      try {
        socket = new Ctor(address)
      } catch (err) {
        throw new BadRequestError(`cannot open a WebSocket to ${address}: ${(err as Error).message}`, { cause: err })
      }
      socket.binaryType = 'arraybuffer'
      const connection = new WebSocketConnection({
        socket: { send: (data) => socket.send(data), close: (code, reason) => socket.close(code, reason) },
        remoteAddress: address,
        maxFrameBytes: init.maxFrameBytes,
      })
      // Wired before the socket opens so nothing the requester sends first can be missed.
      socket.addEventListener('message', (event: MessageEvent) => connection.receive(event.data as string | ArrayBuffer))
      socket.addEventListener('close', (event: CloseEvent) => connection.remoteClosed(event.code, event.reason))
      await new Promise<void>((resolve, reject) => {
        const cleanup = () => {
          clearTimeout(timer)
          socket.removeEventListener('open', onOpen)
          socket.removeEventListener('error', onFail)
          socket.removeEventListener('close', onFail)
          options?.signal?.removeEventListener('abort', onAbort)
        }
        const onOpen = () => {
          cleanup()
          socket.addEventListener('error', (event) => connection.failed(event))
          resolve()
        }
        const onFail = (event: Event) => {
          cleanup()
          const detail = event.type === 'close' && (event as CloseEvent).code !== 1006 ? ` (closed with code ${(event as CloseEvent).code}${(event as CloseEvent).reason ? `: ${(event as CloseEvent).reason}` : ''})` : ''
          const message = (event as { message?: unknown }).message
          reject(
            new UnreachableError(`cannot open a WebSocket to ${address}${detail}${typeof message === 'string' && message ? `: ${message}` : ''}`, {
              hint: 'check the requester is running and offers the websocket transport (GET /api/v1/shoal/peers lists what it offers)',
            }),
          )
        }
        const onAbort = () => {
          cleanup()
          socket.close()
          reject(options!.signal!.reason)
        }
        const timer = setTimeout(() => {
          cleanup()
          socket.close()
          reject(new UnreachableError(`no WebSocket to ${address} within ${openTimeoutMs} ms`, { hint: 'check the requester address and that nothing in between drops WebSocket upgrades' }))
        }, openTimeoutMs)
        socket.addEventListener('open', onOpen)
        socket.addEventListener('error', onFail)
        socket.addEventListener('close', onFail)
        options?.signal?.addEventListener('abort', onAbort, { once: true })
      })
      return connection
    },
  }
}

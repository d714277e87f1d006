import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { getRequestListener } from '@hono/node-server'
import { createNodeWebSocket } from '@hono/node-ws'
import { Hono } from 'hono'
import { createRequesterApp, type RequesterService } from '@shoal/orchestrator'
import { COMPUTE_SOCKET_PATH, createWebSocketDialer, createWebSocketListener, encodeWebSocketFrame } from '@shoal/protocol'
import type { MakeTransportPair } from '@shoal/protocol/transport-compliance'

/** A loopback HTTP server serving the requester API's compute WebSocket route, as `shoal serve` mounts it. */
export async function startComputeSocketServer(listener: ReturnType<typeof createWebSocketListener>): Promise<{ url: string; server: Server; close(): Promise<void> }> {
  const root = new Hono()
  const { injectWebSocket, upgradeWebSocket, wss } = createNodeWebSocket({ app: root })
  // The compute routes use no RequesterService: the pair exercises only them.
  const api = createRequesterApp({ service: {} as RequesterService, upgradeWebSocket, compute: { websocket: listener, remoteAddress: () => 'loopback-client' } })
  root.mount('/', api.fetch, { replaceRequest: false })
  const server = createServer(getRequestListener(root.fetch))
  injectWebSocket(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `ws://127.0.0.1:${port}${COMPUTE_SOCKET_PATH}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
        // Upgraded sockets are no longer the HTTP server's to close.
        for (const client of wss.clients) client.terminate()
      }),
  }
}

/** The WebSocket transport as a TransportPair: Node 24's global WebSocket dialing a real loopback server. */
export function websocketPair(): MakeTransportPair {
  return async () => {
    const listener = createWebSocketListener()
    const http = await startComputeSocketServer(listener)
    const raw: WebSocket[] = []
    return {
      listener,
      dialer: createWebSocketDialer(),
      transport: 'websocket',
      address: () => http.url,
      deadAddress: async () => {
        const gone = await startComputeSocketServer(createWebSocketListener())
        await gone.close()
        return gone.url
      },
      rawFrameWriter: async (address) => {
        const socket = new WebSocket(address)
        raw.push(socket)
        await new Promise<void>((resolve, reject) => {
          socket.addEventListener('open', () => resolve(), { once: true })
          socket.addEventListener('error', () => reject(new Error(`raw WebSocket to ${address} failed`)), { once: true })
        })
        return {
          write: async (body) => socket.send(encodeWebSocketFrame(body)),
          close: async () => socket.close(),
        }
      },
      close: async () => {
        for (const socket of raw) socket.close()
        await http.close()
      },
    }
  }
}

/** The routes compute nodes use: transport discovery and the compute protocol over a WebSocket. */
import { BadRequestError, UnreachableError } from '@shoal/models'
import { COMPUTE_SOCKET_PATH, REQUESTER_PEERS_PATH, type ComputeTransportOffer, type RequesterPeersResponse, type WebSocketConnection } from '@shoal/protocol'
import type { ApiComponents, ApiRoute } from './api-route.ts'
import { NotImplementedError } from './http-errors.ts'

/** GET /api/v1/shoal/peers and GET /api/v1/shoal/compute. */
export function computeRoutes(components: ApiComponents): ApiRoute[] {
  const { compute, upgradeWebSocket, logger } = components
  const offersWebSocket = compute?.websocket !== undefined && upgradeWebSocket !== undefined
  return [
    {
      method: 'GET',
      path: REQUESTER_PEERS_PATH,
      operationId: 'shoal/peers',
      summary: 'The transports compute nodes and contributing tabs reach this requester on.',
      description:
        'Transports lists each way in: libp2p (its multiaddrs; tabs prefer WebRTC-direct) and websocket (a URL relative to this API, ' +
        'upgraded on this port). PeerID and Multiaddrs repeat the libp2p offer for older pages. Open without credentials: compute ' +
        'nodes prove themselves in the compute protocol handshake (join token, signed challenge).',
      tag: 'Compute',
      scope: 'public',
      response: 'RequesterPeers',
      handler: (c) => {
        const libp2p = compute?.libp2p?.()
        const transports: ComputeTransportOffer[] = []
        if (libp2p !== undefined && libp2p.multiaddrs.length > 0) transports.push({ Type: 'libp2p', Multiaddrs: libp2p.multiaddrs })
        if (offersWebSocket) transports.push({ Type: 'websocket', URL: COMPUTE_SOCKET_PATH })
        return c.json({ PeerID: libp2p?.peerId ?? '', Multiaddrs: libp2p?.multiaddrs ?? [], Transports: transports } satisfies RequesterPeersResponse)
      },
    },
    {
      method: 'GET',
      path: COMPUTE_SOCKET_PATH,
      operationId: 'shoal/compute',
      summary: 'The compute protocol over a WebSocket (an upgrade of this request).',
      description:
        'Binary messages: the first byte is the kind (0 final chunk of a frame, 1 a chunk with more to come, 2 probe, 3 credit), ' +
        'the rest a chunk of a JSON compute protocol frame or a flow-control count. The requester speaks first (Challenge).',
      tag: 'Compute',
      scope: 'public',
      response: 'Error',
      websocket: true,
      handler: (c) => {
        if (!offersWebSocket) {
          throw new NotImplementedError('this requester does not accept compute nodes over WebSocket', {
            hint: `see which transports it offers at ${REQUESTER_PEERS_PATH}`,
          })
        }
        if ((c.req.header('upgrade') ?? '').toLowerCase() !== 'websocket') {
          throw new BadRequestError(`${COMPUTE_SOCKET_PATH} speaks the compute protocol over a WebSocket`, {
            hint: 'open it with a WebSocket client (shoal serve --compute --requester <this API URL> does)',
          })
        }
        const listener = compute!.websocket!
        if (!listener.listening) throw new UnreachableError('the requester is not accepting compute nodes yet', { hint: 'try again in a moment' })
        const remoteAddress = compute?.remoteAddress?.(c) || 'websocket client'
        let connection: WebSocketConnection | undefined
        return upgradeWebSocket!(c, {
          onOpen: (_event, ws) => {
            try {
              connection = listener.accept({ send: (data) => ws.send(data), close: (code, reason) => ws.close(code, reason) }, remoteAddress)
            } catch (err) {
              logger.warn('compute WebSocket refused', { remoteAddress, error: (err as Error).message })
              ws.close(1000, 'the requester is not accepting compute nodes')
            }
          },
          onMessage: (event) => connection?.receive(event.data as string | ArrayBuffer),
          onClose: (event) => connection?.remoteClosed(event.code, event.reason),
          onError: (event) => connection?.failed((event as ErrorEvent).error ?? event),
        })
      },
    },
  ]
}

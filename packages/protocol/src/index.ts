/**
 * @shoal/protocol — the compute protocol (validated, versioned messages) and the Transport
 * contract (Listener, Dialer, Connection), with an in-memory transport for tests and the
 * WebSocket transport (standard WebSocket class: Node, browsers, workerd).
 */
export * from './messages.ts'
export { encodeMessage, decodeMessage, decodeMessageValue, toMessage, MAX_FRAME_BYTES } from './codec.ts'
export type { Connection, ConnectionHandlers, Listener, Dialer } from './transport.ts'
export { MemoryNetwork, MemoryConnection } from './memory-transport.ts'
export {
  generateNodeKey,
  generateNodeKeyJwk,
  handshakeProofBytes,
  newChallengeNonce,
  nodeKeyFromJwk,
  nodeKeyFromSigner,
  signHandshakeProof,
  verifyHandshakeProof,
} from './node-key.ts'
export type { HandshakeProofFields, NodeKey } from './node-key.ts'
export { WebSocketConnection, WEBSOCKET_TRANSPORT, WEBSOCKET_CHUNK_BYTES, WEBSOCKET_WINDOW_BYTES, closeReasonOf, encodeWebSocketFrame } from './websocket-connection.ts'
export type { WebSocketConnectionInit, WebSocketPort } from './websocket-connection.ts'
export { createWebSocketDialer, isWebSocketAddress } from './websocket-dialer.ts'
export type { WebSocketConstructor, WebSocketDialerInit } from './websocket-dialer.ts'
export { createWebSocketListener } from './websocket-listener.ts'
export type { WebSocketListener, WebSocketListenerInit } from './websocket-listener.ts'
export { createRoutingDialer } from './routing-dialer.ts'
export type { DialerRoute } from './routing-dialer.ts'
export {
  COMPUTE_SOCKET_PATH,
  REQUESTER_PEERS_PATH,
  fetchRequesterTransports,
  requesterTransportsOf,
  webSocketUrlOf,
} from './requester-transports.ts'
export type { ComputeTransportOffer, FetchRequesterTransportsOptions, RequesterPeersResponse, RequesterTransports } from './requester-transports.ts'
export { createDiscoveringDialer, isHttpAddress } from './discovering-dialer.ts'
export type { DiscoveringDialerInit } from './discovering-dialer.ts'

/**
 * @shoal/transport-libp2p — the compute protocol over libp2p: one long-lived, length-prefixed
 * stream (`/shoal/compute/2.0.0`) per compute node connection, implementing the Transport
 * contract of @shoal/protocol, plus factories for requester and compute node libp2p nodes
 * (WebSockets, WebRTC-direct, WebRTC, circuit relay; noise, yamux, identify, ping).
 * Runtime-neutral: runs in Node and in a browser page.
 */
export { COMPUTE_PROTOCOL_ID } from './protocol-id.ts'
export { encodeFrame, FrameDecoder, type FrameEvent } from './frame-codec.ts'
export { transportName, type Libp2pTransportName } from './transport-name.ts'
export { Libp2pConnection, type Libp2pConnectionInit } from './libp2p-connection.ts'
export { createLibp2pListener, type Libp2pListenerInit } from './libp2p-listener.ts'
export { createLibp2pDialer, type Libp2pDialerInit } from './libp2p-dialer.ts'
export { createRequesterLibp2p, DEFAULT_REQUESTER_LISTEN, type RequesterLibp2pInit, type RequesterServices } from './requester-libp2p.ts'
export { createComputeLibp2p, type ComputeLibp2pInit, type ComputeServices } from './compute-libp2p.ts'
export { devConnectionGater } from './connection-gater.ts'
export { webRTCConfiguration } from './webrtc-configuration.ts'
export { WebRTCUnavailableError } from './webrtc-unavailable-error.ts'
export { generatePeerKey, peerKeyToBytes, peerKeyFromBytes, peerIdOf } from './peer-key-codec.ts'
export type { Libp2p, PrivateKey } from '@libp2p/interface'

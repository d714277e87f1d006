import type { Multiaddr } from '@multiformats/multiaddr'

/** The underlying transport of a libp2p connection, as reported by `Connection.transport`. */
export type Libp2pTransportName = 'webrtc-direct' | 'webrtc' | 'circuit-relay' | 'websockets' | 'webtransport' | 'tcp' | 'unknown'

/**
 * Names the transport a connection with this remote multiaddr runs over. WebRTC is checked
 * before circuit relay: a `/webrtc` address goes through `/p2p-circuit` only for signalling,
 * while the bytes flow over the direct WebRTC connection.
 */
export function transportName(remoteAddr: Multiaddr): Libp2pTransportName {
  const names = new Set(remoteAddr.getComponents().map((component) => component.name))
  if (names.has('webrtc-direct')) return 'webrtc-direct'
  if (names.has('webrtc')) return 'webrtc'
  if (names.has('p2p-circuit')) return 'circuit-relay'
  if (names.has('ws') || names.has('wss')) return 'websockets'
  if (names.has('webtransport')) return 'webtransport'
  if (names.has('tcp')) return 'tcp'
  return 'unknown'
}

import { createDiscoveringDialer, createRoutingDialer, createWebSocketDialer, isHttpAddress, isWebSocketAddress, type Dialer } from '@shoal/protocol'
import { createLibp2pDialer, type Libp2p } from '@shoal/transport-libp2p'

/** The address a Node compute node should dial: WebSockets first (no ICE needed), then the rest. */
export function preferredDialOrder(multiaddrs: string[]): string[] {
  const rank = (a: string) => (a.includes('/ws') ? 0 : a.includes('/webrtc-direct') ? 1 : 2)
  return [...multiaddrs].sort((a, b) => rank(a) - rank(b))
}

/**
 * How a Node compute node reaches its requester, by the form of the address: a libp2p multiaddr
 * over libp2p, a ws(s):// URL over a plain WebSocket, and an http(s):// API URL by asking the
 * requester which transports it offers (libp2p when offered and reachable, else its WebSocket).
 */
export function createRequesterDialer(options: { libp2p: Libp2p }): Dialer {
  const direct = createRoutingDialer([
    { matches: isWebSocketAddress, dialer: createWebSocketDialer() },
    { matches: (address) => address.startsWith('/'), dialer: createLibp2pDialer({ libp2p: options.libp2p }) },
  ])
  return createRoutingDialer([
    { matches: isHttpAddress, dialer: createDiscoveringDialer({ dialer: direct, order: (offered) => [...preferredDialOrder(offered.libp2p), ...offered.websocket] }) },
    { matches: () => true, dialer: direct },
  ])
}

import { UnreachableError } from '@shoal/models'
import { fetchRequesterTransports, isWebSocketAddress, type RequesterTransports } from '@shoal/protocol'

/** Rank of an address: WebRTC first, WebSockets only as a fallback. */
function rank(address: string): number {
  if (address.includes('/webrtc-direct')) return 0
  if (address.includes('/webrtc')) return 1
  if (address.includes('/ws') || address.includes('/wss')) return 2
  return 3
}

/**
 * The addresses a tab dials, in the order tried: WebRTC-direct, WebRTC (relay signalling),
 * then WebSockets. Addresses a browser cannot dial (plain TCP, QUIC) are left out, and so are
 * the WebRTC ones when the browser has no WebRTC (`webrtc: false`).
 */
export function dialOrder(multiaddrs: readonly string[], options: { webrtc?: boolean } = {}): string[] {
  const usable = options.webrtc === false ? 2 : 0
  return multiaddrs.filter((address) => rank(address) < 3 && rank(address) >= usable).sort((a, b) => rank(a) - rank(b))
}

/** Whether this browser can open WebRTC connections (some disable RTCPeerConnection). */
export function hasWebRTC(scope: object = globalThis): boolean {
  return typeof (scope as { RTCPeerConnection?: unknown }).RTCPeerConnection === 'function'
}

/**
 * The addresses a tab dials, in order: asked from the requester's API when `requester` is an
 * http(s) URL (normally the page's own origin), else the multiaddr or ws(s):// URL itself. Of
 * what the API offers: libp2p (in dialOrder: WebRTC-direct, WebRTC, WebSockets) when it offers
 * libp2p, then its plain compute WebSocket (all a requester that offers only WebSocket, as the
 * edge does, has).
 */
export async function resolveRequesterAddresses(requester: string, options: { fetch?: typeof fetch; signal?: AbortSignal; webrtc?: boolean } = {}): Promise<string[]> {
  if (requester.startsWith('/') || isWebSocketAddress(requester)) return [requester]
  let transports: RequesterTransports
  try {
    transports = await fetchRequesterTransports(requester, { fetch: options.fetch, signal: options.signal })
  } catch (err) {
    if (options.signal?.aborted) throw err
    throw new UnreachableError(`cannot ask the requester at ${requester} for its addresses: ${((err as Error).cause as Error | undefined)?.message ?? (err as Error).message}`, {
      cause: err,
      hint: 'open the page from a running requester (shoal serve --orchestrator), or pass ?requester=<its API URL, ws:// URL or multiaddr>',
    })
  }
  const addresses = [...dialOrder(transports.libp2p, { webrtc: options.webrtc }), ...transports.websocket]
  if (addresses.length === 0) {
    if (options.webrtc === false) {
      throw new UnreachableError(`this browser has WebRTC turned off and the requester at ${requester} advertises no WebSockets address`, {
        hint: 'allow WebRTC in this browser, or start the requester with the websocket transport (--compute-transports libp2p,websocket)',
      })
    }
    throw new UnreachableError(`the requester at ${requester} advertises no address a browser can dial`, {
      hint: 'start the requester with a WebRTC-direct listener or the websocket transport',
    })
  }
  return addresses
}

import { UnreachableError } from '@shoal/models'

/** What the requester advertises at GET /api/v1/shoal/peers. */
export interface RequesterPeers {
  PeerID: string
  Multiaddrs: string[]
}

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
 * The requester's multiaddrs: asked from its API when `requester` is an http(s) URL (normally
 * the page's own origin), or the multiaddr itself when one was given.
 */
export async function resolveRequesterAddresses(requester: string, options: { fetch?: typeof fetch; signal?: AbortSignal; webrtc?: boolean } = {}): Promise<string[]> {
  if (requester.startsWith('/')) return [requester]
  const url = new URL('/api/v1/shoal/peers', requester)
  let peers: RequesterPeers
  try {
    const response = await (options.fetch ?? fetch)(url, { signal: options.signal, headers: { accept: 'application/json' } })
    if (!response.ok) throw new Error(`HTTP ${response.status}`)
    peers = (await response.json()) as RequesterPeers
  } catch (err) {
    throw new UnreachableError(`cannot ask the requester at ${requester} for its addresses: ${(err as Error).message}`, {
      cause: err,
      hint: 'open the page from a running requester (shoal serve --orchestrator), or pass ?requester=<its API URL or multiaddr>',
    })
  }
  const addresses = dialOrder(peers.Multiaddrs ?? [], { webrtc: options.webrtc })
  if (addresses.length === 0) {
    if (options.webrtc === false) {
      throw new UnreachableError(`this browser has WebRTC turned off and the requester at ${requester} advertises no WebSockets address`, {
        hint: 'allow WebRTC in this browser, or start the requester with a WebSockets listener',
      })
    }
    throw new UnreachableError(`the requester at ${requester} advertises no address a browser can dial`, {
      hint: 'start the requester with a WebRTC-direct or WebSockets listener',
    })
  }
  return addresses
}

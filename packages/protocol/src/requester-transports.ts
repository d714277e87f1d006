import { UnreachableError } from '@shoal/models'
import type { AbortOptions } from '@shoal/interface'

/** Where a requester lists the ways to reach its compute protocol. */
export const REQUESTER_PEERS_PATH = '/api/v1/shoal/peers'
/** Where a requester accepts compute protocol WebSockets (an HTTP upgrade on its API port). */
export const COMPUTE_SOCKET_PATH = '/api/v1/shoal/compute'

/** One way to reach a requester's compute protocol. */
export type ComputeTransportOffer =
  | { Type: 'libp2p'; Multiaddrs: string[] }
  /** URL: absolute (ws:// or wss://), or a path relative to the API's URL. */
  | { Type: 'websocket'; URL: string }

/** The body of GET /api/v1/shoal/peers. */
export interface RequesterPeersResponse {
  /** The requester's libp2p peer ID ('' when it runs no libp2p node). */
  PeerID: string
  /** Its libp2p multiaddrs (kept for pages that predate Transports; the libp2p offer's). */
  Multiaddrs: string[]
  /** Every transport it accepts compute nodes on. */
  Transports?: ComputeTransportOffer[]
}

/** The addresses of a requester by transport, ready to dial. */
export interface RequesterTransports {
  /** libp2p multiaddrs, as listed. */
  libp2p: string[]
  /** Absolute ws:// or wss:// URLs of its compute WebSocket. */
  websocket: string[]
}

/** The ws(s):// URL of `url` resolved against the requester's http(s) API URL. */
export function webSocketUrlOf(url: string, apiUrl: string | URL): string {
  const resolved = new URL(url, apiUrl)
  if (resolved.protocol === 'http:') resolved.protocol = 'ws:'
  else if (resolved.protocol === 'https:') resolved.protocol = 'wss:'
  return resolved.toString()
}

/** The dialable addresses in a peers response (one without Transports offers libp2p only). */
export function requesterTransportsOf(peers: RequesterPeersResponse, apiUrl: string | URL): RequesterTransports {
  const offers = peers.Transports ?? [{ Type: 'libp2p', Multiaddrs: peers.Multiaddrs ?? [] }]
  const libp2p: string[] = []
  const websocket: string[] = []
  for (const offer of offers) {
    if (offer.Type === 'libp2p') libp2p.push(...(offer.Multiaddrs ?? []))
    else if (offer.Type === 'websocket' && typeof offer.URL === 'string') websocket.push(webSocketUrlOf(offer.URL, apiUrl))
  }
  return { libp2p, websocket }
}

/** Options of fetchRequesterTransports. */
export interface FetchRequesterTransportsOptions extends AbortOptions {
  fetch?: typeof fetch
}

/**
 * Asks a requester's API (an http:// or https:// URL) which transports it accepts compute nodes
 * on; UnreachableError naming the URL when it cannot be asked.
 */
export async function fetchRequesterTransports(apiUrl: string, options: FetchRequesterTransportsOptions = {}): Promise<RequesterTransports> {
  const url = new URL(REQUESTER_PEERS_PATH, apiUrl)
  let peers: RequesterPeersResponse
  try {
    const response = await (options.fetch ?? fetch)(url, { signal: options.signal, headers: { accept: 'application/json' } })
    if (!response.ok) throw new Error(`HTTP ${response.status}`)
    peers = (await response.json()) as RequesterPeersResponse
  } catch (err) {
    if (options.signal?.aborted) throw options.signal.reason
    throw new UnreachableError(`cannot ask the requester at ${apiUrl} for its compute transports (${url.pathname}): ${(err as Error).message}`, {
      cause: err,
      hint: 'check the requester API URL (shoal serve --orchestrator prints it), or give its multiaddr or ws:// URL instead',
    })
  }
  return requesterTransportsOf(peers, apiUrl)
}

import type { Libp2p, PeerId } from '@libp2p/interface'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { peerIdFromString } from '@libp2p/peer-id'
import { BadRequestError } from '@shoal/models'
import type { Logger } from '@shoal/interface'

/** Options of IpfsPeering. */
export interface IpfsPeeringOptions {
  libp2p: Libp2p
  /** Multiaddrs, each ending in /p2p/<peer id>. */
  peers: readonly string[]
  logger: Logger
  /** First wait before redialing a peer that is not connected, in ms (default 1000); doubles up to maxBackoffMs. */
  minBackoffMs?: number
  /** Longest wait between redials, in ms (default 60000). */
  maxBackoffMs?: number
}

/**
 * Parses `--ipfs-peers` entries: multiaddrs that name the peer (…/p2p/<peer id>). ValidationError-style
 * BadRequestError naming the entry and the setting otherwise.
 */
export function parseIpfsPeers(entries: readonly string[], setting = 'ipfs.peers'): Multiaddr[] {
  return entries.map((entry) => {
    let address: Multiaddr
    try {
      address = multiaddr(entry)
    } catch (err) {
      throw new BadRequestError(`${setting}: "${entry}" is not a multiaddr: ${(err as Error).message}`, { hint: 'write it like /ip4/10.0.0.5/tcp/4002/ws/p2p/12D3KooW…' })
    }
    const peer = address.getComponents().findLast((c) => c.name === 'p2p')?.value
    if (peer === undefined) throw new BadRequestError(`${setting}: "${entry}" does not name its peer`, { hint: 'end the multiaddr with /p2p/<peer id>' })
    return address
  })
}

interface Peering {
  peerId: PeerId
  address: Multiaddr
  backoffMs: number
  timer?: ReturnType<typeof setTimeout>
}

/**
 * Keeps connections to configured IPFS peers, as Kubo's `Peering.Peers` does: dials each at
 * start and again, with a doubling back-off, whenever it is not connected; never gives up
 * (libp2p's own keep-alive tag stops redialing after a few failures).
 */
export class IpfsPeering {
  private readonly options: IpfsPeeringOptions
  private readonly peers: Peering[]
  private running = false
  private readonly onDisconnect = (event: CustomEvent<PeerId>) => {
    const peer = this.peers.find((p) => p.peerId.equals(event.detail))
    if (peer && this.running) this.schedule(peer, this.options.minBackoffMs ?? 1000)
  }

  constructor(options: IpfsPeeringOptions) {
    this.options = options
    this.peers = parseIpfsPeers(options.peers).map((address) => ({
      address,
      peerId: peerIdFromString(address.getComponents().findLast((c) => c.name === 'p2p')!.value!),
      backoffMs: options.minBackoffMs ?? 1000,
    }))
  }

  /** The peer IDs kept connected. */
  get peerIds(): PeerId[] {
    return this.peers.map((p) => p.peerId)
  }

  /** Dials every peer now and keeps redialing those that drop. */
  start(): void {
    if (this.running) return
    this.running = true
    this.options.libp2p.addEventListener('peer:disconnect', this.onDisconnect)
    for (const peer of this.peers) void this.dial(peer)
  }

  /** Stops redialing (connections stay until libp2p stops). */
  stop(): void {
    this.running = false
    this.options.libp2p.removeEventListener('peer:disconnect', this.onDisconnect)
    for (const peer of this.peers) if (peer.timer) clearTimeout(peer.timer)
  }

  private schedule(peer: Peering, delayMs: number): void {
    if (!this.running || peer.timer) return
    peer.timer = setTimeout(() => {
      peer.timer = undefined
      void this.dial(peer)
    }, delayMs)
    peer.timer.unref?.()
  }

  private async dial(peer: Peering): Promise<void> {
    if (!this.running) return
    if (this.options.libp2p.getConnections(peer.peerId).length > 0) {
      peer.backoffMs = this.options.minBackoffMs ?? 1000
      return
    }
    try {
      await this.options.libp2p.dial(peer.address, { signal: AbortSignal.timeout(30_000) })
      peer.backoffMs = this.options.minBackoffMs ?? 1000
      this.options.logger.debug('connected to ipfs peer', { peer: peer.address.toString() })
    } catch (err) {
      this.options.logger.warn('cannot reach ipfs peer; will retry', { peer: peer.address.toString(), retryInMs: peer.backoffMs, error: (err as Error).message.split('\n')[0] })
      this.schedule(peer, peer.backoffMs)
      peer.backoffMs = Math.min(peer.backoffMs * 2, this.options.maxBackoffMs ?? 60_000)
    }
  }
}

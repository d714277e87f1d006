/** IPFS settings of a node-runner process (`ipfs.*` config keys, `--ipfs-*` flags). */
export interface IpfsSettings {
  /** Multiaddrs (…/p2p/<peer id>) of IPFS peers to keep connected (`ipfs.peers`, `--ipfs-peers`). */
  peers?: string[]
  /** Join the public IPFS network: bootstrap peers and delegated routing (`ipfs.public`, `--ipfs-public`). */
  public?: boolean
  /** Compute node: longest wait for an `ipfs` input's root (and directory listing) before the input fails (default 5 min). */
  readTimeoutMs?: number
  /** Requester: longest time to fetch and pin one published result, in ms (default 10 min). */
  pinTimeoutMs?: number
  /** Requester: largest published result it keeps, in bytes (default 10 GiB). */
  pinMaxBytes?: number
}

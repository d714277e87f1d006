import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { withBitswap } from '@helia/bitswap'
import { delegatedRoutingV1HttpApiClient } from '@helia/delegated-routing-v1-http-api-client'
import type { Libp2p } from '@libp2p/interface'
import { FsBlockstore } from 'blockstore-fs'
import { FsDatastore } from 'datastore-fs'
import { createHeliaLight, type Helia, type Provider, type Router } from 'helia'
import type { CID } from 'multiformats/cid'
import type { Logger } from '@shoal/interface'
import { IpfsPeering } from './ipfs-peering.ts'

/** Where Kubo and Helia find providers when a node joins the public network. */
export const PUBLIC_DELEGATED_ROUTING_URL = 'https://delegated-ipfs.dev'

/** The public network's bootstrap peers (Kubo's default list), kept connected with `--ipfs-public`. */
export const PUBLIC_BOOTSTRAP_PEERS: readonly string[] = [
  '/dnsaddr/bootstrap.libp2p.io/p2p/QmNnooDu7bfjPFoTZYxMNLWUQJyrVwtbZg5gBMjTezGAJN',
  '/dnsaddr/bootstrap.libp2p.io/p2p/QmbLHAnMoJPWSCR5Zhtx6BHJX9KiKNN6tpvbUcqanj75Nb',
  '/dnsaddr/bootstrap.libp2p.io/p2p/QmcZf59bWwK5XFi76CZX8cbJ4BhTzzA3gU1ZjYZcYW3dwt',
  '/dnsaddr/bootstrap.libp2p.io/p2p/QmQCU2EcMqAqQPR2i9bChDtGNJchTbq5TbXJJ16u19uLTa',
]

/** A Helia node whose libp2p is the process's compute-protocol libp2p node. */
export type SharedHelia = Helia & { libp2p: Libp2p }

/** Options of startNodeHelia. */
export interface NodeHeliaOptions {
  /** Blocks go to `<dataDir>/ipfs/blocks`, Helia's datastore (pins) to `<dataDir>/ipfs/datastore`. */
  dataDir: string
  /**
   * The process's compute-protocol libp2p node, shared: bitswap runs over the connections the
   * compute protocol already has (compute node ↔ requester, tab ↔ requester). Its owner stops it.
   */
  libp2p: Libp2p
  /** Multiaddrs (each ending in /p2p/<peer id>) kept connected, as Kubo's Peering.Peers. */
  peers?: string[]
  /** Join the public IPFS network: keep its bootstrap peers connected and find providers through delegated routing. */
  public?: boolean
  /** Garbage collection of unpinned blocks: at start and then every this many ms (default 1 h; 0 = only at start). */
  gcIntervalMs?: number
  logger: Logger
}

/** A started Helia node of a node-runner process. */
export interface NodeHelia {
  readonly helia: SharedHelia
  readonly peering: IpfsPeering
  /** Deletes every block that no pin holds (pinned results are never dropped). */
  gc(options?: { signal?: AbortSignal }): Promise<void>
  /** Stops peering, garbage collection and Helia (not the shared libp2p node). */
  stop(): Promise<void>
}

/** A Helia router that finds providers through a delegated routing (IPFS HTTP routing v1) endpoint. */
function delegatedRouter(url: string, helia: Helia): Router {
  const client = delegatedRoutingV1HttpApiClient({ url, filterProtocols: ['transport-bitswap'] })({ logger: helia.logger })
  return {
    name: 'delegated-http-router',
    async *findProviders(cid: CID, options) {
      for await (const record of client.getProviders(cid, options)) {
        yield { id: record.ID, multiaddrs: record.Addrs, protocols: record.Protocols, router: 'delegated-http-router', fallback: false } satisfies Provider
      }
    },
    toString: () => `DelegatedHTTPRouter(${url})`,
  } as Router
}

/**
 * Starts the IPFS node of a node-runner process: Helia with its blocks and pins on disk under
 * the data dir (they survive restarts), bitswap on the shared libp2p node, hermetic unless
 * `public` (no bootstrap, no routing: blocks come from connected peers), the configured peers
 * kept connected, and garbage collection that keeps pinned blocks.
 */
export async function startNodeHelia(options: NodeHeliaOptions): Promise<NodeHelia> {
  const root = join(options.dataDir, 'ipfs')
  await mkdir(root, { recursive: true })
  const blockstore = new FsBlockstore(join(root, 'blocks'))
  const datastore = new FsDatastore(join(root, 'datastore'))
  await blockstore.open()
  await datastore.open()
  const helia = createHeliaLight({ blockstore, datastore }) as SharedHelia
  // Helia's own libp2p mixin always creates a new node; this one hands Helia the shared one.
  Object.defineProperty(helia, 'libp2p', { value: options.libp2p, enumerable: true, configurable: true })
  helia.addMixin({
    name: 'libp2p',
    start: async () => {
      if (options.public && !helia.hasRouter('delegated-http-router')) helia.addRouter(delegatedRouter(PUBLIC_DELEGATED_ROUTING_URL, helia))
    },
  } as Parameters<Helia['addMixin']>[0])
  withBitswap(helia)
  await helia.start()
  const peering = new IpfsPeering({ libp2p: options.libp2p, peers: [...(options.public ? PUBLIC_BOOTSTRAP_PEERS : []), ...(options.peers ?? [])], logger: options.logger.child('ipfs-peering') })
  peering.start()
  const stopping = new AbortController()
  const gc = async (gcOptions: { signal?: AbortSignal } = {}) => {
    await helia.gc({ signal: gcOptions.signal })
  }
  const runGc = () =>
    gc({ signal: stopping.signal }).catch((err: Error) => {
      if (!stopping.signal.aborted) options.logger.warn('ipfs garbage collection failed', { error: err.message })
    })
  void runGc()
  const interval = options.gcIntervalMs ?? 3_600_000
  const timer = interval > 0 ? setInterval(() => void runGc(), interval) : undefined
  timer?.unref()
  return {
    helia,
    peering,
    gc,
    async stop() {
      stopping.abort()
      if (timer) clearInterval(timer)
      peering.stop()
      await helia.stop().catch(() => {})
      await blockstore.close().catch(() => {})
      await datastore.close().catch(() => {})
    },
  }
}

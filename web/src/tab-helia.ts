import { withBitswap } from '@helia/bitswap'
import { createHeliaLight, type Helia } from 'helia'
import { IDBBlockstore } from 'blockstore-idb'
import { MemoryDatastore } from 'datastore-core'
import type { Libp2p } from '@shoal/transport-libp2p'
import { requesterGatewayBroker } from './requester-gateway-broker.ts'

/** Prefix of the IndexedDB databases that hold tabs' blocks, one per tab (node ID). */
export const BLOCKS_DATABASE_PREFIX = 'shoal-blocks-'

/** A Helia node of a tab, over the page's libp2p node. */
export type TabHelia = Helia & { libp2p: Libp2p }

/** Options of createTabHelia. */
export interface TabHeliaInit {
  /** The page's started libp2p node (the one connected to the requester); Helia does not stop it. */
  libp2p: Libp2p
  /** This tab's node ID: its blocks live in the database `shoal-blocks-<nodeId>`. */
  nodeId: string
  /** Where the blocks are (default IndexedDB; tests and pages without IndexedDB pass memory). */
  blockstore?: 'indexeddb' | 'memory'
  /**
   * The requester's API URL: blocks no connected peer has are asked of its trustless gateway
   * (see requesterGatewayBroker). None when the tab was given a multiaddr only.
   */
  gatewayUrl?: string
}

/**
 * A started light Helia node for a tab: bitswap over the page's own libp2p node, so blocks move
 * over the WebRTC-direct or WebSockets connection the tab already holds to the requester (and to
 * whoever else it is connected to), with no second set of connections, keys or transports, and no
 * public bootstrap or delegated routing (a hermetic node: it asks the peers it is connected to,
 * and the requester's gateway for what they do not hold).
 * Blocks are kept in IndexedDB, not memory: an input or result of hundreds of MiB must not live
 * in the page's heap. The database is this tab's alone, emptied when the tab starts (a reload
 * leaves the last session's blocks behind) and those of closed tabs are deleted (see
 * deleteAbandonedBlockDatabases).
 */
export async function createTabHelia(init: TabHeliaInit): Promise<TabHelia> {
  const blockstore = init.blockstore === 'memory' ? undefined : await openTabBlockstore(init.nodeId)
  const blockBrokers = init.gatewayUrl === undefined ? [] : [requesterGatewayBroker({ url: init.gatewayUrl })]
  const helia = createHeliaLight({ blockstore, datastore: new MemoryDatastore(), blockBrokers }) as TabHelia
  // Bitswap reaches libp2p through the node's `libp2p` component; giving it the page's node
  // (instead of withLibp2p, which creates and owns a second one) shares the connections.
  Object.defineProperty(helia, 'libp2p', { value: init.libp2p, enumerable: true })
  withBitswap(helia)
  await helia.start()
  return helia
}

async function openTabBlockstore(nodeId: string): Promise<IDBBlockstore> {
  const name = `${BLOCKS_DATABASE_PREFIX}${nodeId}`
  await holdDatabaseLock(name)
  await deleteAbandonedBlockDatabases()
  const leftover = new IDBBlockstore(name)
  // A reload of this tab keeps its node ID: the blocks of before the reload are of no use now.
  await leftover.destroy()
  const blockstore = new IDBBlockstore(name)
  await blockstore.open()
  return blockstore
}

/**
 * Holds a Web Lock named after the database for the life of the page, so that other tabs of this
 * origin can tell a database in use from one whose tab has closed.
 */
function holdDatabaseLock(name: string): Promise<void> {
  const locks = globalThis.navigator?.locks
  if (locks === undefined) return Promise.resolve()
  return new Promise((held) => {
    void locks.request(name, () => {
      held()
      return new Promise<never>(() => {})
    })
  })
}

/**
 * Deletes block databases of tabs that have closed (no tab holds their lock): a closed tab cannot
 * delete its own, and its results are pinned elsewhere by then. Best effort: without Web Locks
 * or `indexedDB.databases()` nothing is deleted.
 */
export async function deleteAbandonedBlockDatabases(): Promise<string[]> {
  const locks = globalThis.navigator?.locks
  if (locks === undefined || typeof indexedDB?.databases !== 'function') return []
  const held = new Set(((await locks.query()).held ?? []).map((lock) => lock.name))
  const abandoned = (await indexedDB.databases())
    .map((db) => db.name ?? '')
    .filter((name) => name.startsWith(BLOCKS_DATABASE_PREFIX) && !held.has(name))
  for (const name of abandoned) await new IDBBlockstore(name).destroy()
  return abandoned
}

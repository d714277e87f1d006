/**
 * A hermetic Helia node for the bitswap benchmark: light Helia (in-memory blocks), libp2p over
 * WebSockets on loopback with noise and yamux (what Shoal's nodes speak), identify (bitswap
 * learns a peer's protocols from it) and bitswap. No bootstrap, no routing: peers are dialled.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { withBitswap } from '@helia/bitswap'
import { withLibp2pLight, type HeliaWithLibp2p } from '@helia/libp2p'
import { identify } from '@libp2p/identify'
import { webSockets } from '@libp2p/websockets'
import { MemoryBlockstore } from 'blockstore-core'
import { MemoryDatastore } from 'datastore-core'
import { createHeliaLight } from 'helia'

/** The protocol on which the benchmark's peer sends the same bytes as one raw libp2p stream. */
export const RAW_PROTOCOL = '/shoal-bench/raw/1.0.0'

/** Options of createBenchHelia. */
export interface BenchHeliaOptions {
  /** Listen on a loopback WebSockets port (the serving peer); dial only without. */
  listen?: boolean
}

/** Starts a hermetic Helia node with bitswap over loopback WebSockets. */
export async function createBenchHelia(options: BenchHeliaOptions = {}): Promise<HeliaWithLibp2p> {
  const datastore = new MemoryDatastore()
  const helia = createHeliaLight({ blockstore: new MemoryBlockstore(), datastore })
  const withLibp2p = withLibp2pLight(helia, {
    datastore,
    addresses: { listen: options.listen ? ['/ip4/127.0.0.1/tcp/0/ws'] : [] },
    transports: [webSockets()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { identify: identify() },
  })
  const node = withBitswap(withLibp2p as unknown as HeliaWithLibp2p)
  await node.start()
  return node
}

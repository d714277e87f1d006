/**
 * Hermetic Helia nodes for tests: light Helia, libp2p over TCP on 127.0.0.1 only, bitswap, no
 * bootstrap, no routing, blocks and keys in memory.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { withBitswap } from '@helia/bitswap'
import { withLibp2pLight } from '@helia/libp2p'
import { identify } from '@libp2p/identify'
import { tcp } from '@libp2p/tcp'
import { MemoryBlockstore } from 'blockstore-core'
import { MemoryDatastore } from 'datastore-core'
import { createHeliaLight } from 'helia'

/** Starts a loopback-only Helia node over `blockstore` (a fresh one by default). */
export async function startTestHelia(blockstore = new MemoryBlockstore()) {
  const helia = withBitswap(
    withLibp2pLight(createHeliaLight({ blockstore, datastore: new MemoryDatastore() }), {
      addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      services: { identify: identify() },
    }),
  )
  await helia.start()
  return helia
}

/** A started test node. */
export type TestHelia = Awaited<ReturnType<typeof startTestHelia>>

/** Connects `from` to `to` over loopback. */
export async function connect(from: TestHelia, to: TestHelia): Promise<void> {
  await from.libp2p.dial(to.libp2p.getMultiaddrs()[0]!)
}

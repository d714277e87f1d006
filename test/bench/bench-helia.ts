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
import { createRequesterLibp2p, generatePeerKey } from '@shoal/transport-libp2p'
import { nodeRTCConfiguration } from '../../node-runner/src/libp2p/node-rtc-configuration.ts'
import type { SharedHelia } from '../../node-runner/src/ipfs/node-helia.ts'

export { RAW_PROTOCOL } from './raw-protocol.ts'

/** Options of createBenchHelia. */
export interface BenchHeliaOptions {
  /** Listen on a loopback WebSockets port (the serving peer); dial only without. */
  listen?: boolean
}

/**
 * A serving Helia node over the libp2p node a Shoal requester runs (createRequesterLibp2p:
 * WebSockets and WebRTC-direct on loopback, no ICE servers), sharing it as node-runner's Helia
 * does: what a tab fetches its inputs from.
 */
export async function createShoalServingHelia(): Promise<SharedHelia> {
  const libp2p = await createRequesterLibp2p({
    privateKey: await generatePeerKey(),
    listen: ['/ip4/127.0.0.1/tcp/0/ws', '/ip4/127.0.0.1/udp/0/webrtc-direct'],
    rtcConfiguration: nodeRTCConfiguration({ bindAddress: '127.0.0.1' }),
  })
  const helia = createHeliaLight({ blockstore: new MemoryBlockstore(), datastore: new MemoryDatastore() }) as SharedHelia
  Object.defineProperty(helia, 'libp2p', { value: libp2p, enumerable: true, configurable: true })
  withBitswap(helia)
  await helia.start()
  const stop = helia.stop.bind(helia)
  helia.stop = async (options) => {
    const stopped = await stop(options)
    await libp2p.stop()
    return stopped
  }
  return helia
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

/**
 * The page of the Node→tab bitswap benchmark (bundled for Chromium by bitswap-tab.ts): a tab's
 * libp2p node and Helia as the contribute page makes them (createComputeLibp2p with browser
 * transports, createTabHelia with its IndexedDB blockstore), and `window.bitswapBench` to time
 * one transfer from the serving peer: its file read with Shoal's unixfsTree, or the same bytes
 * as one raw libp2p stream on the same connection.
 */
import { multiaddr } from '@multiformats/multiaddr'
import { unixfsTree } from '@shoal/ipfs'
import { createComputeLibp2p, devConnectionGater } from '@shoal/transport-libp2p'
import { createTabHelia } from '../../web/src/tab-helia.ts'
import { RAW_PROTOCOL } from './raw-protocol.ts'

const BITSWAP_PROTOCOL = '/ipfs/bitswap/1.2.0'

/** One timed transfer, as the page reports it. */
export interface TabTransfer {
  seconds: number
  bytes: number
  /** The connection's transport as libp2p names its address, e.g. /webrtc-direct. */
  transport: string
}

/** A fresh tab node (new peer ID, empty blockstore) connected to `address`, with the peer's protocols known. */
async function connectedTab(address: string, blockstore: 'indexeddb' | 'memory') {
  const libp2p = await createComputeLibp2p({ transports: 'browser', connectionGater: devConnectionGater(), iceServers: [] })
  const helia = await createTabHelia({ libp2p, nodeId: `bench-${crypto.randomUUID()}`, blockstore })
  const connection = await libp2p.dial(multiaddr(address))
  // Bitswap sends wants only to peers identify has shown to speak it. Bounded: 10 s.
  for (let i = 0; i < 1000; i++) {
    const known = await libp2p.peerStore.get(connection.remotePeer).catch(() => undefined)
    if (known?.protocols.includes(BITSWAP_PROTOCOL)) break
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  const stop = async () => {
    await helia.stop().catch(() => {})
    await Promise.resolve(libp2p.stop()).catch(() => {})
  }
  return { libp2p, helia, transport: connection.remoteAddr.toString(), stop }
}

async function raw(address: string): Promise<TabTransfer> {
  const tab = await connectedTab(address, 'memory')
  try {
    const started = performance.now()
    const stream = await tab.libp2p.dialProtocol(multiaddr(address), RAW_PROTOCOL)
    let bytes = 0
    try {
      for await (const chunk of stream) bytes += chunk.byteLength
    } catch (error) {
      throw new Error(`the raw stream failed after ${bytes} bytes: ${(error as Error).message}`, { cause: error })
    }
    return { seconds: (performance.now() - started) / 1000, bytes, transport: tab.transport }
  } finally {
    await tab.stop()
  }
}

async function bitswap(address: string, cid: string, blockstore: 'indexeddb' | 'memory'): Promise<TabTransfer> {
  const tab = await connectedTab(address, blockstore)
  try {
    const started = performance.now()
    let bytes = 0
    for await (const entry of unixfsTree(cid, tab.helia, { root: 'file' }).entries()) {
      const reader = entry.open!().getReader()
      // Bounded: ends with the file.
      for (;;) {
        const { done, value } = await reader.read()
        if (done) break
        bytes += value.byteLength
      }
    }
    return { seconds: (performance.now() - started) / 1000, bytes, transport: tab.transport }
  } finally {
    await tab.stop()
  }
}

Object.assign(globalThis, { bitswapBench: { raw, bitswap, ready: true } })

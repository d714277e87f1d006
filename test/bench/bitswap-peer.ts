/**
 * The serving side of the bitswap benchmark, run as its own process by bitswap-group.ts:
 * `node test/bench/bitswap-peer.ts <MiB> [--shoal]`. Imports <MiB> MiB of random bytes as UnixFS with
 * Kubo's `ipfs add` defaults (CIDv0, 256 KiB dag-pb leaves, balanced 174-wide tree), serves
 * the blocks over bitswap, and the same bytes on RAW_PROTOCOL as one stream (256 KiB writes),
 * then prints one JSON line {multiaddr, webrtcDirect?, cid, bytes} and runs until stdin closes.
 * With --shoal its libp2p node is a Shoal requester's (WebSockets and WebRTC-direct), for tabs.
 */
import { randomBytes } from 'node:crypto'
import { unixfs } from '@helia/unixfs'
import { fixedSize } from 'ipfs-unixfs-importer/chunker'
import { balanced } from 'ipfs-unixfs-importer/layout'
import { createBenchHelia, createShoalServingHelia, RAW_PROTOCOL } from './bench-helia.ts'

const CHUNK = 256 * 1024

const mib = Number(process.argv[2])
const shoal = process.argv[3] === '--shoal'
if (!Number.isInteger(mib) || mib < 1 || (process.argv[3] !== undefined && !shoal)) {
  process.stderr.write('usage: node test/bench/bitswap-peer.ts <MiB> [--shoal]\n')
  process.exit(2)
}
const data = randomBytes(mib * 1024 * 1024)
const node = shoal ? await createShoalServingHelia() : await createBenchHelia({ listen: true })
const cid = await unixfs(node).addBytes(data, { cidVersion: 0, rawLeaves: false, chunker: fixedSize({ chunkSize: CHUNK }), layout: balanced({ maxChildrenPerNode: 174 }) })

await node.libp2p.handle(RAW_PROTOCOL, async (stream) => {
  try {
    for (let at = 0; at < data.length; at += CHUNK) {
      if (!stream.send(data.subarray(at, at + CHUNK))) await stream.onDrain()
    }
    // WebRTC waits for the reader's FIN_ACK after the buffered bytes (10 s by default): a slow tab needs longer.
    await stream.close({ signal: AbortSignal.timeout(120_000) })
  } catch (error) {
    stream.abort(error as Error)
  }
})

const addresses = node.libp2p.getMultiaddrs().map(String)
const multiaddr = addresses.find((m) => m.includes('/ws/'))
const webrtcDirect = addresses.find((m) => m.includes('/webrtc-direct/'))
process.stdout.write(JSON.stringify({ multiaddr, webrtcDirect, cid: cid.toString(), bytes: data.length }) + '\n')
process.stdin.resume()
process.stdin.once('end', () => {
  void node.stop().then(() => process.exit(0))
})

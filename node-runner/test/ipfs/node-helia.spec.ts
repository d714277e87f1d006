// The node-runner Helia node on a real libp2p node (the compute protocol's, as in `shoal serve`),
// with its blocks and pins on disk: GC keeps pins, state survives a restart, configured peers are
// kept connected over loopback WebSockets, and the requester's pinner is bounded in size and time.
import { afterEach, describe, expect, it } from 'vitest'
import { createComputeLibp2p, createRequesterLibp2p, generatePeerKey, type Libp2p } from '@shoal/transport-libp2p'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import { silentLogger } from '@shoal/interface'
import { startNodeHelia, type NodeHelia } from '../../src/ipfs/node-helia.ts'
import { HeliaResultPinner } from '../../src/ipfs/helia-result-pinner.ts'
import { parseIpfsPeers } from '../../src/ipfs/ipfs-peering.ts'
import { tempDir } from '../../../test/support/temp-dir.ts'

const cleanups: Array<() => unknown> = []
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await Promise.resolve().then(fn).catch(() => {})
})

async function rawBlock(text: string): Promise<{ cid: CID; bytes: Uint8Array }> {
  const bytes = new TextEncoder().encode(text)
  return { cid: CID.createV1(raw.code, await sha256.digest(bytes)), bytes }
}

async function computeLibp2p(): Promise<Libp2p> {
  const libp2p = await createComputeLibp2p({ privateKey: await generatePeerKey(), transports: 'node' })
  cleanups.push(() => libp2p.stop())
  return libp2p
}

async function helia(dataDir: string, libp2p: Libp2p, peers: string[] = []): Promise<NodeHelia> {
  const node = await startNodeHelia({ dataDir, libp2p, peers, logger: silentLogger, gcIntervalMs: 0 })
  cleanups.push(() => node.stop())
  return node
}

const has = async (node: NodeHelia, cid: CID) => node.helia.blockstore.has(cid, { offline: true } as never)

describe('the node-runner Helia node', () => {
  it('garbage collection drops unpinned blocks and keeps pinned ones, across a restart', async () => {
    const dir = await tempDir('shoal-helia-')
    const libp2p = await computeLibp2p()
    const first = await helia(dir, libp2p)
    const kept = await rawBlock('a published result')
    const cached = await rawBlock('an input fetched once')
    await first.helia.blockstore.put(kept.cid, kept.bytes)
    await first.helia.blockstore.put(cached.cid, cached.bytes)
    for await (const _ of first.helia.pins.add(kept.cid)) void _
    await first.gc()
    expect(await has(first, kept.cid)).toBe(true)
    expect(await has(first, cached.cid)).toBe(false)
    await first.stop()

    const again = await helia(dir, libp2p)
    expect(await again.helia.pins.isPinned(kept.cid)).toBe(true)
    await again.gc()
    expect(await has(again, kept.cid)).toBe(true)
  })

  it('keeps connections to --ipfs-peers and fetches blocks from them with bitswap', async () => {
    const serving = await createRequesterLibp2p({ privateKey: await generatePeerKey(), listen: ['/ip4/127.0.0.1/tcp/0/ws'] })
    cleanups.push(() => serving.stop())
    const provider = await helia(await tempDir('shoal-helia-'), serving)
    const block = await rawBlock(`from a peer ${crypto.randomUUID()}`)
    await provider.helia.blockstore.put(block.cid, block.bytes)

    const libp2p = await computeLibp2p()
    const address = serving.getMultiaddrs()[0].toString()
    const fetching = await helia(await tempDir('shoal-helia-'), libp2p, [address])
    const bytes = await collect(fetching.helia.blockstore.get(block.cid, { signal: AbortSignal.timeout(20_000) }))
    expect(new TextDecoder().decode(bytes)).toBe(new TextDecoder().decode(block.bytes))

    // Dropped by the other side: the peering dials again.
    await libp2p.hangUp(serving.peerId)
    for (let i = 0; i < 200 && libp2p.getConnections(serving.peerId).length === 0; i++) await new Promise((r) => setTimeout(r, 50))
    expect(libp2p.getConnections(serving.peerId).length).toBeGreaterThan(0)
  })

  it('refuses a peer address that does not name its peer, saying how to write it', () => {
    expect(() => parseIpfsPeers(['/ip4/127.0.0.1/tcp/4001/ws'])).toThrow(/does not name its peer/)
    expect(() => parseIpfsPeers(['not-a-multiaddr'])).toThrow(/is not a multiaddr/)
  })
})

describe('the requester result pinner', () => {
  it('refuses a result larger than it keeps, naming the CID and the limit; nothing stays pinned', async () => {
    const node = await helia(await tempDir('shoal-helia-'), await computeLibp2p())
    const block = await rawBlock('x'.repeat(4096))
    await node.helia.blockstore.put(block.cid, block.bytes)
    const pinner = new HeliaResultPinner({ helia: node.helia, maxBytes: 1024 })
    const context = { jobId: 'j-1', executionId: 'e-1', nodeId: 'n-1', signal: new AbortController().signal }
    await expect(pinner.pin({ Type: 'ipfs', Params: { CID: block.cid.toString() } }, context)).rejects.toThrow(`${block.cid} is larger than the requester keeps (more than 1024 B)`)
    expect(await node.helia.pins.isPinned(block.cid)).toBe(false)
  })

  it('gives up on a CID nobody sends within its time, naming the CID', async () => {
    const node = await helia(await tempDir('shoal-helia-'), await computeLibp2p())
    const missing = await rawBlock(crypto.randomUUID())
    const pinner = new HeliaResultPinner({ helia: node.helia, timeoutMs: 300 })
    const context = { jobId: 'j-1', executionId: 'e-1', nodeId: 'n-1', signal: new AbortController().signal }
    await expect(pinner.pin({ Type: 'ipfs', Params: { CID: missing.cid.toString() } }, context)).rejects.toThrow(`not all of ${missing.cid} arrived within 300 ms (0 block(s), 0 B so far) from the connected peers (none)`)
    await expect(pinner.pin({ Type: 'ipfs', Params: { CID: 'bafy-nonsense' } }, context)).rejects.toThrow('PublishedResult.Params.CID "bafy-nonsense" is not a CID')
  })
})

async function collect(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = []
  for await (const part of source) parts.push(part)
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0))
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.byteLength
  }
  return out
}

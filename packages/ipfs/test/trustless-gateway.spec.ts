import { CarReader } from '@ipld/car'
import { unixfs } from '@helia/unixfs'
import { fixedSize } from 'ipfs-unixfs-importer/chunker'
import { balanced } from 'ipfs-unixfs-importer/layout'
import { exporter } from 'ipfs-unixfs-exporter'
import { MemoryBlockstore } from 'blockstore-core'
import type { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { importCar, openUnixfsTree, trustlessGateway } from '../src/index.ts'
import { StorageError } from '@shoal/models'
import { seededChunks } from './seeded-bytes.ts'
import { connect, startTestHelia, type TestHelia } from './test-helia.ts'

const text = (s: string) => new TextEncoder().encode(s)
const kubo = { cidVersion: 0 as const, rawLeaves: false, chunker: fixedSize({ chunkSize: 262_144 }), layout: balanced({ maxChildrenPerNode: 174 }) }
const SIZE = 600_000

let provider: TestHelia
let gatewayNode: TestHelia
let root: CID
let gateway: (request: Request) => Promise<Response>
const big = async () => new Uint8Array(await new Response(seededChunks(3, SIZE)()).arrayBuffer())

beforeEach(async () => {
  // The data is on another node: the gateway fetches it over bitswap, verifying each block.
  provider = await startTestHelia()
  for await (const entry of unixfs(provider).addAll(
    [
      { path: 'd/big.bin', content: await big() },
      { path: 'd/sub/hello.txt', content: text('hello world\n') },
    ],
    kubo,
  )) {
    if (entry.path === 'd') root = entry.cid
  }
  gatewayNode = await startTestHelia()
  await connect(gatewayNode, provider)
  gateway = trustlessGateway(gatewayNode, { timeoutMs: 20_000, generateRequestId: () => 'req-1' })
})
afterEach(async () => {
  await Promise.all([provider.stop(), gatewayNode.stop()])
})

const get = (path: string, headers: Record<string, string> = {}, method = 'GET') => gateway(new Request(`http://requester.test${path}`, { method, headers }))

describe('trustless gateway', () => {
  it('answers a file\'s bytes with its length, below a directory path', async () => {
    const response = await get(`/ipfs/${root}/big.bin`)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-length')).toBe(String(SIZE))
    expect(response.headers.get('content-type')).toBe('application/octet-stream')
    expect(new Uint8Array(await response.arrayBuffer())).toEqual(await big())
    const hello = await get(`/ipfs/${root}/sub/hello.txt`)
    expect(await hello.text()).toBe('hello world\n')
    const head = await get(`/ipfs/${root}/sub/hello.txt`, {}, 'HEAD')
    expect(head.status).toBe(200)
    expect(head.headers.get('content-length')).toBe('12')
  })

  it('answers a directory as a JSON listing with exact sizes', async () => {
    const response = await get(`/ipfs/${root}`)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('application/json')
    const listing = (await response.json()) as { CID: string; Entries: Array<{ Name: string; Type: string; Size: number; CID: string }> }
    expect(listing.CID).toBe(root.toString())
    expect(listing.Entries.map((e) => [e.Name, e.Type, e.Size])).toEqual([
      ['big.bin', 'file', SIZE],
      ['sub', 'directory', 0],
    ])
  })

  it('?format=raw and Accept: application/vnd.ipld.raw answer the block, which hashes to its CID', async () => {
    for (const response of [await get(`/ipfs/${root}?format=raw`), await get(`/ipfs/${root}`, { Accept: 'application/vnd.ipld.raw' })]) {
      expect(response.status).toBe(200)
      expect(response.headers.get('content-type')).toBe('application/vnd.ipld.raw')
      const block = new Uint8Array(await response.arrayBuffer())
      expect((await sha256.digest(block)).bytes).toEqual(root.multihash.bytes)
    }
  })

  it('?format=car and Accept: application/vnd.ipld.car answer a CAR of the DAG that a client can verify and read', async () => {
    for (const response of [await get(`/ipfs/${root}?format=car`), await get(`/ipfs/${root}`, { Accept: 'application/vnd.ipld.car' })]) {
      expect(response.status).toBe(200)
      expect(response.headers.get('content-type')).toBe('application/vnd.ipld.car; version=1')
      const reader = await CarReader.fromBytes(new Uint8Array(await response.arrayBuffer()))
      expect((await reader.getRoots()).map(String)).toEqual([root.toString()])
      // Every block verifies; the client reads the file out of the CAR's blocks alone.
      const store = new MemoryBlockstore()
      for await (const { cid, bytes } of reader.blocks()) {
        expect((await sha256.digest(bytes)).bytes).toEqual(cid.multihash.bytes)
        await store.put(cid, bytes)
      }
      const file = await exporter(`${root}/big.bin`, store)
      const chunks: Uint8Array[] = []
      if (file.type === 'file') for await (const chunk of file.content()) chunks.push(chunk)
      expect(new Uint8Array(await new Blob(chunks as BlobPart[]).arrayBuffer())).toEqual(await big())
    }
  })

  it('importCar takes a gateway CAR into a blockstore, checking each block, and the tree reads from it offline', async () => {
    const response = await get(`/ipfs/${root}?format=car`)
    const store = new MemoryBlockstore()
    const roots = await importCar(response.body!, store, { source: 'the gateway' })
    expect(roots.map(String)).toEqual([root.toString()])
    const tree = await openUnixfsTree(roots[0]!, { blockstore: store })
    expect(tree.root).toBe('directory')
    const files: Record<string, Uint8Array> = {}
    for await (const entry of tree.entries()) if (entry.kind === 'file') files[entry.path] = new Uint8Array(await new Response(entry.open!()).arrayBuffer())
    expect(Object.keys(files)).toEqual(['big.bin', 'sub/hello.txt'])
    expect(files['big.bin']).toEqual(await big())
  })

  it('importCar refuses a CAR with an altered block', async () => {
    const car = new Uint8Array(await (await get(`/ipfs/${root}/sub/hello.txt?format=car`)).arrayBuffer())
    // "hello world" is the last block; change one byte of its text.
    const at = car.lastIndexOf('w'.charCodeAt(0))
    expect(at).toBeGreaterThan(0)
    car[at] = 'W'.charCodeAt(0)
    const store = new MemoryBlockstore()
    const err = await importCar(new Blob([car]).stream(), store, { source: 'the gateway' }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(StorageError)
    expect((err as Error).message).toMatch(/^block Qm\w+ in the gateway does not match its CID/)
  })

  it('a CAR of a path holds the blocks along it, so the client can verify it from the root', async () => {
    const response = await get(`/ipfs/${root}/sub/hello.txt?format=car`)
    expect(response.status).toBe(200)
    const reader = await CarReader.fromBytes(new Uint8Array(await response.arrayBuffer()))
    const store = new MemoryBlockstore()
    for await (const { cid, bytes } of reader.blocks()) await store.put(cid, bytes)
    const file = await exporter(`${root}/sub/hello.txt`, store)
    expect(file.type).toBe('file')
    // The other branch is not in it.
    await expect(exporter(`${root}/big.bin`, store, { offline: true })).rejects.toThrow()
  })

  it('answers clear JSON errors: 400 bad CID or format, 404 path not in the DAG, 405 method, 504 CID nobody has', async () => {
    const bad = await get('/ipfs/not-a-cid')
    expect(bad.status).toBe(400)
    expect(await bad.json()).toMatchObject({ Status: 400, Code: 'BadRequest', RequestID: 'req-1', Component: 'IPFSGateway', Message: expect.stringContaining('"not-a-cid" is not a valid CID') })
    const format = await get(`/ipfs/${root}?format=zip`)
    expect(format.status).toBe(400)
    expect(((await format.json()) as { Message: string }).Message).toContain('format=zip')
    const missing = await get(`/ipfs/${root}/sub/nope.txt`)
    expect(missing.status).toBe(404)
    expect(await missing.json()).toMatchObject({ Status: 404, Code: 'NotFound', Message: expect.stringContaining(`${root}/sub/nope.txt is not in the DAG`) })
    const post = await get(`/ipfs/${root}`, {}, 'POST')
    expect(post.status).toBe(405)

    const impatient = trustlessGateway(gatewayNode, { timeoutMs: 1_000, generateRequestId: () => 'req-2' })
    const nobody = 'QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn'
    const timeout = await impatient(new Request(`http://requester.test/ipfs/${nobody}`, { headers: { 'X-Request-ID': 'mine' } }))
    expect(timeout.status).toBe(504)
    const body = (await timeout.json()) as { Code: string; Message: string; RequestID: string }
    expect(body).toMatchObject({ Code: 'Timeout', RequestID: 'mine' })
    expect(body.Message).toContain(nobody)
    expect(body.Message).toContain(provider.libp2p.peerId.toString())
  })
})

import { singleFileTree } from '@shoal/interface'
import { MemoryBlockstore } from 'blockstore-core'
import { importBytes } from 'ipfs-unixfs-importer'
import { fixedSize } from 'ipfs-unixfs-importer/chunker'
import { balanced, trickle } from 'ipfs-unixfs-importer/layout'
import type { CID } from 'multiformats/cid'
import { describe, expect, it } from 'vitest'
import { importTree, KUBO_CHUNK_SIZE, openUnixfsTree, UNIXFS_READ_AHEAD_BYTES } from '../src/index.ts'
import { seededChunks } from './seeded-bytes.ts'

const SIZE = 8 * 1024 * 1024 + 5
const READ_AHEAD = 1024 * 1024

async function bytesOf(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer())
}

/** A blockstore whose reads of blocks below `root` wait until released, to see how many are asked for at once. */
class GatedBlockstore extends MemoryBlockstore {
  asked = new Set<string>()
  root?: CID
  private gate = Promise.withResolvers<void>()
  open(): void {
    this.gate.resolve()
  }
  override async *get(cid: CID, options?: Parameters<MemoryBlockstore['get']>[1]) {
    if (this.root?.equals(cid) !== true) {
      this.asked.add(cid.toString())
      await this.gate.promise
    }
    yield* super.get(cid, options)
  }
}

/** A blockstore that records which blocks were read from it. */
class CountingBlockstore extends MemoryBlockstore {
  read = new Set<string>()
  override get(cid: CID, options?: Parameters<MemoryBlockstore['get']>[1]) {
    this.read.add(cid.toString())
    return super.get(cid, options)
  }
}

describe('unixfsTree', () => {
  it('reads a large file no further ahead of its reader than its read-ahead, and gives every byte', async () => {
    const blockstore = new CountingBlockstore()
    const cid = await importTree(singleFileTree(SIZE, seededChunks(21, SIZE)), blockstore)
    const tree = await openUnixfsTree(cid, { blockstore }, { readAheadBytes: READ_AHEAD })
    expect(tree).toMatchObject({ root: 'file', size: SIZE })
    const entries = []
    for await (const each of tree.entries()) entries.push(each)
    const [entry] = entries
    // 33 leaves below one root: after the root, every block read is a leaf.
    blockstore.read.clear()
    const reader = entry!.open!().getReader()
    const expected = seededChunks(21, SIZE)().getReader()
    let pending: Uint8Array = new Uint8Array(0)
    let read = 0
    let maxLead = 0
    let mismatches = 0
    // Bounded: ends with the file.
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      // A slow reader: every pending task runs before the next read.
      await new Promise((resolve) => setTimeout(resolve, 0))
      read += value.byteLength
      maxLead = Math.max(maxLead, blockstore.read.size * KUBO_CHUNK_SIZE - read)
      // Compare with the source bytes as they come.
      let offset = 0
      while (offset < value.byteLength) {
        if (pending.byteLength === 0) pending = (await expected.read()).value!
        const n = Math.min(pending.byteLength, value.byteLength - offset)
        for (let i = 0; i < n; i++) if (value[offset + i] !== pending[i]) mismatches++
        pending = pending.subarray(n)
        offset += n
      }
    }
    expect(read).toBe(SIZE)
    expect(mismatches).toBe(0)
    // Leaves fetched but not yet read never exceed the read-ahead.
    expect(maxLead).toBeLessThanOrEqual(READ_AHEAD)
  })

  it('asks for the blocks of the read-ahead at once, before the first arrives (a peer gets many wants in one round)', async () => {
    const blockstore = new GatedBlockstore()
    const size = 2 * UNIXFS_READ_AHEAD_BYTES
    const cid = await importTree(singleFileTree(size, seededChunks(5, size)), blockstore)
    blockstore.root = cid
    const [entry] = await entries(await openUnixfsTree(cid, { blockstore }))
    expect(blockstore.asked.size).toBe(0)
    const reader = entry!.open!().getReader()
    const first = reader.read()
    // Let every pending task run: the reader waits on the first leaf while the rest are asked.
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setTimeout(resolve, 0))
    expect(blockstore.asked.size).toBe(UNIXFS_READ_AHEAD_BYTES / KUBO_CHUNK_SIZE)
    blockstore.open()
    expect((await first).value!.byteLength).toBeGreaterThan(0)
    await reader.cancel()
  })

  it('reads deep DAGs in order: balanced and trickle layouts, dag-pb and raw leaves, under a small read-ahead', async () => {
    const size = 300_001
    const data = await bytesOf(seededChunks(8, size)())
    for (const layout of [balanced({ maxChildrenPerNode: 3 }), trickle({ maxChildrenPerNode: 3, layerRepeat: 2 })]) {
      for (const rawLeaves of [false, true]) {
        const blockstore = new MemoryBlockstore()
        const { cid } = await importBytes(data, blockstore, { cidVersion: rawLeaves ? 1 : 0, rawLeaves, chunker: fixedSize({ chunkSize: 4_000 }), layout })
        for (const readAheadBytes of [1, 20_000]) {
          const tree = await openUnixfsTree(cid, { blockstore }, { readAheadBytes })
          const [entry] = await entries(tree)
          expect(await bytesOf(entry!.open!())).toEqual(data)
        }
      }
    }
  })
})

async function entries(tree: Awaited<ReturnType<typeof openUnixfsTree>>) {
  const out = []
  for await (const entry of tree.entries()) out.push(entry)
  return out
}


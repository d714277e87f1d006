import { singleFileTree } from '@shoal/interface'
import { MemoryBlockstore } from 'blockstore-core'
import type { CID } from 'multiformats/cid'
import { describe, expect, it } from 'vitest'
import { importTree, KUBO_CHUNK_SIZE, openUnixfsTree, UNIXFS_READ_WINDOW } from '../src/index.ts'
import { seededChunks } from './seeded-bytes.ts'

const SIZE = 8 * 1024 * 1024 + 5

/** A blockstore that records which blocks were read from it. */
class CountingBlockstore extends MemoryBlockstore {
  read = new Set<string>()
  override get(cid: CID, options?: Parameters<MemoryBlockstore['get']>[1]) {
    this.read.add(cid.toString())
    return super.get(cid, options)
  }
}

describe('unixfsTree', () => {
  it('reads a large file no further ahead of its reader than one window, and gives every byte', async () => {
    const blockstore = new CountingBlockstore()
    const cid = await importTree(singleFileTree(SIZE, seededChunks(21, SIZE)), blockstore)
    const tree = await openUnixfsTree(cid, { blockstore })
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
    // Leaves fetched but not yet read never exceed a window.
    expect(maxLead).toBeLessThanOrEqual(UNIXFS_READ_WINDOW)
  })
})

/**
 * A UnixFS file's bytes in order, with the blocks below it fetched ahead of the reader within a
 * byte budget. Over bitswap each block is a round trip to a peer; asking for one window at a
 * time (what reading through the exporter in slices does) leaves the connection idle between
 * windows, while a sliding read-ahead keeps wants outstanding all the time, and what is held
 * stays bounded whatever the reader's pace.
 */
import { StorageError } from '@shoal/models'
import type { AbortOptions } from '@shoal/interface'
import * as dagPb from '@ipld/dag-pb'
import { UnixFS } from 'ipfs-unixfs'
import type { ReadableStorage, UnixFSEntry } from 'ipfs-unixfs-exporter'
import type { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'

/**
 * Bytes of a file's blocks fetched or asked for ahead of its reader, by default: enough for the
 * wants of about 32 Kubo-sized (256 KiB) leaves to be outstanding at once.
 */
export const UNIXFS_READ_AHEAD_BYTES = 8 * 1024 * 1024

/** The largest block bitswap carries (what a leaf not yet fetched may cost at most). */
const MAX_BLOCK_BYTES = 4 * 1024 * 1024

/** Options of {@link readAheadContent}. */
export interface ReadAheadOptions extends AbortOptions {
  /** Bytes fetched or asked for ahead of the reader, at most (default {@link UNIXFS_READ_AHEAD_BYTES}). */
  readAheadBytes?: number
}

/** A file entry the exporter gave (a UnixFS file, a raw block or an inline identity CID). */
export type FileEntry = Extract<UnixFSEntry, { type: 'file' | 'raw' | 'identity' }>

/** The bytes fetched or asked for ahead of the reader, shared by every level of a file's DAG. */
class ReadAheadBudget {
  private free: number
  constructor(bytes: number) {
    this.free = bytes
  }
  /** Takes `bytes` if they are free (a fetch ahead of the reader). */
  take(bytes: number): boolean {
    if (bytes > this.free) return false
    this.free -= bytes
    return true
  }
  /** Takes `bytes` even past the budget: the block the reader waits for is always fetched. */
  force(bytes: number): void {
    this.free -= bytes
  }
  release(bytes: number): void {
    this.free += bytes
  }
}

/** One child block, asked for ahead of the reader; `cost` is what it holds of the budget. */
interface PendingBlock {
  cid: CID
  cost: number
  block: Promise<Uint8Array>
}

interface WalkContext {
  blocks: ReadableStorage
  budget: ReadAheadBudget
  signal: AbortSignal
}

async function fetchBlock(cid: CID, blocks: ReadableStorage, signal: AbortSignal): Promise<Uint8Array> {
  const chunks: Uint8Array[] = []
  for await (const chunk of blocks.get(cid, { signal })) chunks.push(chunk)
  if (chunks.length === 1) return chunks[0]!
  const block = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0))
  let at = 0
  for (const chunk of chunks) {
    block.set(chunk, at)
    at += chunk.byteLength
  }
  return block
}

/** The bytes below a decoded dag-pb file node: its own data, then each child's in order. */
async function* nodeBytes(node: dagPb.PBNode, context: WalkContext): AsyncGenerator<Uint8Array> {
  if (node.Data === undefined) throw new StorageError('a block of the file holds no UnixFS data (not a UnixFS file node)')
  let file: UnixFS
  try {
    file = UnixFS.unmarshal(node.Data)
  } catch (err) {
    throw new StorageError(`a block of the file is not UnixFS: ${(err as Error).message}`, { cause: err })
  }
  if (file.data !== undefined && file.data.byteLength > 0) yield file.data
  if (node.Links.length !== file.blockSizes.length) throw new StorageError(`a UnixFS file node has ${node.Links.length} links but ${file.blockSizes.length} block sizes`)
  if (node.Links.length > 0) yield* childBytes(node.Links.map((link) => link.Hash), file.blockSizes, context)
}

/**
 * The bytes below `links` in order. Children are asked for ahead of the reader while the budget
 * has room; the next one the reader needs is asked for whatever the budget says, so reading
 * always progresses. An intermediate node gives its reservation back as soon as it arrives and
 * weighs what its block weighs: only leaves hold the budget for long.
 */
async function* childBytes(links: CID[], sizes: bigint[], context: WalkContext): AsyncGenerator<Uint8Array> {
  const pending: PendingBlock[] = []
  let next = 0
  const ask = (force: boolean): boolean => {
    const cid = links[next]!
    // A leaf holds at most its share of the file and at most one block; a subtree's block is small.
    const estimate = Math.min(Number(sizes[next]!), MAX_BLOCK_BYTES)
    if (force) context.budget.force(estimate)
    else if (!context.budget.take(estimate)) return false
    const entry: PendingBlock = { cid, cost: estimate, block: Promise.resolve(new Uint8Array(0)) }
    entry.block = fetchBlock(cid, context.blocks, context.signal).then((block) => {
      context.budget.release(entry.cost - block.byteLength)
      entry.cost = block.byteLength
      return block
    })
    // Rejections of blocks asked for ahead surface when the reader gets to them.
    entry.block.catch(() => {})
    pending.push(entry)
    next++
    return true
  }
  try {
    // Bounded: each turn takes one child off `pending`, and `next` only grows to links.length.
    for (;;) {
      if (pending.length === 0 && next < links.length) ask(true)
      while (next < links.length && ask(false));
      const head = pending.shift()
      if (head === undefined) return
      const block = await head.block
      context.budget.release(head.cost)
      if (head.cid.code === raw.code) yield block
      else if (head.cid.code === dagPb.code) yield* nodeBytes(dagPb.decode(block), context)
      else throw new StorageError(`a block of the file has codec 0x${head.cid.code.toString(16)}, not dag-pb or raw (${head.cid})`)
    }
  } finally {
    // Abandoned (the reader stopped or a block failed): what was asked ahead is no longer held.
    for (const entry of pending.splice(0)) context.budget.release(entry.cost)
  }
}

/**
 * A UnixFS file's bytes in order, its blocks fetched from `blocks` (a Helia blockstore asks
 * peers and verifies each block) at most `readAheadBytes` ahead of the reader. Checks that the
 * bytes match the size the file's root states, and stops at once when they run past it.
 */
export async function* readAheadContent(entry: FileEntry, blocks: ReadableStorage, options: ReadAheadOptions = {}): AsyncGenerator<Uint8Array> {
  if (entry.type !== 'file') {
    yield* entry.content({ signal: options.signal })
    return
  }
  const size = entry.size
  // Fetches asked for ahead end with the read: when the reader stops, their wants are cancelled.
  const walk = new AbortController()
  const signal = options.signal ? AbortSignal.any([options.signal, walk.signal]) : walk.signal
  const context: WalkContext = { blocks, budget: new ReadAheadBudget(options.readAheadBytes ?? UNIXFS_READ_AHEAD_BYTES), signal }
  let read = 0n
  try {
    for await (const chunk of nodeBytes(entry.node, context)) {
      read += BigInt(chunk.byteLength)
      if (read > size) throw new StorageError(`${entry.cid}: the file's blocks hold more bytes than the ${size} its root states`)
      if (chunk.byteLength > 0) yield chunk
    }
    if (read < size) throw new StorageError(`${entry.cid}: the file's blocks hold ${read} bytes, fewer than the ${size} its root states`)
  } finally {
    walk.abort(new Error('the read of the file ended'))
  }
}

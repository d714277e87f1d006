/**
 * Readable trees over UnixFS DAGs: what a runtime reads an `unixfs` volume with. Blocks are
 * fetched as the tree is walked and files are read, from the node's blockstore or (through a
 * Helia blockstore) from peers, each verified against its CID.
 */
import { StorageError } from '@shoal/models'
import type { AbortOptions, ReadableTree, TreeEntry, Volume } from '@shoal/interface'
import { exporter, type ReadableStorage, type UnixFSEntry } from 'ipfs-unixfs-exporter'
import { CID } from 'multiformats/cid'
import { readAheadContent, type FileEntry } from './read-ahead-content.ts'
import { iterableStream } from './stream-iterable.ts'

/** The blocks a UnixFS walk reads: a Helia node's `blockstore` (network-backed) or a bare one. */
export type UnixfsBlocks = ReadableStorage

const compareNames = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

/** Whether an exported entry is read as a file (UnixFS file, raw leaf or inline identity). */
function isFile(entry: UnixFSEntry): entry is FileEntry {
  return entry.type === 'file' || entry.type === 'raw' || entry.type === 'identity'
}

function fileEntry(path: string, entry: FileEntry, blocks: UnixfsBlocks, readAheadBytes: number | undefined): TreeEntry {
  return {
    path,
    kind: 'file',
    size: Number(entry.size),
    open: (options?: AbortOptions) => iterableStream(readAheadContent(entry, blocks, { signal: options?.signal, readAheadBytes })),
  }
}

async function* walkDirectory(blocks: UnixfsBlocks, directory: Extract<UnixFSEntry, { type: 'directory' }>, prefix: string, options: AbortOptions & { readAheadBytes?: number }): AsyncGenerator<TreeEntry> {
  // A listing holds names and CIDs only; a HAMT-sharded directory lists in hash order, so sort.
  const children: Array<{ name: string; cid: CID }> = []
  for await (const child of directory.entries({ signal: options.signal })) children.push({ name: child.name, cid: child.cid })
  children.sort((a, b) => compareNames(a.name, b.name))
  for (const child of children) {
    const path = prefix === '' ? child.name : `${prefix}/${child.name}`
    const entry = await exporter(child.cid, blocks, { signal: options.signal })
    if (isFile(entry)) yield fileEntry(path, entry, blocks, options.readAheadBytes)
    else if (entry.type === 'directory') {
      yield { path, kind: 'directory', size: 0 }
      yield* walkDirectory(blocks, entry, path, options)
    } else throw new StorageError(`${path} in the DAG is a ${entry.type} node, not a UnixFS file or directory`)
  }
}

/** Options of {@link unixfsTree}. */
export interface UnixfsTreeOptions extends AbortOptions {
  /** Whether the root is a file or a directory (a UnixfsVolume says; {@link openUnixfsTree} reads it from the root block). */
  root: 'file' | 'directory'
  /** Total bytes, when known (a UnixfsVolume's size). */
  size?: number
  /** Bytes of a file's blocks asked for ahead of its reader (default UNIXFS_READ_AHEAD_BYTES, 8 MiB). */
  readAheadBytes?: number
}

/**
 * A lazy {@link ReadableTree} over the UnixFS DAG at `cid`: each walk reads directory blocks as
 * it goes, each file's blocks as its stream is read; sizes are exact (from the DAG), names
 * sorted, parents first. `helia` is anything with a `blockstore`: a Helia node fetches missing
 * blocks from peers and verifies them.
 */
export function unixfsTree(cid: CID | string, helia: { blockstore: UnixfsBlocks }, options: UnixfsTreeOptions): ReadableTree {
  const root = typeof cid === 'string' ? CID.parse(cid) : cid
  const blocks = helia.blockstore
  return {
    root: options.root,
    size: options.size,
    async *entries(walk: AbortOptions = {}) {
      const signal = walk.signal ?? options.signal
      const entry = await exporter(root, blocks, { signal })
      const kind = isFile(entry) ? 'file' : entry.type === 'directory' ? 'directory' : undefined
      if (kind === undefined) throw new StorageError(`${root} is a ${entry.type} node, not a UnixFS file or directory`)
      if (kind !== options.root) throw new StorageError(`${root} is a ${kind}, not the ${options.root} it was said to be`)
      if (isFile(entry)) yield fileEntry('', entry, blocks, options.readAheadBytes)
      else if (entry.type === 'directory') yield* walkDirectory(blocks, entry, '', { signal, readAheadBytes: options.readAheadBytes })
    },
  }
}

/**
 * A lazy {@link ReadableTree} over the UnixFS DAG at `cid`, after reading its root block to
 * learn whether it is a file or a directory (and a file's size), e.g. for `job get`.
 */
export async function openUnixfsTree(cid: CID | string, helia: { blockstore: UnixfsBlocks }, options: AbortOptions & { readAheadBytes?: number } = {}): Promise<ReadableTree> {
  const root = typeof cid === 'string' ? CID.parse(cid) : cid
  const entry = await exporter(root, helia.blockstore, { signal: options.signal })
  if (isFile(entry)) return unixfsTree(root, helia, { ...options, root: 'file', size: Number(entry.size) })
  if (entry.type === 'directory') return unixfsTree(root, helia, { ...options, root: 'directory' })
  throw new StorageError(`${root} is a ${entry.type} node, not a UnixFS file or directory`)
}

/**
 * What a runtime plugs into its VolumeSpace (e.g. MemoryVolumeSpace's `readOther`) so that
 * `space.read()` of an `unixfs` volume reads the DAG through `helia`; undefined for other kinds.
 */
export function readUnixfs(helia: { blockstore: UnixfsBlocks }): (volume: Volume) => ReadableTree | undefined {
  return (volume) => (volume.kind === 'unixfs' ? unixfsTree(volume.cid, helia, { root: volume.root, size: volume.size }) : undefined)
}

/**
 * UnixFS import with the settings of a default Kubo `ipfs add` (and so of upstream Bacalhau's
 * ipfs publisher, which calls Kubo's `Unixfs().Add` with only Pin set): the same files give the
 * same CIDs here as there. docs/COMPATIBILITY.md "IPFS" lists the settings.
 */
import type { AbortOptions, BytesProgress, ProgressOptions, ReadableTree } from '@shoal/interface'
import { importer, type ImportCandidate, type ImporterOptions, type WritableStorage } from 'ipfs-unixfs-importer'
import { fixedSize } from 'ipfs-unixfs-importer/chunker'
import { balanced } from 'ipfs-unixfs-importer/layout'
import type { CID } from 'multiformats/cid'
import { streamIterable } from './stream-iterable.ts'

/** Kubo's default chunk: `size-262144`. */
export const KUBO_CHUNK_SIZE = 262_144
/** Children per node of Kubo's balanced file layout (go-unixfs `helpers.DefaultLinksPerBlock`). */
export const KUBO_MAX_CHILDREN = 174
/** Kubo's `Import.UnixFSHAMTDirectorySizeThreshold`: a directory whose links pass it is sharded. */
export const KUBO_SHARD_THRESHOLD_BYTES = 262_144

/**
 * Importer options giving a default `ipfs add`'s CIDs: CIDv0, dag-pb leaves (no raw leaves),
 * 256 KiB fixed-size chunks, balanced layout with 174 children, HAMT sharding past 256 KiB of
 * links. Spelled out rather than left to `profile`, which not every caller honours.
 */
export function kuboImporterOptions(): ImporterOptions {
  return {
    profile: 'unixfs-v0-2015',
    cidVersion: 0,
    rawLeaves: false,
    leafType: 'file',
    reduceSingleLeafToSelf: true,
    chunker: fixedSize({ chunkSize: KUBO_CHUNK_SIZE }),
    layout: balanced({ maxChildrenPerNode: KUBO_MAX_CHILDREN }),
    shardSplitStrategy: 'links-bytes',
    shardSplitThresholdBytes: KUBO_SHARD_THRESHOLD_BYTES,
    fieldOrder: 'links-first',
    // Files one after another: each is streamed, so at most one file's chunks are in flight.
    fileImportConcurrency: 1,
  }
}

/** Options of {@link importTree}. */
export interface ImportTreeOptions extends AbortOptions, ProgressOptions<BytesProgress> {
  /** Names the work in progress events (default "importing to ipfs"). */
  label?: string
}

/**
 * Imports a readable tree into `blockstore` as a default Kubo `ipfs add` (`-r` for a directory)
 * would, and returns the root CID: a file's CID for a file root, the directory's for a
 * directory root. File contents are streamed through the chunker, never held whole.
 */
export async function importTree(tree: ReadableTree, blockstore: WritableStorage, options: ImportTreeOptions = {}): Promise<CID> {
  const label = options.label ?? 'importing to ipfs'
  let done = 0
  const progress = options.onProgress
  const counted = async function* (chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
    for await (const chunk of chunks) {
      done += chunk.byteLength
      progress?.({ type: 'progress', detail: { label, done, total: tree.size } })
      yield chunk
    }
  }
  async function* candidates(): AsyncGenerator<ImportCandidate> {
    for await (const entry of tree.entries(options)) {
      options.signal?.throwIfAborted()
      if (entry.kind === 'directory') {
        yield { path: entry.path }
        continue
      }
      // Opened only when the importer pulls the file's first chunk.
      const content = (async function* () {
        yield* counted(streamIterable(entry.open!(options), options))
      })()
      yield { path: entry.path, content }
    }
  }
  const importOptions = { ...kuboImporterOptions(), wrapWithDirectory: tree.root === 'directory' }
  let root: CID | undefined
  for await (const result of importer(candidates(), blockstore, importOptions)) {
    options.signal?.throwIfAborted()
    // The importer yields each entry when it is complete, the root last.
    root = result.cid
  }
  if (root === undefined) {
    // An empty directory tree: the importer yields nothing when given nothing.
    const empty = await importer([{ path: 'empty' }], blockstore, { ...kuboImporterOptions(), wrapWithDirectory: false }).next()
    if (empty.done === true) throw new Error('the UnixFS importer produced no directory')
    root = empty.value.cid
  }
  return root
}

/**
 * Volumes: where an input's or an output's bytes are, without holding them. A storage provider
 * produces a volume, an engine mounts the kinds it can (the runner stages the others into the
 * node's {@link VolumeSpace}), and a publisher reads outputs as a {@link ReadableTree}.
 *
 * What holds bytes where, per runtime (docs/ARCHITECTURE.md, "The data plane"):
 * - node-runner: `host` directories and files under the node's data dir (or a `local` path
 *   mounted in place); engines read them with synchronous file calls in their worker.
 * - tabs: `opfs` directories in the page's origin-private file system; a Web Worker reads them
 *   through `FileSystemSyncAccessHandle`.
 * - everywhere: `memory` for small data (inline inputs, tests), and `unixfs` for an IPFS DAG,
 *   fetched block by block as it is read.
 */
import type { AbortOptions, ProgressOptions } from './abort.ts'
import type { FileTreeNode } from './file-tree.ts'
import type { ReadableTree } from './readable-tree.ts'

/** Bytes held in memory: small inputs and outputs, tests, the edge. */
export interface MemoryVolume {
  kind: 'memory'
  node: FileTreeNode
}

/** A file or directory on the node's own filesystem (node-runner only). */
export interface HostVolume {
  kind: 'host'
  /** Absolute path. */
  path: string
  /** Whether it is a single file or a directory. */
  root: 'file' | 'directory'
  /** Total bytes of its files, when known. */
  size?: number
}

/**
 * A file or directory in the browser's origin-private file system. Handles are structured-
 * cloneable, so the engine passes them to its worker as they are.
 */
export interface OpfsVolume {
  kind: 'opfs'
  handle: FileSystemDirectoryHandle | FileSystemFileHandle
  size?: number
}

/** A UnixFS DAG (a file or a directory) in IPFS, read lazily from the blockstore and peers. */
export interface UnixfsVolume {
  kind: 'unixfs'
  /** The root CID, as a string (CIDv0 or v1). */
  cid: string
  root: 'file' | 'directory'
  /** Total bytes of its files, from the root block. */
  size?: number
}

/** Where a volume's bytes are. */
export type Volume = MemoryVolume | HostVolume | OpfsVolume | UnixfsVolume

/** The kinds of volume. */
export type VolumeKind = Volume['kind']

/** Bytes done so far of long data work (downloads, staging, publishing), for progress events. */
export interface BytesProgress {
  /** What is being moved, e.g. "InputSources[0] (urlDownload)" or "publishing to ipfs". */
  label: string
  done: number
  /** Total when known. */
  total?: number
}

/** Options of {@link VolumeSpace.write}. */
export interface VolumeWriteOptions extends AbortOptions, ProgressOptions<BytesProgress> {
  /** Name of the volume within its owner, for paths and messages (e.g. "input-0", "outputs"). */
  name: string
  /** What the bytes are, for progress events and errors (e.g. "InputSources[0] (urlDownload)"). */
  label?: string
}

/** Bytes a space may hold and holds. */
export interface SpaceUsage {
  /** The node's disk budget for job data; what it advertises as Resources.Disk. */
  totalBytes: number
  /** Of which not in use now. */
  freeBytes: number
}

/**
 * The node's storage for job data: a directory in the data dir (node-runner), the page's OPFS
 * (tabs), or memory (the edge, tests). Everything it holds belongs to an owner, an execution
 * ID, and is deleted with it. Writes count against the space's budget and reject with a
 * StorageError ("needs N bytes, M free of the node's T byte disk budget") once past it.
 */
export interface VolumeSpace {
  /** The kind of volume this space writes. */
  readonly kind: 'memory' | 'host' | 'opfs'
  usage(): SpaceUsage
  /** Writes `tree` into a new volume of this space held by `owner`, streaming it. */
  write(owner: string, tree: ReadableTree, options: VolumeWriteOptions): Promise<Volume>
  /** A new empty directory held by `owner` (e.g. a container's output directory). */
  createDirectory(owner: string, name: string): Promise<Volume>
  /**
   * A new empty file held by `owner`, for an engine's scratch image: a WASM worker opens it for
   * synchronous random access (a file descriptor on Node, a sync access handle in a tab) and
   * keeps the job's writable files in it. Its growth counts against the budget through
   * {@link VolumeSpace.reserve}.
   */
  createFile(owner: string, name: string): Promise<Volume>
  /**
   * Takes `bytes` of the budget for `owner` (an engine growing a scratch image); false when the
   * space does not have them. Given back by {@link VolumeSpace.release}.
   */
  reserve(owner: string, bytes: number): boolean
  /** A file volume as a Blob, for random access (`slice().stream()`) without reading it all. */
  openBlob(volume: Volume): Promise<Blob>
  /**
   * Optional: reads bytes of a file volume from `position` into `target` and resolves with how
   * many (fewer only at the end of the file), so that a reader streaming a large file fills
   * buffers of its own. Node's file-backed `Blob.slice().arrayBuffer()` leaves buffers as large as
   * each read behind for the garbage collector (~70 MiB resident while a result was archived).
   * Spaces without it are read through {@link VolumeSpace.openBlob}.
   */
  readFileInto?(volume: Volume, target: Uint8Array, position: number, options?: AbortOptions): Promise<number>
  /**
   * Reads any volume this runtime can read: its own kind and `memory` always, `unixfs` when the
   * runtime has an IPFS node. Rejects with a StorageError naming the kind otherwise.
   */
  read(volume: Volume): ReadableTree
  /** Deletes everything `owner` holds (after its run is published or failed). */
  release(owner: string): Promise<void>
}

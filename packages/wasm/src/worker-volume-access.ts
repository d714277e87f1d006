/**
 * How a WASM worker reaches volumes whose bytes are not in memory. A WASI program reads and
 * writes synchronously, so the worker opens what the job mounts before the program starts (OPFS
 * opens are asynchronous) and then reads and writes at offsets. Each runtime's worker bootstrap
 * provides one implementation: node-runner over file descriptors (`host` volumes), tabs over
 * OPFS sync access handles (`opfs` volumes).
 */
import type { HostVolume, OpfsVolume } from '@shoal/interface'

/**
 * A file open for synchronous random access. Its methods are those of the browser's
 * `FileSystemSyncAccessHandle`, so an OPFS handle is one as it is; node-runner wraps a file
 * descriptor in the same shape.
 */
export interface SyncFile {
  getSize(): number
  /** Reads up to `buffer.byteLength` bytes at `options.at`; returns how many were read (0 at the end). */
  read(buffer: Uint8Array, options: { at: number }): number
  /** Writes `buffer` at `options.at`; returns how many bytes were written. */
  write(buffer: Uint8Array, options: { at: number }): number
  truncate(size: number): void
  flush(): void
  close(): void
}

/** A volume a worker can open files of. */
export type WorkerVolume = HostVolume | OpfsVolume

/** One entry of a listed volume, as {@link ReadableTree} entries are (path '' for a file root). */
export interface WorkerVolumeEntry {
  path: string
  kind: 'file' | 'directory'
  size: number
}

/** Lists and opens the files of `host`/`opfs` volumes from inside a worker. */
export interface WorkerVolumeAccess {
  /** The volume kinds it opens. */
  readonly kinds: readonly WorkerVolume['kind'][]
  /**
   * Every entry of a volume, a directory before what it holds, names in ascending order. Links
   * are not followed out of the volume (node-runner: refused with a message naming the path).
   */
  list(volume: WorkerVolume): Promise<WorkerVolumeEntry[]>
  /** Opens a file of the volume: `path` is relative to its root ('' for a file volume). */
  open(volume: WorkerVolume, path: string, mode: 'read' | 'readwrite'): Promise<SyncFile>
}

// Kept on the global object, not in a module variable: a runtime's bootstrap and the engine's
// worker script may load this module under different URLs (bundlers, symlinked workspaces), and
// both must see the one access the bootstrap installed.
const ACCESS_KEY = Symbol.for('@shoal/wasm/worker-volume-access')

/**
 * Installs how this worker opens `host`/`opfs` volumes. A runtime's worker bootstrap calls it
 * before the engine's worker script runs a job (node-runner: node:fs; tabs: OPFS). The engine
 * must be created with the same kinds in `volumeKinds` option of createWasmEngine.
 */
export function setWorkerVolumeAccess(access: WorkerVolumeAccess | undefined): void {
  ;(globalThis as Record<symbol, unknown>)[ACCESS_KEY] = access
}

/** The access installed by {@link setWorkerVolumeAccess}, if any. */
export function workerVolumeAccess(): WorkerVolumeAccess | undefined {
  return (globalThis as Record<symbol, unknown>)[ACCESS_KEY] as WorkerVolumeAccess | undefined
}

import { StorageError } from '@shoal/models'
import {
  memoryTree,
  readTreeIntoMemory,
  type ReadableTree,
  type SpaceUsage,
  type Volume,
  type VolumeSpace,
  type VolumeWriteOptions,
} from '@shoal/interface'

/** Options of {@link MemoryVolumeSpace}. */
export interface MemoryVolumeSpaceOptions {
  /** Bytes it may hold in all (default 1 GiB). */
  totalBytes?: number
  /** Reads the volume kinds memory cannot (e.g. `unixfs` through an IPFS node). */
  readOther?: (volume: Volume) => ReadableTree | undefined
}

/** Bytes of every file below `node`. */
function sizeOf(volume: Volume & { kind: 'memory' }): number {
  const walk = (node: typeof volume.node): number => (node.kind === 'file' ? node.data.byteLength : [...node.entries.values()].reduce((sum, child) => sum + walk(child), 0))
  return walk(volume.node)
}

/** The message of a write past the budget: what was needed, what is free, what to do. */
export function spaceFullError(label: string, neededBytes: number | undefined, usage: SpaceUsage): StorageError {
  const need = neededBytes === undefined ? 'more bytes' : `${neededBytes} bytes`
  return new StorageError(`${label} needs ${need} but only ${usage.freeBytes} of the node's ${usage.totalBytes} byte disk budget are free`, {
    hint: 'give the node a larger disk budget (--disk-budget / compute.disk-budget), or run the job where there is room',
  })
}

/**
 * A {@link VolumeSpace} in memory: for the edge, tests, and runtimes without a disk. Holds what
 * it writes as in-memory trees, within a byte budget.
 */
export class MemoryVolumeSpace implements VolumeSpace {
  readonly kind = 'memory'
  private readonly totalBytes: number
  private readonly held = new Map<string, number>()
  private readonly readOther: MemoryVolumeSpaceOptions['readOther']

  constructor(options: MemoryVolumeSpaceOptions = {}) {
    this.totalBytes = options.totalBytes ?? 1024 ** 3
    this.readOther = options.readOther
  }

  usage(): SpaceUsage {
    let used = 0
    for (const bytes of this.held.values()) used += bytes
    return { totalBytes: this.totalBytes, freeBytes: Math.max(0, this.totalBytes - used) }
  }

  async write(owner: string, tree: ReadableTree, options: VolumeWriteOptions): Promise<Volume> {
    const label = options.label ?? options.name
    const free = this.usage().freeBytes
    const node = await readTreeIntoMemory(tree, { signal: options.signal, maxBytes: free, tooLarge: () => spaceFullError(label, tree.size, this.usage()) })
    const volume: Volume = { kind: 'memory', node }
    const size = sizeOf(volume)
    options.onProgress?.({ type: 'bytes', detail: { label, done: size, total: size } })
    this.held.set(owner, (this.held.get(owner) ?? 0) + size)
    return volume
  }

  async createDirectory(): Promise<Volume> {
    return { kind: 'memory', node: { kind: 'dir', entries: new Map() } }
  }

  async createFile(): Promise<Volume> {
    return { kind: 'memory', node: { kind: 'file', data: new Uint8Array(0) } }
  }

  reserve(owner: string, bytes: number): boolean {
    if (bytes > this.usage().freeBytes) return false
    this.held.set(owner, (this.held.get(owner) ?? 0) + bytes)
    return true
  }

  read(volume: Volume): ReadableTree {
    if (volume.kind === 'memory') return memoryTree(volume.node)
    const other = this.readOther?.(volume)
    if (other) return other
    throw new StorageError(`this node cannot read a ${volume.kind} volume`, { hint: 'run the job on a node whose runtime offers that storage' })
  }

  async openBlob(volume: Volume): Promise<Blob> {
    if (volume.kind === 'memory' && volume.node.kind === 'file') return new Blob([volume.node.data as Uint8Array<ArrayBuffer>])
    throw new StorageError(`a ${volume.kind} ${volume.kind === 'memory' ? 'directory' : 'volume'} cannot be opened as a blob here`)
  }

  async release(owner: string): Promise<void> {
    this.held.delete(owner)
  }
}

import { constants, createWriteStream, openAsBlob } from 'node:fs'
import { mkdir, open, rm, statfs } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { Readable, Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { StorageError } from '@shoal/models'
import { memoryTree, type AbortOptions, type ReadableTree, type SpaceUsage, type UnixfsVolume, type Volume, type VolumeSpace, type VolumeWriteOptions } from '@shoal/interface'
import { spaceFullError } from '@shoal/compute'
import { hostTree } from './host-tree.ts'

/** Default disk budget when none is configured: 10 GiB, but never more than half the free space. */
export const DEFAULT_DISK_BUDGET = 10 * 1024 ** 3

/** Options of {@link HostVolumeSpace.open}. */
export interface HostVolumeSpaceOptions {
  /** The space's own directory (`<data dir>/compute/volumes` under `shoal serve`): everything in it belongs to the space. */
  directory: string
  /** Bytes of job data it may hold: what the node advertises as Resources.Disk. */
  totalBytes: number
  /** Reads `unixfs` volumes (the node's IPFS node); without it they cannot be read here. */
  readUnixfs?: (volume: UnixfsVolume) => ReadableTree
}

/**
 * The disk budget of a node whose data dir is `dataDir` when none is configured:
 * {@link DEFAULT_DISK_BUDGET} or half the free space of that filesystem, whichever is less.
 */
export async function defaultDiskBudget(dataDir: string): Promise<number> {
  const fs = await statfs(dataDir)
  return Math.min(DEFAULT_DISK_BUDGET, Math.floor((fs.bavail * fs.bsize) / 2))
}

/** A directory name for an owner (an execution ID) or a volume, never a path of its own. */
function safeName(value: string): string {
  const name = value.replace(/[^A-Za-z0-9._-]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
  return name === '' || name === '.' || name === '..' ? `%${name}` : name
}

/** The parts of a tree entry's path, refusing ones that would leave the volume. */
function entryParts(path: string, label: string): string[] {
  const parts = path.split('/')
  if (parts.some((part) => part === '' || part === '.' || part === '..' || part.includes('\0'))) {
    throw new StorageError(`${label} holds an entry named ${JSON.stringify(path)}, which cannot be written to disk`, { hint: 'entry paths are relative, without empty, "." or ".." parts' })
  }
  return parts
}

/**
 * The node-runner's {@link VolumeSpace}: one directory per owner (execution) below the space's
 * directory in the node's data dir. Writes stream each file to disk, counting bytes against the
 * disk budget as they arrive; a write past it fails and leaves nothing behind. Everything an
 * owner holds is deleted on release, and whatever a crashed run left is deleted at start.
 */
export class HostVolumeSpace implements VolumeSpace {
  readonly kind = 'host'
  readonly directory: string
  private readonly totalBytes: number
  private readonly held = new Map<string, number>()
  private readonly names = new Map<string, Set<string>>()
  private readonly readUnixfs: HostVolumeSpaceOptions['readUnixfs']

  private constructor(options: HostVolumeSpaceOptions) {
    this.directory = options.directory
    this.totalBytes = options.totalBytes
    this.readUnixfs = options.readUnixfs
  }

  /** Opens the space in `options.directory`, deleting what a previous run of the node left there. */
  static async open(options: HostVolumeSpaceOptions): Promise<HostVolumeSpace> {
    if (!Number.isFinite(options.totalBytes) || options.totalBytes < 0) throw new RangeError(`disk budget must be a byte count, got ${options.totalBytes}`)
    // Owners of a previous run are gone (the node restarted): their data would only fill the disk.
    await rm(options.directory, { recursive: true, force: true })
    await mkdir(options.directory, { recursive: true, mode: 0o700 })
    return new HostVolumeSpace(options)
  }

  usage(): SpaceUsage {
    return { totalBytes: this.totalBytes, freeBytes: Math.max(0, this.totalBytes - this.usedBytes()) }
  }

  private take(owner: string, bytes: number): void {
    this.held.set(owner, (this.held.get(owner) ?? 0) + bytes)
  }

  /** A new path for volume `name` of `owner` (a second volume of the same name gets a suffix). */
  private async newPath(owner: string, name: string): Promise<string> {
    const ownerDir = join(this.directory, safeName(owner))
    await mkdir(ownerDir, { recursive: true, mode: 0o700 })
    const used = this.names.get(owner) ?? new Set<string>()
    this.names.set(owner, used)
    let candidate = safeName(name)
    for (let i = 2; used.has(candidate); i++) candidate = `${safeName(name)}-${i}`
    used.add(candidate)
    return join(ownerDir, candidate)
  }

  async write(owner: string, tree: ReadableTree, options: VolumeWriteOptions): Promise<Volume> {
    const label = options.label ?? options.name
    const signal = options.signal
    signal?.throwIfAborted()
    if (tree.size !== undefined && tree.size > this.usage().freeBytes) throw spaceFullError(label, tree.size, this.usage())
    const path = await this.newPath(owner, options.name)
    // What was free when the write began, for the message if it runs out (sizes of -1 included).
    const freeAtStart = this.usage().freeBytes
    let written = 0
    const count = (bytes: number): void => {
      this.take(owner, bytes)
      written += bytes
      if (this.usedBytes() > this.totalBytes) throw spaceFullError(label, tree.size, { totalBytes: this.totalBytes, freeBytes: freeAtStart })
      options.onProgress?.({ type: 'bytes', detail: { label, done: written, total: tree.size } })
    }
    try {
      if (tree.root === 'directory') await mkdir(path, { mode: 0o755 })
      for await (const entry of tree.entries({ signal })) {
        if (entry.path === '') {
          if (tree.root !== 'file' || entry.kind !== 'file') throw new StorageError(`${label} lists its root as an entry of a directory tree`)
        }
        const target = entry.path === '' ? path : join(path, ...entryParts(entry.path, label))
        if (entry.kind === 'directory') {
          await mkdir(target, { recursive: true, mode: 0o755 })
          continue
        }
        if (entry.size > 0 && entry.size > this.usage().freeBytes) throw spaceFullError(label, entry.size, this.usage())
        await mkdir(dirname(target), { recursive: true, mode: 0o755 })
        const source = entry.open ? Readable.fromWeb(entry.open({ signal }) as import('node:stream/web').ReadableStream<Uint8Array>) : Readable.from([])
        const counter = new Transform({
          transform(chunk: Uint8Array, _encoding, callback) {
            try {
              count(chunk.byteLength)
              callback(null, chunk)
            } catch (err) {
              callback(err as Error)
            }
          },
        })
        // 'wx': a name listed twice must not overwrite (or follow) what is already there.
        await pipeline(source, counter, createWriteStream(target, { flags: 'wx', mode: 0o644 }), { signal })
      }
      if (tree.root === 'file' && written === 0) await open(path, 'a').then((handle) => handle.close())
    } catch (err) {
      this.take(owner, -written)
      await rm(path, { recursive: true, force: true }).catch(() => {})
      throw err
    }
    return { kind: 'host', path, root: tree.root, size: written }
  }

  private usedBytes(): number {
    let used = 0
    for (const bytes of this.held.values()) used += bytes
    return used
  }

  async createDirectory(owner: string, name: string): Promise<Volume> {
    const path = await this.newPath(owner, name)
    await mkdir(path, { mode: 0o755 })
    return { kind: 'host', path, root: 'directory', size: 0 }
  }

  async createFile(owner: string, name: string): Promise<Volume> {
    const path = await this.newPath(owner, name)
    await (await open(path, 'wx', 0o600)).close()
    return { kind: 'host', path, root: 'file', size: 0 }
  }

  reserve(owner: string, bytes: number): boolean {
    if (bytes > this.usage().freeBytes) return false
    this.take(owner, bytes)
    return true
  }

  read(volume: Volume): ReadableTree {
    if (volume.kind === 'host') return hostTree(volume.path, volume.root, { size: volume.size })
    if (volume.kind === 'memory') return memoryTree(volume.node)
    if (volume.kind === 'unixfs' && this.readUnixfs) return this.readUnixfs(volume)
    throw new StorageError(`this node cannot read a ${volume.kind} volume`, {
      hint: volume.kind === 'unixfs' ? 'this node has no IPFS node to read it with' : 'run the job on a node whose runtime offers that storage',
    })
  }

  async readFileInto(volume: Volume, target: Uint8Array, position: number, options: AbortOptions = {}): Promise<number> {
    options.signal?.throwIfAborted()
    if (volume.kind !== 'host' || volume.root !== 'file') {
      throw new StorageError(`a ${volume.kind === 'host' ? 'host directory' : `${volume.kind} volume`} cannot be read as a file here`, { hint: 'only a single host file can be read at an offset' })
    }
    const handle = await open(volume.path, constants.O_RDONLY | constants.O_NOFOLLOW)
    try {
      let done = 0
      while (done < target.byteLength) {
        const { bytesRead } = await handle.read(target, done, target.byteLength - done, position + done)
        if (bytesRead === 0) break
        done += bytesRead
      }
      return done
    } finally {
      await handle.close()
    }
  }

  async openBlob(volume: Volume): Promise<Blob> {
    if (volume.kind === 'host' && volume.root === 'file') return openAsBlob(volume.path)
    if (volume.kind === 'memory' && volume.node.kind === 'file') return new Blob([volume.node.data as Uint8Array<ArrayBuffer>])
    throw new StorageError(`a ${volume.kind} ${volume.kind === 'host' || volume.kind === 'memory' ? 'directory' : 'volume'} cannot be opened as a blob here`, {
      hint: 'only a single file can be opened as a blob',
    })
  }

  async release(owner: string): Promise<void> {
    try {
      await rm(join(this.directory, safeName(owner)), { recursive: true, force: true })
    } finally {
      this.held.delete(owner)
      this.names.delete(owner)
    }
  }
}

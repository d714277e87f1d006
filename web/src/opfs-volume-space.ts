import { AbortError, StorageError } from '@shoal/models'
import { memoryTree, type ReadableTree, type SpaceUsage, type TreeEntry, type Volume, type VolumeSpace, type VolumeWriteOptions } from '@shoal/interface'
import { spaceFullError } from '@shoal/compute'

/** The OPFS directory holding every tab's job data, one subdirectory per page life. */
export const OPFS_SPACE_DIRECTORY = 'shoal-executions'

/** Share of the origin's free quota a tab offers to jobs when the page does not say. */
export const DEFAULT_OPFS_SHARE = 0.5

/** Tries of release() while a stopped worker still holds a file open, and the wait between them. */
const RELEASE_ATTEMPTS = 10
const RELEASE_RETRY_MS = 100

/** The Web Lock a page holds while its directory is in use, so other tabs leave it alone. */
const lockName = (life: string) => `shoal-opfs-space:${life}`

/** Options of {@link OpfsVolumeSpace.open}. */
export interface OpfsVolumeSpaceOptions {
  /** The origin-private file system's root (default: `navigator.storage.getDirectory()`). */
  root?: FileSystemDirectoryHandle
  /**
   * Bytes the space may hold in all. Default: {@link DEFAULT_OPFS_SHARE} of the quota still free
   * after leftovers are deleted (`navigator.storage.estimate()`).
   */
  totalBytes?: number
  /** Reads the volume kinds OPFS cannot (`unixfs` through the tab's IPFS node). */
  readOther?: (volume: Volume) => ReadableTree | undefined
  /**
   * Web Locks, by which a page claims its directory and finds those of closed pages (default:
   * `navigator.locks`). Without them every other directory counts as a leftover.
   */
  locks?: LockManager
  /** Name of this page life's directory (default: a random UUID). */
  life?: string
}

/**
 * The bytes a tab offers to jobs: the page's own setting (`?disk=`) when given, else a share of
 * what the browser would still let this origin store.
 */
export function opfsBudgetBytes(estimate: StorageEstimate, override?: number, share = DEFAULT_OPFS_SHARE): number {
  if (override !== undefined) return override
  const free = Math.max(0, (estimate.quota ?? 0) - (estimate.usage ?? 0))
  return Math.floor(free * share)
}

const compareNames = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

/** An OPFS entry name for an owner or volume name (OPFS refuses '/', '\\', '.' and '..'). */
function entryName(name: string): string {
  const encoded = encodeURIComponent(name)
  return encoded === '' || encoded === '.' || encoded === '..' ? `_${encoded}` : encoded
}

/** The components of a tree entry's path, refusing any that would leave the volume. */
function pathParts(path: string, label: string): string[] {
  const parts = path.split('/')
  for (const part of parts) {
    if (part === '' || part === '.' || part === '..' || part.includes('\\')) {
      throw new StorageError(`${label}: the entry ${JSON.stringify(path)} is not a relative path inside the volume`, { hint: 'paths must be names joined by "/", without "." or ".." parts' })
    }
  }
  return parts
}

function isNamed(err: unknown, name: string): boolean {
  return typeof err === 'object' && err !== null && (err as { name?: unknown }).name === name
}

/**
 * A {@link VolumeSpace} in the page's origin-private file system: what jobs download and write
 * lives in `shoal-executions/<page life>/<owner>/<name>` as OPFS files, which the WASM worker
 * opens with synchronous access handles, so a tab handles inputs and outputs far larger than
 * its memory. Writes stream file by file, chunk by chunk, and count against a byte budget.
 */
export class OpfsVolumeSpace implements VolumeSpace {
  readonly kind = 'opfs'
  private readonly directory: FileSystemDirectoryHandle
  private readonly totalBytes: number
  private readOther: OpfsVolumeSpaceOptions['readOther']
  private readonly held = new Map<string, number>()
  private readonly releaseLock: () => void

  private constructor(directory: FileSystemDirectoryHandle, totalBytes: number, readOther: OpfsVolumeSpaceOptions['readOther'], releaseLock: () => void) {
    this.directory = directory
    this.totalBytes = totalBytes
    this.readOther = readOther
    this.releaseLock = releaseLock
  }

  /** Reads the volume kinds OPFS cannot (`unixfs` through the tab's Helia, which starts after the space). */
  setReadOther(readOther: OpfsVolumeSpaceOptions['readOther']): void {
    this.readOther = readOther
  }

  /**
   * Opens this page life's space: claims a directory of its own, and deletes the directories
   * earlier lives of this page (or closed tabs of the origin) left behind.
   */
  static async open(options: OpfsVolumeSpaceOptions = {}): Promise<OpfsVolumeSpace> {
    const root = options.root ?? (await navigator.storage.getDirectory())
    const locks = options.locks ?? (globalThis.navigator as Navigator | undefined)?.locks
    const life = options.life ?? crypto.randomUUID()
    const releaseLock = await holdLock(locks, lockName(life))
    const spaces = await root.getDirectoryHandle(OPFS_SPACE_DIRECTORY, { create: true })
    await deleteLeftovers(spaces, locks, life)
    const directory = await spaces.getDirectoryHandle(life, { create: true })
    const totalBytes = options.totalBytes ?? opfsBudgetBytes(await navigator.storage.estimate())
    return new OpfsVolumeSpace(directory, totalBytes, options.readOther, releaseLock)
  }

  usage(): SpaceUsage {
    let used = 0
    for (const bytes of this.held.values()) used += bytes
    return { totalBytes: this.totalBytes, freeBytes: Math.max(0, this.totalBytes - used) }
  }

  async write(owner: string, tree: ReadableTree, options: VolumeWriteOptions): Promise<Volume> {
    const label = options.label ?? options.name
    const signal = options.signal
    if (tree.size !== undefined && tree.size > this.usage().freeBytes) throw spaceFullError(label, tree.size, this.usage())
    const ownerDirectory = await this.directory.getDirectoryHandle(entryName(owner), { create: true })
    const name = await unusedName(ownerDirectory, entryName(options.name))
    let written = 0
    // Bytes count as they arrive, so writes running side by side share the budget truthfully.
    const count = (bytes: number) => {
      if (bytes > this.usage().freeBytes) throw spaceFullError(label, tree.size ?? written + bytes, this.usage())
      written += bytes
      this.held.set(owner, (this.held.get(owner) ?? 0) + bytes)
    }
    let handle: FileSystemDirectoryHandle | FileSystemFileHandle | undefined
    try {
      const root = tree.root === 'directory' ? await ownerDirectory.getDirectoryHandle(name, { create: true }) : undefined
      handle = root
      const directories = new Map<string, FileSystemDirectoryHandle>()
      for await (const entry of tree.entries({ signal })) {
        signal?.throwIfAborted()
        if (entry.path === '') {
          if (tree.root !== 'file' || entry.kind !== 'file') throw new StorageError(`${label}: only a file tree has an entry at its root`)
          const file = await ownerDirectory.getFileHandle(name, { create: true })
          handle = file
          await writeFile(file, entry, count, signal)
          continue
        }
        if (!root) throw new StorageError(`${label}: a file tree has an entry ${JSON.stringify(entry.path)} below its root`)
        const parts = pathParts(entry.path, label)
        let parent = root
        for (let depth = 1; depth < parts.length; depth++) {
          const key = parts.slice(0, depth).join('/')
          let next = directories.get(key)
          if (!next) directories.set(key, (next = await parent.getDirectoryHandle(parts[depth - 1]!, { create: true })))
          parent = next
        }
        const last = parts[parts.length - 1]!
        if (entry.kind === 'directory') directories.set(entry.path, await parent.getDirectoryHandle(last, { create: true }))
        else await writeFile(await parent.getFileHandle(last, { create: true }), entry, count, signal)
      }
      handle ??= await ownerDirectory.getFileHandle(name, { create: true })
    } catch (err) {
      // A partial volume is of no use to anyone: its bytes go back to the budget at once.
      await ownerDirectory.removeEntry(name, { recursive: true }).catch(() => {})
      this.held.set(owner, (this.held.get(owner) ?? 0) - written)
      if (isNamed(err, 'QuotaExceededError')) throw spaceFullError(label, tree.size, { totalBytes: this.totalBytes, freeBytes: 0 })
      if (signal?.aborted) throw signal.reason ?? new AbortError(`${label}: cancelled`)
      throw err
    }
    options.onProgress?.({ type: 'bytes', detail: { label, done: written, total: written } })
    return { kind: 'opfs', handle, size: written }
  }

  async createDirectory(owner: string, name: string): Promise<Volume> {
    const ownerDirectory = await this.directory.getDirectoryHandle(entryName(owner), { create: true })
    const handle = await ownerDirectory.getDirectoryHandle(await unusedName(ownerDirectory, entryName(name)), { create: true })
    return { kind: 'opfs', handle }
  }

  async createFile(owner: string, name: string): Promise<Volume> {
    const ownerDirectory = await this.directory.getDirectoryHandle(entryName(owner), { create: true })
    const handle = await ownerDirectory.getFileHandle(await unusedName(ownerDirectory, entryName(name)), { create: true })
    return { kind: 'opfs', handle, size: 0 }
  }

  reserve(owner: string, bytes: number): boolean {
    if (bytes > this.usage().freeBytes) return false
    this.held.set(owner, (this.held.get(owner) ?? 0) + bytes)
    return true
  }

  read(volume: Volume): ReadableTree {
    if (volume.kind === 'opfs') return opfsTree(volume.handle, volume.size)
    if (volume.kind === 'memory') return memoryTree(volume.node)
    const other = this.readOther?.(volume)
    if (other) return other
    throw new StorageError(`this tab cannot read a ${volume.kind} volume`, { hint: 'run the job on a node whose runtime offers that storage' })
  }

  async openBlob(volume: Volume): Promise<Blob> {
    if (volume.kind === 'opfs' && volume.handle.kind === 'file') return volume.handle.getFile()
    if (volume.kind === 'memory' && volume.node.kind === 'file') return new Blob([volume.node.data as Uint8Array<ArrayBuffer>])
    throw new StorageError(`a ${volume.kind} ${volume.kind === 'memory' || volume.kind === 'opfs' ? 'directory' : 'volume'} cannot be opened as a blob here`)
  }

  async release(owner: string): Promise<void> {
    this.held.delete(owner)
    // A worker stopped mid-job (timeout, cancel) gives its sync access handles back shortly after
    // it is terminated; until then its files cannot be removed, so a few tries are allowed.
    for (let attempt = 1; ; attempt++) {
      try {
        await this.directory.removeEntry(entryName(owner), { recursive: true })
        return
      } catch (err) {
        if (isNamed(err, 'NotFoundError')) return
        if (attempt < RELEASE_ATTEMPTS && isNamed(err, 'NoModificationAllowedError')) {
          await new Promise((resolve) => setTimeout(resolve, RELEASE_RETRY_MS))
          continue
        }
        throw new StorageError(`could not delete the files of execution ${owner} from this tab's storage: ${(err as Error).message}`, {
          cause: err,
          hint: 'they are deleted when the page is next opened',
        })
      }
    }
  }

  /** Deletes everything this page life holds and lets other tabs treat its directory as a leftover. */
  async close(): Promise<void> {
    for await (const name of this.directory.keys()) await this.directory.removeEntry(name, { recursive: true }).catch(() => {})
    this.held.clear()
    this.releaseLock()
  }
}

/** `name`, or `name-2`, `name-3`... when the owner already has an entry of that name. */
async function unusedName(directory: FileSystemDirectoryHandle, name: string): Promise<string> {
  const taken = new Set<string>()
  for await (const key of directory.keys()) taken.add(key)
  if (!taken.has(name)) return name
  for (let n = 2; ; n++) if (!taken.has(`${name}-${n}`)) return `${name}-${n}`
}

/** Streams one entry into an OPFS file, counting every chunk before it is written. */
async function writeFile(handle: FileSystemFileHandle, entry: TreeEntry, count: (bytes: number) => void, signal: AbortSignal | undefined): Promise<void> {
  const writable = await handle.createWritable()
  const reader = entry.open!({ signal }).getReader()
  try {
    // Bounded: ends with the stream, or at the first chunk past the budget.
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      count(value.byteLength)
      await writable.write(value as Uint8Array<ArrayBuffer>)
    }
    await writable.close()
  } catch (err) {
    await reader.cancel(err).catch(() => {})
    await writable.abort(err).catch(() => {})
    throw err
  }
}

/** A readable tree over an OPFS file or directory: parents first, names sorted, exact sizes. */
export function opfsTree(handle: FileSystemDirectoryHandle | FileSystemFileHandle, size?: number): ReadableTree {
  return {
    root: handle.kind,
    size,
    async *entries(options) {
      if (handle.kind === 'file') {
        yield fileEntry('', await handle.getFile())
        return
      }
      yield* walkDirectory(handle, '', options?.signal)
    },
  }
}

function fileEntry(path: string, file: File): TreeEntry {
  return { path, kind: 'file', size: file.size, open: () => file.stream() }
}

async function* walkDirectory(directory: FileSystemDirectoryHandle, prefix: string, signal: AbortSignal | undefined): AsyncGenerator<TreeEntry> {
  const children: Array<FileSystemDirectoryHandle | FileSystemFileHandle> = []
  for await (const child of directory.values()) children.push(child)
  children.sort((a, b) => compareNames(a.name, b.name))
  for (const child of children) {
    signal?.throwIfAborted()
    const path = prefix === '' ? child.name : `${prefix}/${child.name}`
    if (child.kind === 'file') yield fileEntry(path, await child.getFile())
    else {
      yield { path, kind: 'directory', size: 0 }
      yield* walkDirectory(child, path, signal)
    }
  }
}

/** Holds the Web Lock `name` until the returned function is called (a no-op without locks). */
function holdLock(locks: LockManager | undefined, name: string): Promise<() => void> {
  if (!locks) return Promise.resolve(() => {})
  return new Promise((resolve, reject) => {
    let release!: () => void
    const held = new Promise<void>((done) => (release = done))
    locks.request(name, () => {
      resolve(release)
      return held
    }).catch(reject)
  })
}

/** Deletes the directories of page lives that are over: those whose lock nobody holds. */
async function deleteLeftovers(spaces: FileSystemDirectoryHandle, locks: LockManager | undefined, life: string): Promise<void> {
  const names: string[] = []
  for await (const name of spaces.keys()) if (name !== life) names.push(name)
  for (const name of names) {
    const over = locks ? await locks.request(lockName(name), { ifAvailable: true }, (lock) => lock !== null) : true
    // A sync access handle a dead page's worker still held is gone with the page; if removal fails anyway, the next start tries again.
    if (over) await spaces.removeEntry(name, { recursive: true }).catch(() => {})
  }
}

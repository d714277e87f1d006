/**
 * The WASM worker's access to `host` volumes on Node: listing with lstat/readdir, and files as
 * SyncFile over a file descriptor (readSync/writeSync at offsets), opened lazily on first use so
 * that a job over a directory of thousands of files opens only those it reads. Links are followed
 * only while they stay inside the volume's root; one that leads out is refused, naming it.
 */
import { closeSync, fstatSync, ftruncateSync, lstatSync, openSync, readdirSync, readSync, realpathSync, statSync, writeSync } from 'node:fs'
import { join, relative, sep, isAbsolute } from 'node:path'
import type { HostVolume } from '@shoal/interface'
import type { SyncFile, WorkerVolume, WorkerVolumeAccess, WorkerVolumeEntry } from '@shoal/wasm'

/** A path of a host volume that leads out of it (a link), or is not a file or directory. */
export class HostVolumeError extends Error {
  readonly code = 'HOST_VOLUME_OUTSIDE'
  constructor(message: string) {
    super(message)
    this.name = 'HostVolumeError'
  }
}

/** Whether `path` is `root` or below it. */
function isInside(root: string, path: string): boolean {
  const rel = relative(root, path)
  return rel === '' || (!rel.startsWith('..' + sep) && rel !== '..' && !isAbsolute(rel))
}

/** The real path of `path` in the volume rooted at `realRoot`; throws when a link leads out of it. */
function resolveInside(realRoot: string, path: string, shown: string): string {
  const real = realpathSync(path)
  if (!isInside(realRoot, real)) throw new HostVolumeError(`${shown} is a link that leads out of the input volume (to ${real}); links must stay inside the volume`)
  return real
}

/** Descriptors one worker holds open at once: a job reading thousands of files must not exhaust the process's. */
export const MAX_OPEN_FILES = 256

/**
 * The descriptors a worker's files hold: at most {@link MAX_OPEN_FILES}, the least recently used
 * closed beyond that (it reopens on its next read). A worker terminated mid-job (timeout,
 * cancellation) has its descriptors closed by Node with the thread.
 */
class Descriptors {
  /** Open files, least recently used first. */
  private readonly open = new Set<HostFile>()
  opened(file: HostFile): void {
    while (this.open.size >= MAX_OPEN_FILES) this.open.values().next().value!.release()
    this.open.add(file)
  }
  used(file: HostFile): void {
    this.open.delete(file)
    this.open.add(file)
  }
  closing(file: HostFile): void {
    this.open.delete(file)
  }
}

/** A file descriptor as a SyncFile, opened on first use. */
class HostFile implements SyncFile {
  private fd: number | undefined
  private readonly path: string
  private readonly flags: string
  private readonly descriptors: Descriptors
  private closed = false
  constructor(path: string, mode: 'read' | 'readwrite', descriptors: Descriptors) {
    this.path = path
    this.flags = mode === 'read' ? 'r' : 'r+'
    this.descriptors = descriptors
  }
  private descriptor(): number {
    if (this.closed) throw new Error(`${this.path} was closed`)
    if (this.fd === undefined) {
      const fd = openSync(this.path, this.flags)
      this.descriptors.opened(this)
      this.fd = fd
    } else {
      this.descriptors.used(this)
    }
    return this.fd
  }
  /** Closes the descriptor (it is opened again when next needed). */
  release(): void {
    if (this.fd === undefined) return
    const fd = this.fd
    this.fd = undefined
    this.descriptors.closing(this)
    closeSync(fd)
  }
  getSize(): number {
    return fstatSync(this.descriptor()).size
  }
  read(buffer: Uint8Array, options: { at: number }): number {
    return readSync(this.descriptor(), buffer, 0, buffer.byteLength, options.at)
  }
  write(buffer: Uint8Array, options: { at: number }): number {
    return writeSync(this.descriptor(), buffer, 0, buffer.byteLength, options.at)
  }
  truncate(size: number): void {
    ftruncateSync(this.descriptor(), size)
  }
  flush(): void {
    // Nothing to do: writeSync hands the bytes to the kernel, whose page cache serves them to the
    // engine reading the image in this process. An fsync would only add durability, which a
    // scratch image deleted with its execution does not need (and cost seconds per GiB).
  }
  close(): void {
    this.release()
    this.closed = true
  }
}

/** Lists and opens files of `host` volumes from inside a Node worker. */
export class HostVolumeAccess implements WorkerVolumeAccess {
  readonly kinds = ['host'] as const
  private readonly descriptors = new Descriptors()

  async list(volume: WorkerVolume): Promise<WorkerVolumeEntry[]> {
    const host = requireHost(volume)
    const realRoot = realpathSync(host.path)
    const rootStat = statSync(realRoot)
    if (rootStat.isFile()) return [{ path: '', kind: 'file', size: rootStat.size }]
    const entries: WorkerVolumeEntry[] = []
    // Directories by real path on the way down: a link back to an ancestor would loop forever.
    const walk = (dir: string, prefix: string, ancestors: Set<string>): void => {
      for (const name of readdirSync(dir).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) {
        const path = prefix === '' ? name : `${prefix}/${name}`
        let full = join(dir, name)
        const link = lstatSync(full)
        if (link.isSymbolicLink()) full = resolveInside(realRoot, full, join(host.path, path))
        const stat = link.isSymbolicLink() ? statSync(full) : link
        if (stat.isDirectory()) {
          if (ancestors.has(full)) throw new HostVolumeError(`${join(host.path, path)} is a link to a directory that holds it (a loop)`)
          entries.push({ path, kind: 'directory', size: 0 })
          walk(full, path, new Set([...ancestors, full]))
        } else if (stat.isFile()) {
          entries.push({ path, kind: 'file', size: stat.size })
        }
        // Sockets, FIFOs and devices are not data: left out, as a tar of the directory would.
      }
    }
    walk(realRoot, '', new Set([realRoot]))
    return entries
  }

  async open(volume: WorkerVolume, path: string, mode: 'read' | 'readwrite'): Promise<SyncFile> {
    const host = requireHost(volume)
    const realRoot = realpathSync(host.path)
    const target = path === '' ? realRoot : resolveInside(realRoot, join(realRoot, ...path.split('/')), join(host.path, path))
    return new HostFile(target, mode, this.descriptors)
  }
}

function requireHost(volume: WorkerVolume): HostVolume {
  if (volume.kind !== 'host') throw new Error(`Node workers open host volumes, not ${volume.kind}`)
  return volume
}

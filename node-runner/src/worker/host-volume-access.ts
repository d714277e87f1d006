/**
 * The WASM worker's access to `host` volumes on Node: listing with lstat/readdir, and files as
 * SyncFile over a file descriptor (readSync/writeSync at offsets), opened lazily on first use so
 * that a job over a directory of thousands of files opens only those it reads. Links are followed
 * only while they stay inside the volume's root; one that leads out is refused, naming it.
 */
import { closeSync, fstatSync, fsyncSync, ftruncateSync, lstatSync, openSync, readdirSync, readSync, realpathSync, statSync, writeSync } from 'node:fs'
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

/** A file descriptor as a SyncFile, opened on first use. */
class HostFile implements SyncFile {
  private fd: number | undefined
  private readonly path: string
  private readonly flags: string
  private closed = false
  constructor(path: string, mode: 'read' | 'readwrite') {
    this.path = path
    this.flags = mode === 'read' ? 'r' : 'r+'
  }
  private descriptor(): number {
    if (this.closed) throw new Error(`${this.path} was closed`)
    return (this.fd ??= openSync(this.path, this.flags))
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
    // Only data written needs to reach the disk before another process reads it; the page cache
    // already serves it to this process, so a never-opened or read-only file has nothing to do.
    if (this.fd !== undefined && this.flags !== 'r') fsyncSync(this.fd)
  }
  close(): void {
    this.closed = true
    if (this.fd !== undefined) closeSync(this.fd)
    this.fd = undefined
  }
}

/** Lists and opens files of `host` volumes from inside a Node worker. */
export class HostVolumeAccess implements WorkerVolumeAccess {
  readonly kinds = ['host'] as const

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
    return new HostFile(target, mode)
  }
}

function requireHost(volume: WorkerVolume): HostVolume {
  if (volume.kind !== 'host') throw new Error(`Node workers open host volumes, not ${volume.kind}`)
  return volume
}

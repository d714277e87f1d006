import { StorageError } from '@shoal/models'
import type { SyncFile, WorkerVolume, WorkerVolumeAccess, WorkerVolumeEntry } from '@shoal/wasm'

/** What a dedicated worker's OPFS file handle adds (TypeScript's DOM library leaves it out). */
interface SyncOpenableFileHandle extends FileSystemFileHandle {
  createSyncAccessHandle(options?: { mode?: 'read-only' | 'readwrite' | 'readwrite-unsafe' }): Promise<SyncFile>
}

const compareNames = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

/**
 * The tab's {@link WorkerVolumeAccess}: lists `opfs` volumes by walking their directory handles
 * and opens their files with `createSyncAccessHandle()`, whose handle is a {@link SyncFile} as
 * it is. Runs only in a dedicated Web Worker (the only place sync access handles exist).
 */
export class OpfsWorkerVolumeAccess implements WorkerVolumeAccess {
  readonly kinds = ['opfs'] as const

  async list(volume: WorkerVolume): Promise<WorkerVolumeEntry[]> {
    const handle = opfsHandle(volume)
    if (handle.kind === 'file') return [{ path: '', kind: 'file', size: (await handle.getFile()).size }]
    const entries: WorkerVolumeEntry[] = []
    await walk(handle, '', entries)
    return entries
  }

  async open(volume: WorkerVolume, path: string, mode: 'read' | 'readwrite'): Promise<SyncFile> {
    const handle = opfsHandle(volume)
    let file: FileSystemFileHandle
    if (handle.kind === 'file') {
      if (path !== '') throw new StorageError(`cannot open ${JSON.stringify(path)} inside a file volume`, { hint: 'open a file volume with the path ""' })
      file = handle
    } else {
      const parts = path.split('/')
      if (parts.some((part) => part === '' || part === '.' || part === '..')) throw new StorageError(`${JSON.stringify(path)} is not a path inside the volume`)
      let directory = handle
      for (const part of parts.slice(0, -1)) directory = await directory.getDirectoryHandle(part)
      file = await directory.getFileHandle(parts[parts.length - 1]!, { create: mode === 'readwrite' })
    }
    // Read-only handles may be open in several workers at once; a writer has the file alone.
    return (file as SyncOpenableFileHandle).createSyncAccessHandle({ mode: mode === 'read' ? 'read-only' : 'readwrite' })
  }
}

function opfsHandle(volume: WorkerVolume): FileSystemDirectoryHandle | FileSystemFileHandle {
  if (volume.kind !== 'opfs') throw new StorageError(`a tab's worker cannot open a ${volume.kind} volume`, { hint: 'only opfs volumes are mounted in a browser tab' })
  return volume.handle
}

/** Appends the entries below `directory`: a directory before what it holds, names ascending. */
async function walk(directory: FileSystemDirectoryHandle, prefix: string, into: WorkerVolumeEntry[]): Promise<void> {
  const children: Array<FileSystemDirectoryHandle | FileSystemFileHandle> = []
  for await (const child of directory.values()) children.push(child)
  children.sort((a, b) => compareNames(a.name, b.name))
  for (const child of children) {
    const path = prefix === '' ? child.name : `${prefix}/${child.name}`
    if (child.kind === 'file') into.push({ path, kind: 'file', size: (await child.getFile()).size })
    else {
      into.push({ path, kind: 'directory', size: 0 })
      await walk(child, path, into)
    }
  }
}

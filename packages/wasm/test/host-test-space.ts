/**
 * A `host` VolumeSpace over a temporary directory, for the engine's volume cases on Node. It
 * stands in for node-runner's own host space (being written in parallel on another branch) with
 * just what the engine uses: createFile, reserve/usage, openBlob (node:fs openAsBlob, read lazily)
 * and read() of host files and directories. write/createDirectory are not used by the engine.
 */
import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { createReadStream, openAsBlob } from 'node:fs'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import type { ReadableTree, SpaceUsage, TreeEntry, Volume, VolumeSpace } from '@shoal/interface'

/** Streams a host file (a Web stream over fs.createReadStream). */
function fileStream(path: string): ReadableStream<Uint8Array> {
  return Readable.toWeb(createReadStream(path)) as unknown as ReadableStream<Uint8Array>
}

/** The host test space. */
export class HostTestSpace implements VolumeSpace {
  readonly kind = 'host'
  readonly directory: string
  private readonly totalBytes: number
  private readonly reserved = new Map<string, number>()
  /** Files made by createFile, for tests to inspect. */
  readonly files: string[] = []
  constructor(directory: string, totalBytes: number) {
    this.directory = directory
    this.totalBytes = totalBytes
  }
  usage(): SpaceUsage {
    let used = 0
    for (const bytes of this.reserved.values()) used += bytes
    return { totalBytes: this.totalBytes, freeBytes: this.totalBytes - used }
  }
  async write(): Promise<Volume> {
    throw new Error('HostTestSpace.write is not used by the engine')
  }
  async createDirectory(): Promise<Volume> {
    throw new Error('HostTestSpace.createDirectory is not used by the engine')
  }
  async createFile(owner: string, name: string): Promise<Volume> {
    await mkdir(join(this.directory, owner), { recursive: true })
    const path = join(this.directory, owner, name)
    await writeFile(path, new Uint8Array(0))
    this.files.push(path)
    return { kind: 'host', path, root: 'file', size: 0 }
  }
  reserve(owner: string, bytes: number): boolean {
    if (bytes > this.usage().freeBytes) return false
    this.reserved.set(owner, (this.reserved.get(owner) ?? 0) + bytes)
    return true
  }
  async openBlob(volume: Volume): Promise<Blob> {
    if (volume.kind !== 'host') throw new Error(`not a host volume: ${volume.kind}`)
    return openAsBlob(volume.path)
  }
  read(volume: Volume): ReadableTree {
    if (volume.kind !== 'host') throw new Error(`not a host volume: ${volume.kind}`)
    const root = volume.path
    return {
      root: volume.root,
      async *entries(): AsyncIterable<TreeEntry> {
        const info = await stat(root)
        if (info.isFile()) {
          yield { path: '', kind: 'file', size: info.size, open: () => fileStream(root) }
          return
        }
        const walk = async function* (dir: string, prefix: string): AsyncGenerator<TreeEntry> {
          for (const name of (await readdir(dir)).sort()) {
            const full = join(dir, name)
            const path = prefix === '' ? name : `${prefix}/${name}`
            const child = await stat(full)
            if (child.isDirectory()) {
              yield { path, kind: 'directory', size: 0 }
              yield* walk(full, path)
            } else {
              yield { path, kind: 'file', size: child.size, open: () => fileStream(full) }
            }
          }
        }
        yield* walk(root, '')
      },
    }
  }
  async release(owner: string): Promise<void> {
    this.reserved.delete(owner)
    await rm(join(this.directory, owner), { recursive: true, force: true })
  }
}

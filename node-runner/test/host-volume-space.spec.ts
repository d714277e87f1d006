// The node-runner's disk space for job data, against real temp directories: streamed writes
// within the disk budget, reading volumes back as trees, blobs, release and crash leftovers.
import { mkdir, mkdtemp, readdir, readFile, realpath, rm, stat, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { memoryTree, readTreeIntoMemory, singleFileTree, type DirectoryNode, type FileTreeNode, type ReadableTree, type TreeEntry } from '@shoal/interface'
import { HostVolumeSpace } from '../src/storage/host-volume-space.ts'

const encode = (value: string): Uint8Array => new TextEncoder().encode(value)
const file = (value: string | Uint8Array): FileTreeNode => ({ kind: 'file', data: typeof value === 'string' ? encode(value) : value })
const dir = (entries: Record<string, FileTreeNode>): DirectoryNode => ({ kind: 'dir', entries: new Map(Object.entries(entries)) })
const inMemory = (tree: ReadableTree): Promise<FileTreeNode> => readTreeIntoMemory(tree, { maxBytes: 64 * 1024 * 1024, tooLarge: () => new Error('too large') })

/** A stream of `chunks` chunks of `chunkBytes` bytes each, counting what was pulled. */
function counted(chunks: number, chunkBytes: number, pulled: { chunks: number }): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (pulled.chunks === chunks) return controller.close()
      pulled.chunks++
      controller.enqueue(new Uint8Array(chunkBytes).fill(pulled.chunks % 251))
    },
  })
}

let root: string
let spaceDir: string

beforeEach(async () => {
  root = await realpath(await mkdtemp(join(tmpdir(), 'shoal-space-')))
  spaceDir = join(root, 'volumes')
})

afterEach(async () => {
  await rm(root, { recursive: true, force: true })
})

describe('HostVolumeSpace', () => {
  it('writes a multi-file tree to disk and reads it back in the contract order with exact sizes', async () => {
    const space = await HostVolumeSpace.open({ directory: spaceDir, totalBytes: 1024 * 1024 })
    const big = new Uint8Array(300_000).map((_, i) => i % 253)
    const tree = dir({
      'b.txt': file('bee'),
      'a.bin': file(big),
      sub: dir({ 'z.txt': file('zed'), deeper: dir({ 'empty.txt': file('') }) }),
      'empty-dir': dir({}),
    })
    const progress: number[] = []
    const volume = await space.write('exec-1', memoryTree(tree), { name: 'input-0', label: 'InputSources[0] (test)', onProgress: (event) => progress.push(event.detail?.done ?? -1) })
    expect(volume).toMatchObject({ kind: 'host', root: 'directory', size: 300_006 })
    if (volume.kind !== 'host') throw new Error('not a host volume')
    // On disk, under the owner's directory in the space.
    expect(volume.path.startsWith(join(spaceDir, 'exec-1') + '/')).toBe(true)
    expect(await readFile(join(volume.path, 'sub', 'z.txt'), 'utf8')).toBe('zed')
    expect(new Uint8Array(await readFile(join(volume.path, 'a.bin')))).toEqual(big)
    expect(progress.at(-1)).toBe(300_006)
    expect(space.usage()).toEqual({ totalBytes: 1024 * 1024, freeBytes: 1024 * 1024 - 300_006 })

    const entries: Omit<TreeEntry, 'open'>[] = []
    for await (const { path, kind, size } of space.read(volume).entries()) entries.push({ path, kind, size })
    expect(entries).toEqual([
      { path: 'a.bin', kind: 'file', size: 300_000 },
      { path: 'b.txt', kind: 'file', size: 3 },
      { path: 'empty-dir', kind: 'directory', size: 0 },
      { path: 'sub', kind: 'directory', size: 0 },
      { path: 'sub/deeper', kind: 'directory', size: 0 },
      { path: 'sub/deeper/empty.txt', kind: 'file', size: 0 },
      { path: 'sub/z.txt', kind: 'file', size: 3 },
    ])
    expect(await inMemory(space.read(volume))).toEqual(tree)
  })

  it('streams a file of unknown size to disk and stops it at the budget, deleting the partial volume', async () => {
    const space = await HostVolumeSpace.open({ directory: spaceDir, totalBytes: 1024 * 1024 })
    await space.write('exec-1', memoryTree(file(new Uint8Array(200 * 1024))), { name: 'earlier' })
    const pulled = { chunks: 0 }
    // 64 chunks of 64 KiB = 4 MiB, size unknown up front (a download without Content-Length).
    const tree: ReadableTree = { root: 'directory', entries: async function* () { yield { path: 'download', kind: 'file', size: -1, open: () => counted(64, 64 * 1024, pulled) } } }
    const error = await space.write('exec-1', tree, { name: 'input-0', label: 'InputSources[0] (urlDownload http://127.0.0.1/big)' }).catch((e: unknown) => e)
    expect(error).toMatchObject({
      code: 'StorageError',
      message: `InputSources[0] (urlDownload http://127.0.0.1/big) needs more bytes but only ${1024 * 1024 - 200 * 1024} of the node's ${1024 * 1024} byte disk budget are free`,
    })
    // It stopped reading soon after the budget, instead of taking all 4 MiB.
    expect(pulled.chunks).toBeLessThan(20)
    // The partial volume is gone and its bytes are given back; the earlier volume stays.
    expect(await readdir(join(spaceDir, 'exec-1'))).toEqual(['earlier'])
    expect(space.usage().freeBytes).toBe(1024 * 1024 - 200 * 1024)
  })

  it('refuses a tree of known size past the budget before writing anything', async () => {
    const space = await HostVolumeSpace.open({ directory: spaceDir, totalBytes: 1000 })
    const pulled = { chunks: 0 }
    const error = await space.write('exec-1', singleFileTree(4096, () => counted(1, 4096, pulled)), { name: 'input-0', label: 'InputSources[0] (local /data/x)' }).catch((e: unknown) => e)
    expect((error as Error).message).toBe("InputSources[0] (local /data/x) needs 4096 bytes but only 1000 of the node's 1000 byte disk budget are free")
    expect(pulled.chunks).toBe(0)
  })

  it('releases what an owner holds: its files are deleted and its budget given back', async () => {
    const space = await HostVolumeSpace.open({ directory: spaceDir, totalBytes: 10_000 })
    const mine = await space.write('exec-1', memoryTree(dir({ 'a.txt': file('a'.repeat(4000)) })), { name: 'input-0' })
    const output = await space.createDirectory('exec-1', 'outputs')
    const scratch = await space.createFile('exec-1', 'scratch')
    expect(space.reserve('exec-1', 5000)).toBe(true)
    expect(space.reserve('exec-1', 2000)).toBe(false)
    const theirs = await space.write('exec-2', memoryTree(file('b')), { name: 'input-0' })
    expect(space.usage().freeBytes).toBe(10_000 - 4000 - 5000 - 1)
    for (const volume of [mine, output, scratch]) expect(volume.kind === 'host' && (await stat(volume.path)) !== undefined).toBe(true)

    await space.release('exec-1')
    expect(await readdir(spaceDir)).toEqual(['exec-2'])
    expect(space.usage().freeBytes).toBe(10_000 - 1)
    expect(await inMemory(space.read(theirs))).toEqual(file('b'))
  })

  it('deletes what a crashed previous run left when it opens', async () => {
    await mkdir(join(spaceDir, 'exec-old', 'input-0'), { recursive: true })
    await writeFile(join(spaceDir, 'exec-old', 'input-0', 'data.bin'), new Uint8Array(1000))
    const space = await HostVolumeSpace.open({ directory: spaceDir, totalBytes: 5000 })
    expect(await readdir(spaceDir)).toEqual([])
    expect(space.usage()).toEqual({ totalBytes: 5000, freeBytes: 5000 })
  })

  it('opens a file volume as a blob whose slices read only their range', async () => {
    const space = await HostVolumeSpace.open({ directory: spaceDir, totalBytes: 1024 * 1024 })
    const data = new Uint8Array(100_000).map((_, i) => (i * 7) % 256)
    const volume = await space.write('exec-1', memoryTree(file(data)), { name: 'input-0' })
    expect(volume).toMatchObject({ kind: 'host', root: 'file', size: 100_000 })
    const blob = await space.openBlob(volume)
    expect(blob.size).toBe(100_000)
    expect(new Uint8Array(await blob.slice(50_000, 50_010).arrayBuffer())).toEqual(data.slice(50_000, 50_010))
    await expect(space.openBlob(await space.createDirectory('exec-1', 'out'))).rejects.toMatchObject({ code: 'StorageError' })
  })

  it('reads a file volume at an offset into a buffer of the caller, short only at the end of the file', async () => {
    const space = await HostVolumeSpace.open({ directory: spaceDir, totalBytes: 1024 * 1024 })
    const data = new Uint8Array(100_000).map((_, i) => (i * 13) % 256)
    const volume = await space.write('exec-1', memoryTree(file(data)), { name: 'image' })
    const target = new Uint8Array(4096)
    expect(await space.readFileInto(volume, target, 60_000)).toBe(4096)
    expect(target).toEqual(data.slice(60_000, 64_096))
    const tail = new Uint8Array(4096)
    expect(await space.readFileInto(volume, tail, 98_000)).toBe(2000)
    expect(tail.subarray(0, 2000)).toEqual(data.slice(98_000))
    expect(tail.subarray(2000).every((byte) => byte === 0)).toBe(true)
    await expect(space.readFileInto(await space.createDirectory('exec-1', 'out'), target, 0)).rejects.toMatchObject({ code: 'StorageError' })
  })

  it('never follows a link out of a volume when reading it', async () => {
    const space = await HostVolumeSpace.open({ directory: spaceDir, totalBytes: 1024 })
    await writeFile(join(root, 'secret.txt'), 'secret')
    const volume = await space.createDirectory('exec-1', 'outputs')
    if (volume.kind !== 'host') throw new Error('not a host volume')
    await writeFile(join(volume.path, 'inside.txt'), 'inside')
    await symlink(join(volume.path, 'inside.txt'), join(volume.path, 'alias.txt'))
    expect(await inMemory(space.read(volume))).toEqual(dir({ 'alias.txt': file('inside'), 'inside.txt': file('inside') }))
    await symlink(join(root, 'secret.txt'), join(volume.path, 'leak.txt'))
    await expect(inMemory(space.read(volume))).rejects.toMatchObject({ code: 'StorageError', message: expect.stringContaining('links are only followed inside the volume') })
  })

  it('refuses tree entries that would leave the volume', async () => {
    const space = await HostVolumeSpace.open({ directory: spaceDir, totalBytes: 1024 })
    const tree: ReadableTree = { root: 'directory', entries: async function* () { yield { path: '../escape.txt', kind: 'file', size: 1, open: () => new Blob(['x']).stream() } } }
    await expect(space.write('exec-1', tree, { name: 'input-0' })).rejects.toMatchObject({ code: 'StorageError' })
    expect(await readdir(root)).toEqual(['volumes'])
  })
})

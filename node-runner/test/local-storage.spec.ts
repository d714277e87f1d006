// The `local` input source against real temp directories: mounting in place, and writing ReadWrite inputs back.
import { mkdir, mkdtemp, readdir, readFile, realpath, rm, symlink, truncate, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { memoryTree, readTreeIntoMemory, type DirectoryNode, type FileTreeNode, type Volume } from '@shoal/interface'
import { MemoryVolumeSpace } from '@shoal/compute'
import type { InputSource } from '@shoal/models'
import { hostTree } from '../src/storage/host-tree.ts'
import { LocalStorage, parseAllowedPaths } from '../src/storage/local-storage.ts'

// A space of 1 KiB: an input copied into it instead of mounted in place would not fit.
const context = { executionId: 'e-1', jobId: 'j-1', space: new MemoryVolumeSpace({ totalBytes: 1024 }) }
/** The tree of a host volume, read into memory. */
const inMemory = async (volume: Volume): Promise<FileTreeNode> => {
  if (volume.kind !== 'host') throw new Error(`expected a host volume, got ${volume.kind}`)
  return readTreeIntoMemory(hostTree(volume.path, volume.root), { maxBytes: 1024 * 1024, tooLarge: () => new Error('too large') })
}
const encode = (value: string): Uint8Array => new TextEncoder().encode(value)
const file = (value: string): FileTreeNode => ({ kind: 'file', data: encode(value) })
const dir = (entries: Record<string, FileTreeNode>): DirectoryNode => ({ kind: 'dir', entries: new Map(Object.entries(entries)) })
const local = (path: string, readWrite = true): InputSource => ({ Source: { Type: 'local', Params: { SourcePath: path, ReadWrite: readWrite } }, Alias: '', Target: '/data' })

let root: string
let rw: string
let ro: string
let outside: string

beforeEach(async () => {
  root = await realpath(await mkdtemp(join(tmpdir(), 'shoal-local-')))
  rw = join(root, 'rw')
  ro = join(root, 'ro')
  outside = join(root, 'outside')
  for (const path of [rw, ro, outside]) await mkdir(path)
})

afterEach(async () => {
  await rm(root, { recursive: true, force: true })
})

const storage = () => new LocalStorage({ allowedPaths: parseAllowedPaths([`${rw}:rw`, `${ro}:ro`]) })

describe('LocalStorage.commit', () => {
  it('writes changed and new files, creates directories and deletes what the job removed', async () => {
    await writeFile(join(rw, 'keep.txt'), 'keep')
    await writeFile(join(rw, 'change.txt'), 'before')
    await writeFile(join(rw, 'remove.txt'), 'gone soon')
    await mkdir(join(rw, 'old-dir'))
    await writeFile(join(rw, 'old-dir', 'inner.txt'), 'inner')
    const provider = storage()
    const prepared = (await inMemory(await provider.prepare(local(rw), context))) as DirectoryNode
    expect([...prepared.entries.keys()]).toEqual(['change.txt', 'keep.txt', 'old-dir', 'remove.txt'])

    const final = dir({
      'keep.txt': file('keep'),
      'change.txt': file('after'),
      'new-dir': dir({ deep: dir({ 'made.txt': file('made by the job') }) }),
    })
    await provider.commit(local(rw), memoryTree(final), context)
    expect((await readdir(rw)).sort()).toEqual(['change.txt', 'keep.txt', 'new-dir'])
    expect(await readFile(join(rw, 'change.txt'), 'utf8')).toBe('after')
    expect(await readFile(join(rw, 'keep.txt'), 'utf8')).toBe('keep')
    expect(await readFile(join(rw, 'new-dir', 'deep', 'made.txt'), 'utf8')).toBe('made by the job')
    // Reading it again gives what the job left.
    expect(await inMemory(await provider.prepare(local(rw), context))).toEqual(final)
  })

  it('writes back a single-file input', async () => {
    await writeFile(join(rw, 'one.txt'), 'before')
    await storage().commit(local(join(rw, 'one.txt')), memoryTree(file('after')), context)
    expect(await readFile(join(rw, 'one.txt'), 'utf8')).toBe('after')
  })

  it('refuses paths that are not allow-listed read-write, writing nothing', async () => {
    await writeFile(join(ro, 'data.txt'), 'read-only')
    await expect(storage().commit(local(ro), memoryTree(dir({ 'data.txt': file('changed') })), context)).rejects.toMatchObject({
      code: 'StorageError',
      message: `local path ${ro} is not allow-listed read-write on this compute node; the job's changes were not written back`,
    })
    await expect(storage().commit(local(outside), memoryTree(dir({ 'x.txt': file('x') })), context)).rejects.toMatchObject({ code: 'StorageError' })
    expect(await readFile(join(ro, 'data.txt'), 'utf8')).toBe('read-only')
    expect(await readdir(outside)).toEqual([])
    // A read-write request on a read-only entry is refused up front.
    await expect(storage().prepare(local(ro), context)).rejects.toMatchObject({ message: expect.stringContaining('allow-listed read-only') })
  })

  it('never writes through a link that leads out of the allow-listed path', async () => {
    await writeFile(join(outside, 'secret.txt'), 'secret')
    const provider = storage()
    // The link appears on the host after the input was read (prepare refuses such links).
    await symlink(outside, join(rw, 'escape'))
    await symlink(join(outside, 'secret.txt'), join(rw, 'secret-link.txt'))
    await expect(provider.commit(local(rw), memoryTree(dir({ escape: dir({ 'planted.txt': file('x') }) })), context)).rejects.toMatchObject({
      code: 'StorageError',
      message: `local path ${join(rw, 'escape')} is a symbolic link on the host; the job's changes there were not written back`,
    })
    await expect(provider.commit(local(rw), memoryTree(dir({ 'secret-link.txt': file('overwritten'), 'new.txt': file('new') })), context)).rejects.toMatchObject({ code: 'StorageError' })
    expect(await readdir(outside)).toEqual(['secret.txt'])
    // A refused write-back changes nothing.
    expect((await readdir(rw)).sort()).toEqual(['escape', 'secret-link.txt'])
    expect(await readFile(join(outside, 'secret.txt'), 'utf8')).toBe('secret')

    // Deleting a link removes the link, not what it points to.
    await provider.commit(local(rw), memoryTree(dir({})), context)
    expect(await readdir(rw)).toEqual([])
    expect(await readFile(join(outside, 'secret.txt'), 'utf8')).toBe('secret')
  })

  it('refuses an input path that is now a link out of the allow-listed path', async () => {
    const moved = join(rw, 'sub')
    await symlink(outside, moved)
    await expect(storage().commit(local(moved), memoryTree(dir({ 'x.txt': file('x') })), context)).rejects.toMatchObject({ code: 'StorageError' })
    expect(await readdir(outside)).toEqual([])
  })

  it('keeps a link inside the allow-listed path that the job left unchanged', async () => {
    await writeFile(join(rw, 'target.txt'), 'shared')
    await symlink(join(rw, 'target.txt'), join(rw, 'alias.txt'))
    const provider = storage()
    const prepared = await inMemory(await provider.prepare(local(rw), context))
    await provider.commit(local(rw), memoryTree(prepared), context)
    expect((await readdir(rw)).sort()).toEqual(['alias.txt', 'target.txt'])
    expect(await readFile(join(rw, 'alias.txt'), 'utf8')).toBe('shared')
  })
})

describe('LocalStorage.prepare', () => {
  it('fails with a clear error on a link loop instead of reading forever', async () => {
    await mkdir(join(ro, 'data'))
    await writeFile(join(ro, 'data', 'a.txt'), 'a')
    await symlink(join(ro, 'data'), join(ro, 'data', 'again'))
    const error = await storage().prepare(local(ro, false), context).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'StorageError' })
    expect((error as Error).message).toBe(`local input ${ro}/data/again is a link to ${ro}/data, a directory that contains it: reading it would never end`)
  })

  it('reads a link to a sibling directory (no loop) once per link', async () => {
    await mkdir(join(ro, 'shared'))
    await writeFile(join(ro, 'shared', 's.txt'), 's')
    await symlink(join(ro, 'shared'), join(ro, 'alias'))
    const tree = await inMemory(await storage().prepare(local(ro, false), context))
    expect(tree.kind === 'dir' && [...tree.entries.keys()]).toEqual(['alias', 'shared'])
  })
})

describe('LocalStorage mounts in place', () => {
  it('gives a 64 MiB file as a host volume of its path: nothing is copied, and there is no 1 GiB cap to meet', async () => {
    const big = join(ro, 'big.bin')
    await writeFile(big, '')
    await truncate(big, 64 * 1024 * 1024)
    const before = context.space.usage()
    const volume = await storage().prepare(local(big, false), context)
    // The kind first: a diff of 64 MiB read into memory would take the reporter forever.
    expect(volume.kind).toBe('host')
    expect(volume).toEqual({ kind: 'host', path: big, root: 'file', size: 64 * 1024 * 1024 })
    // Nothing went into the node's space.
    expect(context.space.usage()).toEqual(before)
  })

  it('gives a directory as a host volume with the total size of its files', async () => {
    await mkdir(join(ro, 'data', 'sub'), { recursive: true })
    await writeFile(join(ro, 'data', 'a.txt'), 'aaaa')
    await writeFile(join(ro, 'data', 'sub', 'b.txt'), 'bb')
    const volume = await storage().prepare(local(join(ro, 'data'), false), context)
    expect(volume).toEqual({ kind: 'host', path: join(ro, 'data'), root: 'directory', size: 6 })
    expect(await storage().getVolumeSize(local(join(ro, 'data'), false))).toBe(6)
  })

  it('refuses a link out of the allow-listed paths, and one out of the mounted directory', async () => {
    await writeFile(join(outside, 'secret.txt'), 'secret')
    await mkdir(join(ro, 'data'))
    await symlink(join(outside, 'secret.txt'), join(ro, 'data', 'leak.txt'))
    await expect(storage().prepare(local(join(ro, 'data'), false), context)).rejects.toMatchObject({
      code: 'StorageError',
      message: `local input ${ro}/data/leak.txt is a link to ${outside}/secret.txt, outside the allow-listed paths`,
    })
    await rm(join(ro, 'data', 'leak.txt'))
    // rw is allow-listed, but the job mounted only ro/data: a bind mount would not reach it either.
    await writeFile(join(rw, 'other.txt'), 'other')
    await symlink(join(rw, 'other.txt'), join(ro, 'data', 'other.txt'))
    await expect(storage().prepare(local(join(ro, 'data'), false), context)).rejects.toMatchObject({
      code: 'StorageError',
      message: expect.stringContaining(`is a link to ${rw}/other.txt, outside the mounted path ${ro}/data`),
    })
  })

  it('does not size an input that is not allow-listed (prepare says why)', async () => {
    await writeFile(join(outside, 'x.txt'), 'x')
    expect(await storage().getVolumeSize(local(outside, false))).toBeUndefined()
  })
})

describe('LocalStorage.commit streams', () => {
  it('writes a 3 MiB file back from a stream without a memory tree, and leaves an unchanged file as it is', async () => {
    await writeFile(join(rw, 'same.txt'), 'same')
    const chunk = new Uint8Array(64 * 1024).fill(7)
    const streamed = { root: 'directory' as const, async *entries() {
      yield { path: 'big.bin', kind: 'file' as const, size: 48 * chunk.byteLength, open: () => new ReadableStream<Uint8Array>({ start(c) { for (let i = 0; i < 48; i++) c.enqueue(chunk); c.close() } }) }
      yield { path: 'same.txt', kind: 'file' as const, size: 4, open: () => new Blob(['same']).stream() }
    } }
    await storage().commit(local(rw), streamed, context)
    const written = await readFile(join(rw, 'big.bin'))
    expect(written.byteLength).toBe(3 * 1024 * 1024)
    expect(written.every((byte) => byte === 7)).toBe(true)
    expect(await readFile(join(rw, 'same.txt'), 'utf8')).toBe('same')
  })
})

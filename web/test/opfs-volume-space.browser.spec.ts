/** The tab's OPFS volume space and its worker access, in a real Chromium page and Web Worker. */
import { afterEach, describe, expect, it } from 'vitest'
import { StorageError } from '@shoal/models'
import { memoryTree, readTreeIntoMemory, type OpfsVolume, type ReadableTree, type TreeEntry, type Volume } from '@shoal/interface'
import { OPFS_SPACE_DIRECTORY, OpfsVolumeSpace, opfsBudgetBytes } from '../src/opfs-volume-space.ts'
import { checkPattern, patternBytes, patternStream } from './data-pattern.ts'
import type { AccessRequest } from './opfs-access-worker.ts'

const MiB = 1024 * 1024
const text = (value: string) => new TextEncoder().encode(value)

/** A directory tree: a nested text file, an empty directory, and a 3 MiB pattern file of unknown size. */
function sampleTree(): ReadableTree {
  const entries: TreeEntry[] = [
    { path: 'big.bin', kind: 'file', size: -1, open: () => patternStream(3 * MiB, 100_000) },
    { path: 'docs', kind: 'directory', size: 0 },
    { path: 'docs/a.txt', kind: 'file', size: 5, open: () => new Blob([text('hello')]).stream() },
    { path: 'empty', kind: 'directory', size: 0 },
  ]
  return {
    root: 'directory',
    async *entries() {
      yield* entries
    },
  }
}

async function collect(tree: ReadableTree): Promise<Array<{ path: string; kind: string; size: number }>> {
  const seen = []
  for await (const entry of tree.entries()) seen.push({ path: entry.path, kind: entry.kind, size: entry.size })
  return seen
}

/** The names under this page life's directory, or under one owner's. */
async function opfsNames(...path: string[]): Promise<string[]> {
  let directory = await (await navigator.storage.getDirectory()).getDirectoryHandle(OPFS_SPACE_DIRECTORY)
  for (const name of path) directory = await directory.getDirectoryHandle(name)
  const names: string[] = []
  for await (const name of directory.keys()) names.push(name)
  return names.sort()
}

const open: OpfsVolumeSpace[] = []
async function openSpace(options: Parameters<typeof OpfsVolumeSpace.open>[0] = {}): Promise<OpfsVolumeSpace> {
  const space = await OpfsVolumeSpace.open({ totalBytes: 64 * MiB, ...options })
  open.push(space)
  return space
}
afterEach(async () => {
  for (const space of open.splice(0)) await space.close()
})

describe('OpfsVolumeSpace', () => {
  it('writes a streamed tree into OPFS files and reads it back in order, with exact sizes', async () => {
    const space = await openSpace({ life: 'round-trip' })
    const volume = await space.write('exec-1', sampleTree(), { name: 'input-0' })
    expect(volume).toMatchObject({ kind: 'opfs', size: 3 * MiB + 5 })
    expect((volume as OpfsVolume).handle.kind).toBe('directory')
    expect(await opfsNames('round-trip', 'exec-1', 'input-0')).toEqual(['big.bin', 'docs', 'empty'])
    expect(space.usage()).toEqual({ totalBytes: 64 * MiB, freeBytes: 61 * MiB - 5 })

    const tree = space.read(volume)
    expect(await collect(tree)).toEqual([
      { path: 'big.bin', kind: 'file', size: 3 * MiB },
      { path: 'docs', kind: 'directory', size: 0 },
      { path: 'docs/a.txt', kind: 'file', size: 5 },
      { path: 'empty', kind: 'directory', size: 0 },
    ])
    const files = new Map<string, TreeEntry>()
    for await (const entry of tree.entries()) files.set(entry.path, entry)
    expect(await checkPattern(files.get('big.bin')!.open!())).toEqual({ bytes: 3 * MiB, firstMismatch: undefined })
    expect(await new Response(files.get('docs/a.txt')!.open!()).text()).toBe('hello')
  })

  it('writes a file tree as one OPFS file, readable as a tree and as a blob', async () => {
    const space = await openSpace({ life: 'file-root' })
    const tree: ReadableTree = { root: 'file', size: 11, async *entries() { yield { path: '', kind: 'file', size: 11, open: () => new Blob([text('hello world')]).stream() } } }
    const volume = await space.write('exec-1', tree, { name: 'input-0' })
    expect((volume as OpfsVolume).handle.kind).toBe('file')
    expect(await collect(space.read(volume))).toEqual([{ path: '', kind: 'file', size: 11 }])
    expect(await (await space.openBlob(volume)).text()).toBe('hello world')
    // Memory volumes (inline inputs) are read as they are.
    const memory: Volume = { kind: 'memory', node: { kind: 'file', data: text('inline') } }
    expect(await readTreeIntoMemory(space.read(memory), { maxBytes: 100, tooLarge: () => new Error('too large') })).toEqual({ kind: 'file', data: text('inline') })
    expect(() => space.read({ kind: 'unixfs', cid: 'bafy', root: 'file' })).toThrow(/cannot read a unixfs volume/)
  })

  it('refuses a stream of unknown size once it passes the budget, and deletes what it wrote', async () => {
    const space = await openSpace({ life: 'overflow', totalBytes: 2 * MiB })
    const tree: ReadableTree = { root: 'directory', async *entries() { yield { path: 'data.bin', kind: 'file', size: -1, open: () => patternStream(5 * MiB) } } }
    const error = await space.write('exec-1', tree, { name: 'input-0', label: 'InputSources[0] (urlDownload)' }).catch((err: unknown) => err)
    expect(error).toBeInstanceOf(StorageError)
    expect((error as StorageError).message).toMatch(/^InputSources\[0\] \(urlDownload\) needs \d+ bytes but only \d+ of the node's 2097152 byte disk budget are free$/)
    expect(await opfsNames('overflow', 'exec-1')).toEqual([])
    expect(space.usage().freeBytes).toBe(2 * MiB)
    // A tree that says its size up front is refused before a byte is written.
    const sized = memoryTree({ kind: 'file', data: new Uint8Array(3 * MiB) })
    await expect(space.write('exec-1', sized, { name: 'input-1' })).rejects.toThrow(/needs 3145728 bytes but only 2097152/)
    expect(await opfsNames('overflow', 'exec-1')).toEqual([])
  })

  it('counts writes and reservations of all owners against one budget, and release gives them back', async () => {
    const space = await openSpace({ life: 'release', totalBytes: 4 * MiB })
    await space.write('exec-1', memoryTree({ kind: 'file', data: new Uint8Array(2 * MiB) }), { name: 'input-0' })
    const scratch = await space.createFile('exec-2', 'scratch')
    const outputs = await space.createDirectory('exec-2', 'outputs')
    expect(scratch).toMatchObject({ kind: 'opfs', handle: { kind: 'file' } })
    expect(outputs).toMatchObject({ kind: 'opfs', handle: { kind: 'directory' } })
    expect(space.reserve('exec-2', 3 * MiB)).toBe(false)
    expect(space.reserve('exec-2', 1 * MiB)).toBe(true)
    expect(space.usage().freeBytes).toBe(1 * MiB)
    expect(await opfsNames('release')).toEqual(['exec-1', 'exec-2'])
    await space.release('exec-1')
    expect(await opfsNames('release')).toEqual(['exec-2'])
    expect(space.usage().freeBytes).toBe(3 * MiB)
    await space.release('exec-2')
    expect(await opfsNames('release')).toEqual([])
    expect(space.usage().freeBytes).toBe(4 * MiB)
  })

  it('deletes what an earlier page life left in OPFS, but not the directory of a tab still open', async () => {
    const root = await navigator.storage.getDirectory()
    const spaces = await root.getDirectoryHandle(OPFS_SPACE_DIRECTORY, { create: true })
    const leftover = await (await spaces.getDirectoryHandle('closed-tab', { create: true })).getDirectoryHandle('exec-9', { create: true })
    const writable = await (await leftover.getFileHandle('data.bin', { create: true })).createWritable()
    await writable.write(new Uint8Array(MiB))
    await writable.close()
    const otherTab = await openSpace({ life: 'open-tab' })
    await otherTab.write('exec-1', memoryTree({ kind: 'file', data: text('mine') }), { name: 'input-0' })

    await openSpace({ life: 'new-tab' })
    const names = await opfsNames()
    expect(names).not.toContain('closed-tab')
    expect(names).toEqual(expect.arrayContaining(['open-tab', 'new-tab']))
    expect(await opfsNames('open-tab', 'exec-1')).toEqual(['input-0'])
  })

  it('takes a share of the free quota as its budget unless the page sets one', () => {
    expect(opfsBudgetBytes({ quota: 10_000, usage: 2_000 })).toBe(4_000)
    expect(opfsBudgetBytes({ quota: 10_000, usage: 2_000 }, 1_234)).toBe(1_234)
    expect(opfsBudgetBytes({})).toBe(0)
  })
})

describe('OpfsWorkerVolumeAccess', () => {
  function inWorker(request: AccessRequest): Promise<{ entries?: unknown; data?: Uint8Array; error?: string }> {
    const worker = new Worker(new URL('./opfs-access-worker.ts?worker_file&type=module', import.meta.url), { type: 'module' })
    return new Promise((resolve, reject) => {
      worker.onmessage = (event) => {
        worker.terminate()
        resolve(event.data)
      }
      worker.onerror = (event) => {
        worker.terminate()
        reject(new Error(event.message))
      }
      worker.postMessage(request)
    }).finally(() => worker.terminate()) as never
  }

  it('lists an OPFS volume and reads its files through sync access handles in a Web Worker', async () => {
    const space = await openSpace({ life: 'worker-read' })
    const volume = (await space.write('exec-1', sampleTree(), { name: 'input-0' })) as OpfsVolume
    const answer = await inWorker({ volume, path: 'big.bin' })
    expect(answer.error).toBeUndefined()
    expect(answer.entries).toEqual([
      { path: 'big.bin', kind: 'file', size: 3 * MiB },
      { path: 'docs', kind: 'directory', size: 0 },
      { path: 'docs/a.txt', kind: 'file', size: 5 },
      { path: 'empty', kind: 'directory', size: 0 },
    ])
    expect(answer.data!.byteLength).toBe(3 * MiB)
    expect(answer.data).toEqual(patternBytes(0, 3 * MiB))
  })

  it('writes a file of a created volume that the space then reads back', async () => {
    const space = await openSpace({ life: 'worker-write' })
    const outputs = (await space.createDirectory('exec-1', 'outputs')) as OpfsVolume
    const answer = await inWorker({ volume: outputs, path: 'result.txt', write: text('written in a worker') })
    expect(answer.error).toBeUndefined()
    const files = []
    for await (const entry of space.read(outputs).entries()) files.push({ path: entry.path, text: await new Response(entry.open!()).text() })
    expect(files).toEqual([{ path: 'result.txt', text: 'written in a worker' }])
  })

  it('releases the files of a job whose worker was stopped while it held them open', async () => {
    const space = await openSpace({ life: 'worker-stopped' })
    const volume = (await space.write('exec-1', sampleTree(), { name: 'input-0' })) as OpfsVolume
    const worker = new Worker(new URL('./opfs-access-worker.ts?worker_file&type=module', import.meta.url), { type: 'module' })
    try {
      const opened = new Promise((resolve) => (worker.onmessage = (event) => resolve(event.data)))
      worker.postMessage({ volume, path: 'big.bin', hold: true } satisfies AccessRequest)
      expect(await opened).toEqual({ opened: true })
      // While the handle is open the file cannot be removed: what a job stopped by its timeout leaves.
      const ownerDirectory = await (await (await (await navigator.storage.getDirectory()).getDirectoryHandle(OPFS_SPACE_DIRECTORY)).getDirectoryHandle('worker-stopped')).getDirectoryHandle('exec-1')
      await expect(ownerDirectory.removeEntry('input-0', { recursive: true })).rejects.toMatchObject({ name: 'NoModificationAllowedError' })
      const released = space.release('exec-1')
      worker.terminate()
      await released
      expect(await opfsNames('worker-stopped')).toEqual([])
    } finally {
      worker.terminate()
    }
  })

  it('refuses paths that leave the volume', async () => {
    const space = await openSpace({ life: 'worker-escape' })
    const volume = (await space.write('exec-1', sampleTree(), { name: 'input-0' })) as OpfsVolume
    const answer = await inWorker({ volume, path: '../input-0/big.bin' })
    expect(answer.error).toMatch(/StorageError: "..\/input-0\/big.bin" is not a path inside the volume/)
  })
})

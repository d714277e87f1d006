/**
 * Compute over data in a tab: a urlDownload input streams from a loopback HTTP server into the
 * page's OPFS, a WASM job in the tab's worker script copies it to an output, and the output is
 * read back and checked byte for byte, while the page's JS heap stays far below the data size.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { cdp } from 'vitest/browser'
import { UrlDownloadStorage, UrlHostPolicy } from '@shoal/compute'
import type { InputSource } from '@shoal/models'
import { readTreeIntoMemory, type EngineRunRequest, type PreparedInput, type ReadableTree, type TreeEntry, type WorkerLike } from '@shoal/interface'
import { createWasmEngine, type WasmEngine, type WasmEngineOptions } from '@shoal/wasm'
import { OPFS_SPACE_DIRECTORY, OpfsVolumeSpace, opfsTree } from '../src/opfs-volume-space.ts'
import { checkPattern } from './data-pattern.ts'

const MiB = 1024 * 1024

function engineOf(options: { opfs: boolean }): WasmEngine {
  const init: WasmEngineOptions = {
    workerFactory: (url) => new Worker(url, { type: 'module' }) as unknown as WorkerLike,
    // The tab's own worker script (OPFS access installed), as Vite's dev server serves it.
    workerUrl: new URL('../src/wasm-worker.ts?worker_file&type=module', import.meta.url),
    poolSize: 1,
  }
  // `volumeKinds` is the engine option of the wasm-vol branch (opfs volumes mounted in place);
  // spread so this file also compiles against an engine without it, where the case says why it is skipped.
  return createWasmEngine(options.opfs ? ({ ...init, volumeKinds: ['opfs'] } as WasmEngineOptions) : init)
}

/** An execution of copy-file.wasm over the prepared input at /inputs. */
async function copyJob(executionId: string, data: PreparedInput, space: OpfsVolumeSpace, memoryBytes: number): Promise<EngineRunRequest> {
  const module = new Uint8Array(await (await fetch(new URL('./fixtures/copy-file.wasm', import.meta.url))).arrayBuffer())
  const inline: InputSource = { Source: { Type: 'inline', Params: {} }, Alias: '', Target: '/app/main.wasm' }
  return {
    executionId,
    job: {} as EngineRunRequest['job'],
    partitionIndex: 0,
    task: {
      Name: 'main',
      Engine: { Type: 'wasm', Params: { EntryModule: '/app/main.wasm', Parameters: [] } },
      Publisher: { Type: 'noop', Params: {} },
      InputSources: [],
      ResultPaths: [{ Name: 'outputs', Path: '/outputs' }],
    } as unknown as EngineRunRequest['task'],
    inputs: [{ input: inline, volume: { kind: 'memory', node: { kind: 'file', data: module } } }, data],
    space,
    env: { BACALHAU_JOB_ID: 'j-test', BACALHAU_EXECUTION_ID: executionId },
    limits: { timeoutMs: 0, memoryBytes, diskBytes: 2 * 1024 * MiB, outputBytes: MiB },
  }
}

/** Downloads `bytes` of the test pattern as urlDownload input 1 of `executionId` into `space`. */
function download(executionId: string, bytes: number, space: OpfsVolumeSpace): Promise<PreparedInput> {
  const input: InputSource = { Source: { Type: 'urlDownload', Params: { URL: `${inject('dataServer')}/pattern/${bytes}/data.bin` } }, Alias: '', Target: '/inputs' }
  // The server is on loopback, which a node refuses unless its operator allows the host.
  const storage = new UrlDownloadStorage({ policy: new UrlHostPolicy({ allowHosts: ['127.0.0.1'] }) })
  return storage.prepare(input, { jobId: 'j-test', executionId, inputIndex: 1, space }).then((volume) => ({ input, volume }))
}

async function findFile(tree: ReadableTree, path: string): Promise<TreeEntry | undefined> {
  for await (const entry of tree.entries()) if (entry.path === path) return entry
  return undefined
}

/** Bytes of the files an execution holds in the space's OPFS directory. */
async function opfsBytesOf(life: string, owner: string): Promise<number> {
  const spaces = await (await navigator.storage.getDirectory()).getDirectoryHandle(OPFS_SPACE_DIRECTORY)
  let total = 0
  for await (const entry of opfsTree(await (await spaces.getDirectoryHandle(life)).getDirectoryHandle(owner)).entries()) total += entry.size
  return total
}

/** Samples the page's JS heap (CDP Runtime.getHeapUsage) until stopped; resolves with the largest use seen. */
function watchHeap(): { stop(): Promise<number> } {
  const session = cdp()
  let peak = 0
  let running = true
  const loop = (async () => {
    // Bounded by stop(): the test always stops it.
    while (running) {
      // What the page holds, not what it has yet to collect: garbage (chunks already written to
      // OPFS) waits for a collection that comes late on a loaded machine (a peak of 160 MiB of
      // mostly garbage was seen at load 17, against 11 MiB on a quiet one).
      await session.send('HeapProfiler.collectGarbage')
      const { usedSize } = (await session.send('Runtime.getHeapUsage')) as { usedSize: number }
      peak = Math.max(peak, usedSize)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  })()
  return {
    async stop() {
      running = false
      await loop
      return peak
    },
  }
}

describe('a WASM job over OPFS data in a tab', () => {
  let space: OpfsVolumeSpace
  beforeAll(async () => {
    space = await OpfsVolumeSpace.open({ life: 'opfs-job', totalBytes: 3 * 1024 * MiB })
  })
  afterAll(async () => {
    await space.close()
  })

  it('downloads an input into OPFS, and an engine mounting memory volumes runs the job on it staged into memory', async () => {
    const engine = engineOf({ opfs: false })
    try {
      const downloaded = await download('exec-small', 8 * MiB, space)
      expect(downloaded.volume).toMatchObject({ kind: 'opfs', size: 8 * MiB })
      // What the execution runner does for an engine without opfs mounts.
      const node = await readTreeIntoMemory(space.read(downloaded.volume), { maxBytes: 16 * MiB, tooLarge: () => new Error('too large') })
      const result = await engine.run(await copyJob('exec-small', { ...downloaded, volume: { kind: 'memory', node } }, space, 64 * MiB))
      expect(new TextDecoder().decode(result.stderr)).toBe('')
      expect(result.exitCode).toBe(0)
      const copy = await findFile(result.outputs.get('outputs')!, 'copy.bin')
      expect(copy?.size).toBe(8 * MiB)
      expect(await checkPattern(copy!.open!())).toEqual({ bytes: 8 * MiB, firstMismatch: undefined })
    } finally {
      await engine.stop?.()
      await space.release('exec-small')
    }
  })

  const opfsEngine = engineOf({ opfs: true })
  it(
    'copies a 512 MiB download to a 512 MiB output through OPFS, with the page heap far below the data size',
    { timeout: 600_000 },
    async () => {
      const size = 512 * MiB
      const heap = watchHeap()
      let peak: number
      const phases: string[] = []
      let since = performance.now()
      const phase = (name: string) => {
        phases.push(`${name} ${((performance.now() - since) / 1000).toFixed(1)} s`)
        since = performance.now()
      }
      try {
        const downloaded = await download('exec-big', size, space)
        expect(downloaded.volume).toMatchObject({ kind: 'opfs', size })
        phase('download')
        // 64 MiB of linear memory for a 512 MiB file: the job cannot hold its data either.
        const result = await opfsEngine.run(await copyJob('exec-big', downloaded, space, 64 * MiB))
        phase('job')
        expect(new TextDecoder().decode(result.stderr)).toBe('')
        expect(result.exitCode).toBe(0)
        // The copy is in OPFS beside the input (in the job's scratch image), not in memory.
        expect(await opfsBytesOf('opfs-job', 'exec-big')).toBeGreaterThanOrEqual(2 * size)
        const copy = await findFile(result.outputs.get('outputs')!, 'copy.bin')
        expect(copy?.size).toBe(size)
        expect(await checkPattern(copy!.open!())).toEqual({ bytes: size, firstMismatch: undefined })
        phase('output read and checked')
      } finally {
        peak = await heap.stop()
        await opfsEngine.stop?.()
        await space.release('exec-big')
      }
      console.log(`page JS heap peak while moving ${size / MiB} MiB in and ${size / MiB} MiB out: ${(peak / MiB).toFixed(1)} MiB; ${phases.join(', ')}`)
      expect(peak).toBeLessThan(size / 8)
    },
  )
})

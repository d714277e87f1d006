/**
 * The WASM engine over data that is not in memory, on Node: host inputs read in place through the
 * worker's HostVolumeAccess (node-runner's worker bootstrap installs it), large writes kept in a
 * scratch image in the node's space and read back as ReadableTrees, read-write inputs copied on
 * write, the disk budget in image mode. Data files are sparse, so gigabytes cost little disk.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { mkdtemp, open, readdir, readFile, readlink, rm, stat, symlink, truncate, writeFile, mkdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { EngineRunRequest, PreparedInput, ReadableTree } from '@shoal/interface'
import { readTreeIntoMemory } from '@shoal/interface'
import { MemoryVolumeSpace } from '@shoal/compute'
import { createWasmEngine } from '../src/index.ts'
import type { WasmEngine } from '../src/index.ts'
import { createNodeWorkerFactory } from '../../../node-runner/src/worker/index.ts'
import { HostTestSpace } from './host-test-space.ts'

const MiB = 1024 * 1024
const GiB = 1024 * MiB
const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes)
const fixture = async (name: string) => new Uint8Array(await readFile(new URL(`./fixtures/${name}`, import.meta.url)))

/** data-tool's hash of `regions` (offset, bytes) in an otherwise zero file: Σ w[i]·(i+1) mod 2^32 over u32 words. */
function sparseHash(regions: [number, Uint8Array][]): string {
  let hash = 0
  for (const [offset, bytes] of regions) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    for (let i = 0; i < bytes.byteLength; i += 4) hash = (hash + Math.imul(view.getUint32(i, true), offset / 4 + i / 4 + 1)) >>> 0
  }
  return hash.toString(16).padStart(8, '0')
}

/** The same hash over a stream, with its size. */
async function streamHash(stream: ReadableStream<Uint8Array>): Promise<{ size: number; hash: string }> {
  let hash = 0
  let size = 0
  let carry = new Uint8Array(0)
  for await (const chunk of stream as unknown as AsyncIterable<Uint8Array>) {
    let bytes = chunk
    if (carry.byteLength > 0) {
      bytes = new Uint8Array(carry.byteLength + chunk.byteLength)
      bytes.set(carry)
      bytes.set(chunk, carry.byteLength)
    }
    const words = Math.floor(bytes.byteLength / 4)
    const view = new DataView(bytes.buffer, bytes.byteOffset, words * 4)
    const base = size / 4
    for (let i = 0; i < words; i++) {
      const word = view.getUint32(i * 4, true)
      if (word !== 0) hash = (hash + Math.imul(word, base + i + 1)) >>> 0
    }
    size += words * 4
    carry = bytes.slice(words * 4)
  }
  return { size: size + carry.byteLength, hash: hash.toString(16).padStart(8, '0') }
}

async function fileEntry(tree: ReadableTree, path: string) {
  for await (const entry of tree.entries()) if (entry.path === path) return entry
  throw new Error(`${path} is not in the tree`)
}

/** Makes a sparse file of `size` bytes holding `regions`. */
async function sparseFile(path: string, size: number, regions: [number, Uint8Array][]): Promise<void> {
  await writeFile(path, new Uint8Array(0))
  await truncate(path, size)
  const handle = await open(path, 'r+')
  for (const [offset, bytes] of regions) await handle.write(bytes, 0, bytes.byteLength, offset)
  await handle.close()
}

/** Peak growth of the process's resident memory while `work` runs (sampled every 20 ms). */
async function peakRssGrowth<T>(work: () => Promise<T>): Promise<{ result: T; growth: number }> {
  const baseline = process.memoryUsage.rss()
  let peak = baseline
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 20)
  try {
    const result = await work()
    peak = Math.max(peak, process.memoryUsage.rss())
    return { result, growth: peak - baseline }
  } finally {
    clearInterval(timer)
  }
}

const marker = (label: string): Uint8Array => {
  const bytes = new Uint8Array(64)
  bytes.set(new TextEncoder().encode(label))
  return bytes
}

describe('wasm engine over host volumes (Node worker_threads)', () => {
  let dir: string
  let engine: WasmEngine
  let dataTool: Uint8Array
  let executions = 0

  const hostInput = (target: string, path: string, root: 'file' | 'directory', readWrite = false): PreparedInput => ({
    input: { Source: { Type: 'localDirectory', Params: {} }, Alias: '', Target: target },
    volume: { kind: 'host', path, root },
    readWrite,
  })
  const request = (init: { parameters: string[]; inputs?: PreparedInput[]; outputs?: boolean; space: EngineRunRequest['space']; diskBytes?: number; module?: Uint8Array }): EngineRunRequest => ({
    executionId: `e-${++executions}`,
    job: {} as EngineRunRequest['job'],
    partitionIndex: 0,
    task: {
      Name: 'main',
      Engine: { Type: 'wasm', Params: { EntryModule: '/app/main.wasm', Parameters: init.parameters } },
      Publisher: { Type: 'noop', Params: {} },
      InputSources: [],
      ResultPaths: init.outputs ? [{ Name: 'outputs', Path: '/outputs' }] : [],
    } as unknown as EngineRunRequest['task'],
    inputs: [
      { input: { Source: { Type: 'inline', Params: {} }, Alias: '', Target: '/app/main.wasm' }, volume: { kind: 'memory', node: { kind: 'file', data: init.module ?? dataTool } } },
      ...(init.inputs ?? []),
    ],
    space: init.space,
    env: {},
    limits: { timeoutMs: 120_000, memoryBytes: 64 * MiB, outputBytes: MiB, ...(init.diskBytes ? { diskBytes: init.diskBytes } : {}) },
  })

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'shoal-wasm-volumes-'))
    dataTool = await fixture('data-tool.wasm')
    // A small in-memory share, so that the tests' outputs of a few MiB already go to the image.
    engine = createWasmEngine({ workerFactory: createNodeWorkerFactory(), poolSize: 1, volumeKinds: ['host'], memoryFileBytes: MiB })
  })
  afterAll(async () => {
    await engine.stop?.()
    await rm(dir, { recursive: true, force: true })
  })

  it('reads a 1 GiB host input in place: the hash matches and the process does not grow by the file', async () => {
    const regions: [number, Uint8Array][] = [[0, marker('start')], [512 * MiB + 4096, marker('middle')], [GiB - 64, marker('end')]]
    const path = join(dir, 'big.bin')
    await sparseFile(path, GiB, regions)
    const space = new HostTestSpace(join(dir, 'space-read'), 4 * GiB)
    const { result, growth } = await peakRssGrowth(() =>
      engine.run(request({ parameters: ['hash', '/data/big.bin'], inputs: [hostInput('/data/big.bin', path, 'file')], space })),
    )
    expect(text(result.stderr)).toBe('')
    expect(text(result.stdout)).toBe(`${GiB} ${sparseHash(regions)}\n`)
    // Loaded whole, the input alone would add 1 GiB.
    expect(growth).toBeLessThan(256 * MiB)
  }, 120_000)

  it('refuses a host input holding a link that leads out of the volume, naming it', async () => {
    const input = join(dir, 'linked')
    await mkdir(input, { recursive: true })
    await writeFile(join(input, 'ok.txt'), 'ok')
    await symlink('/etc', join(input, 'escape'))
    const space = new HostTestSpace(join(dir, 'space-link'), GiB)
    await expect(engine.run(request({ parameters: ['hash', '/data/ok.txt'], inputs: [hostInput('/data', input, 'directory')], space }))).rejects.toMatchObject({
      message: expect.stringContaining(`${join(input, 'escape')} is a link that leads out of the input volume`),
    })
  })

  it('writes an output above the in-memory share into the scratch image and reads it back through the tree', async () => {
    const source = new Uint8Array(24 * MiB + 123)
    for (let i = 0; i < source.byteLength; i++) source[i] = (i * 2654435761) >>> 24
    const path = join(dir, 'input.bin')
    await writeFile(path, source)
    const space = new HostTestSpace(join(dir, 'space-copy'), 4 * GiB)
    const result = await engine.run(request({ parameters: ['copy', '/data/input.bin', '/outputs/copy.bin'], inputs: [hostInput('/data/input.bin', path, 'file')], outputs: true, space }))
    expect(text(result.stderr)).toBe('')
    const tree = result.outputs.get('outputs')!
    const entry = await fileEntry(tree, 'copy.bin')
    expect(entry.size).toBe(source.byteLength)
    const copy = await readTreeIntoMemory(tree, { maxBytes: 64 * MiB, tooLarge: () => new Error('too large') })
    const data = copy.kind === 'dir' ? copy.entries.get('copy.bin') : undefined
    expect(data?.kind === 'file' && Buffer.compare(data.data, source)).toBe(0)
    // The bytes came from the image, which holds them (its blocks round up).
    expect(space.files).toHaveLength(1)
    expect((await stat(space.files[0]!)).size).toBeGreaterThanOrEqual(source.byteLength)
  })

  it('keeps small outputs in memory even with a scratch image', async () => {
    const space = new HostTestSpace(join(dir, 'space-small'), 4 * GiB)
    const small = join(dir, 'small.txt')
    await writeFile(small, 'a small file\n')
    const result = await engine.run(request({ parameters: ['copy', '/data/small.txt', '/outputs/small.txt'], inputs: [hostInput('/data/small.txt', small, 'file')], outputs: true, space }))
    const tree = await readTreeIntoMemory(result.outputs.get('outputs')!, { maxBytes: MiB, tooLarge: () => new Error('too large') })
    expect(tree.kind === 'dir' && tree.entries.get('small.txt')).toEqual({ kind: 'file', data: new TextEncoder().encode('a small file\n') })
    expect((await stat(space.files[0]!)).size).toBe(0)
  })

  it('changes a read-write host input copy-on-write: the job sees and returns its change, the input on disk is untouched', async () => {
    const input = join(dir, 'rw')
    await mkdir(input, { recursive: true })
    const original = new Uint8Array(3 * MiB)
    for (let i = 0; i < original.byteLength; i++) original[i] = i % 251
    await writeFile(join(input, 'data.bin'), original)
    await writeFile(join(input, 'other.txt'), 'left alone\n')
    const space = new HostTestSpace(join(dir, 'space-rw'), 4 * GiB)
    const offset = MiB + 5
    const result = await engine.run(request({ parameters: ['patch', '/rw/data.bin', String(offset), 'PATCHED'], inputs: [hostInput('/rw', input, 'directory', true)], space }))
    expect(text(result.stderr)).toBe('')
    const expected = original.slice()
    expected.set(new TextEncoder().encode('PATCHED'), offset)
    const returned = await readTreeIntoMemory(result.inputs!.get('/rw')!, { maxBytes: 16 * MiB, tooLarge: () => new Error('too large') })
    expect(returned.kind).toBe('dir')
    if (returned.kind !== 'dir') return
    const data = returned.entries.get('data.bin')
    expect(data?.kind === 'file' && Buffer.compare(data.data, expected)).toBe(0)
    expect(returned.entries.get('other.txt')).toEqual({ kind: 'file', data: new TextEncoder().encode('left alone\n') })
    expect(Buffer.compare(await readFile(join(input, 'data.bin')), original)).toBe(0)
  })

  it('ends a job writing 4 GiB into its scratch image at its disk budget, with the reason', async () => {
    const space = new HostTestSpace(join(dir, 'space-budget'), 4 * GiB)
    await expect(engine.run(request({ module: await fixture('big-file.wasm'), parameters: [], outputs: true, space, diskBytes: 64 * MiB }))).rejects.toMatchObject({
      code: 'ExecutionError',
      message: expect.stringMatching(/^disk limit exceeded: the job's files hold .* of its 64 MiB budget \(Resources\.Disk\) and a write needed .* more/),
    })
    // The image stopped at the budget.
    expect((await stat(space.files[0]!)).size).toBeLessThanOrEqual(64 * MiB)
  })

  it("refuses a job whose Resources.Disk the node's space cannot hold", async () => {
    const space = new HostTestSpace(join(dir, 'space-full'), 100 * MiB)
    await expect(engine.run(request({ parameters: ['copy', '/app/main.wasm', '/outputs/x'], outputs: true, space, diskBytes: GiB }))).rejects.toMatchObject({
      code: 'ExecutionError',
      message: expect.stringContaining("the job's disk budget does not fit on this node: Resources.Disk is 1 GiB but only 100 MiB of the node's 100 MiB disk budget are free"),
    })
  })

  it('gives a WASI preview2 component its host input (read into memory for jco) and takes its output', async () => {
    const path = join(dir, 'component-input.txt')
    await writeFile(path, 'input seen\n')
    const space = new HostTestSpace(join(dir, 'space-component'), 4 * GiB)
    const result = await engine.run(
      request({
        module: await fixture('component-demo.component.wasm'),
        parameters: ['/inputs/data.txt', '/outputs/from-component.txt', 'written by a component', '0'],
        inputs: [hostInput('/inputs/data.txt', path, 'file')],
        outputs: true,
        space,
      }),
    )
    expect(text(result.stdout)).toContain('input seen\n')
    const tree = await readTreeIntoMemory(result.outputs.get('outputs')!, { maxBytes: MiB, tooLarge: () => new Error('too large') })
    expect(tree.kind === 'dir' && tree.entries.get('from-component.txt')).toEqual({ kind: 'file', data: new TextEncoder().encode('written by a component') })
  }, 60_000)

  it('keeps every file in memory with an in-memory space, as before', async () => {
    const result = await engine.run(request({ parameters: ['copy', '/app/main.wasm', '/outputs/copy.wasm'], outputs: true, space: new MemoryVolumeSpace() }))
    const tree = await readTreeIntoMemory(result.outputs.get('outputs')!, { maxBytes: MiB, tooLarge: () => new Error('too large') })
    expect(tree.kind === 'dir' && tree.entries.get('copy.wasm')).toEqual({ kind: 'file', data: dataTool })
  })

  // The 2 GiB in, 2 GiB out proof took 42-90 s on the shared test machine (writing 2 GiB to its
  // disk alone took 21 s there): it is left to the e2e suite; this is the same path at 512 MiB.
  it('copies a 512 MiB host input to a 512 MiB output with the process memory flat', async () => {
    const size = 512 * MiB
    const regions: [number, Uint8Array][] = [[0, marker('first')], [256 * MiB + 8, marker('middle')], [size - 64, marker('last')]]
    const path = join(dir, 'half.bin')
    await sparseFile(path, size, regions)
    const space = new HostTestSpace(join(dir, 'space-half'), 4 * GiB)
    const { result, growth } = await peakRssGrowth(async () => {
      const result = await engine.run(request({ parameters: ['copy', '/data/half.bin', '/outputs/half.bin'], inputs: [hostInput('/data/half.bin', path, 'file')], outputs: true, space, diskBytes: GiB }))
      const entry = await fileEntry(result.outputs.get('outputs')!, 'half.bin')
      return { result, read: await streamHash(entry.open!()) }
    })
    expect(text(result.result.stderr)).toBe('')
    expect(result.read).toEqual({ size, hash: sparseHash(regions) })
    // In memory, the output alone would add 512 MiB (and its doubling capacity up to 1 GiB).
    expect(growth).toBeLessThan(256 * MiB)
  }, 180_000)

  it('closes the files of a job stopped mid-read', async () => {
    const path = join(dir, 'slow.bin')
    await sparseFile(path, 4 * GiB, [])
    const space = new HostTestSpace(join(dir, 'space-stop'), 4 * GiB)
    const openOnPath = async () => {
      let count = 0
      for (const fd of await readdir('/proc/self/fd')) {
        const target = await readlink(`/proc/self/fd/${fd}`).catch(() => '')
        if (target === path) count++
      }
      return count
    }
    const controller = new AbortController()
    const run = engine.run(request({ parameters: ['hash', '/data/slow.bin'], inputs: [hostInput('/data/slow.bin', path, 'file')], space }), { signal: controller.signal })
    run.catch(() => {})
    // Bounded: the job opens the file on its first read.
    for (let i = 0; i < 600 && (await openOnPath()) === 0; i++) await new Promise((resolve) => setTimeout(resolve, 50))
    expect(await openOnPath()).toBe(1)
    controller.abort()
    await expect(run).rejects.toMatchObject({ name: 'AbortError' })
    // The worker's exit, which closes what it left open, follows its termination.
    for (let i = 0; i < 100 && (await openOnPath()) > 0; i++) await new Promise((resolve) => setTimeout(resolve, 50))
    expect(await openOnPath()).toBe(0)
  }, 60_000)
})

/**
 * The WASM engine's behaviour, as one set of cases run in every runtime: on Node with
 * worker_threads (engine.node.spec.ts) and in headless Chromium with Web Workers
 * (engine.browser.spec.ts). Each runtime supplies a way to make an engine and to load fixtures.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { readTreeIntoMemory } from '@shoal/interface'
import type { DirectoryNode, EngineRunRequest, EngineRunResult, FileTreeNode, LogChunk, PreparedInput, ReadableTree } from '@shoal/interface'
import { MemoryVolumeSpace } from '@shoal/compute'
import type { WasmEngine } from '../src/index.ts'

/** What a runtime provides to the shared cases. */
export interface EngineCaseRuntime {
  /** Runtime name shown in test titles. */
  name: string
  createEngine(): WasmEngine
  /** Bytes of `packages/wasm/test/fixtures/<name>`. */
  fixture(name: string): Promise<Uint8Array>
}

const MiB = 1024 * 1024
const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes)
const file = (data: Uint8Array | string): FileTreeNode => ({ kind: 'file', data: typeof data === 'string' ? new TextEncoder().encode(data) : data })
const dir = (entries: Record<string, FileTreeNode>): DirectoryNode => ({ kind: 'dir', entries: new Map(Object.entries(entries)) })
const input = (target: string, contents: FileTreeNode, readWrite = false): PreparedInput => ({
  input: { Source: { Type: 'inline', Params: {} }, Alias: '', Target: target },
  volume: { kind: 'memory', node: contents },
  readWrite,
})

/** Options of one test job. */
interface JobInit {
  module: Uint8Array
  /** EntryModule and the input holding the module (default: /app/main.wasm, the module file itself). */
  entry?: { entryModule: string; target: string; contents?: FileTreeNode }
  parameters?: string[]
  entrypoint?: string
  envVars?: Record<string, string>
  inputs?: PreparedInput[]
  importModules?: string[]
  resultPaths?: { Name: string; Path: string }[]
  limits?: Partial<EngineRunRequest['limits']>
  env?: Record<string, string>
  deterministic?: EngineRunRequest['deterministic']
  onLog?: (chunk: LogChunk) => void
}

function request(init: JobInit): EngineRunRequest {
  return {
    executionId: 'e-test',
    job: {} as EngineRunRequest['job'],
    partitionIndex: 0,
    task: {
      Name: 'main',
      Engine: {
        Type: 'wasm',
        Params: {
          EntryModule: init.entry?.entryModule ?? '/app/main.wasm',
          Parameters: init.parameters ?? [],
          ...(init.entrypoint ? { Entrypoint: init.entrypoint } : {}),
          ...(init.envVars ? { EnvironmentVariables: init.envVars } : {}),
          ...(init.importModules ? { ImportModules: init.importModules } : {}),
        },
      },
      Publisher: { Type: 'noop', Params: {} },
      InputSources: [],
      ResultPaths: init.resultPaths ?? [],
    } as unknown as EngineRunRequest['task'],
    inputs: [input(init.entry?.target ?? '/app/main.wasm', init.entry?.contents ?? file(init.module)), ...(init.inputs ?? [])],
    space: new MemoryVolumeSpace(),
    env: init.env ?? { BACALHAU_JOB_ID: 'j-test', BACALHAU_EXECUTION_ID: 'e-test' },
    limits: { timeoutMs: 20_000, memoryBytes: 64 * MiB, outputBytes: MiB, ...init.limits },
    deterministic: init.deterministic,
    onLog: init.onLog,
  }
}

/** A run's result with its output and read-write input trees read into memory, to inspect. */
type MemoryRunResult = Omit<EngineRunResult, 'outputs' | 'inputs'> & { outputs: Map<string, DirectoryNode>; inputs?: Map<string, FileTreeNode> }

async function inMemory(result: EngineRunResult): Promise<MemoryRunResult> {
  const read = (tree: ReadableTree) => readTreeIntoMemory(tree, { maxBytes: 256 * MiB, tooLarge: () => new Error('test output too large') })
  const outputs = new Map<string, DirectoryNode>()
  for (const [name, tree] of result.outputs) outputs.set(name, (await read(tree)) as DirectoryNode)
  let inputs: Map<string, FileTreeNode> | undefined
  if (result.inputs) {
    inputs = new Map()
    for (const [target, tree] of result.inputs) inputs.set(target, await read(tree))
  }
  const { inputs: _trees, ...rest } = result
  return { ...rest, outputs, ...(inputs ? { inputs } : {}) }
}

function treeFile(tree: DirectoryNode | undefined, path: string): string | undefined {
  let node: FileTreeNode | undefined = tree
  for (const part of path.split('/')) node = node?.kind === 'dir' ? node.entries.get(part) : undefined
  return node?.kind === 'file' ? text(node.data) : undefined
}

/** Registers the engine cases for `runtime`. */
export function engineCases(runtime: EngineCaseRuntime): void {
  describe(`wasm engine on ${runtime.name}`, () => {
    let engine: WasmEngine
    const fixtures = new Map<string, Uint8Array>()
    const fx = (name: string): Uint8Array => {
      const bytes = fixtures.get(name)
      if (!bytes) throw new Error(`fixture ${name} not loaded`)
      return bytes
    }
    const names = [
      'hello.wasm', 'cat.wasm', 'write-file.wasm', 'env-args.wasm', 'exit-code.wasm', 'memory-hog.wasm', 'huge-stdout.wasm',
      'clock-random.wasm', 'loop.wasm', 'lib.wasm', 'uses-lib.wasm', 'unknown-import.wasm', 'big-minimum.wasm', 'component-demo.component.wasm',
      'fresh-state.wasm', 'start-section.wasm', 'wrong-wasi-signature.wasm',
    ]
    const run = async (init: JobInit) => inMemory(await engine.run(request(init)))
    const expectHealthy = async () => {
      const result = await run({ module: fx('hello.wasm') })
      expect(text(result.stdout)).toBe('hello from wasm\n')
    }

    beforeAll(async () => {
      engine = runtime.createEngine()
      for (const name of names) fixtures.set(name, await runtime.fixture(name))
    })
    afterAll(async () => {
      await engine.stop?.()
    })

    it('runs hello and captures stdout', async () => {
      const result = await run({ module: fx('hello.wasm') })
      expect(result).toMatchObject({ exitCode: 0, stdoutTruncated: false, stderrTruncated: false })
      expect(text(result.stdout)).toBe('hello from wasm\n')
      expect(text(result.stderr)).toBe('')
    })

    it('reads an input file and an input directory tree', async () => {
      const result = await run({
        module: fx('cat.wasm'),
        parameters: ['/inputs/data.txt', '/tree/sub/leaf.txt'],
        inputs: [input('/inputs/data.txt', file('line one\n')), input('/tree', dir({ sub: dir({ 'leaf.txt': file('leaf\n') }) }))],
      })
      expect(result.exitCode).toBe(0)
      expect(text(result.stdout)).toBe('line one\nleaf\n')
    })

    it('returns files written under a ResultPath, nested directories included', async () => {
      const result = await run({
        module: fx('write-file.wasm'),
        parameters: ['/outputs/nested/deep/result.txt', 'computed'],
        resultPaths: [{ Name: 'outputs', Path: '/outputs' }],
      })
      expect(result.exitCode).toBe(0)
      expect([...result.outputs.keys()]).toEqual(['outputs'])
      expect(treeFile(result.outputs.get('outputs'), 'nested/deep/result.txt')).toBe('computed')
    })

    it('passes argv ["", ...Parameters] and the task env plus EnvironmentVariables', async () => {
      const result = await run({
        module: fx('env-args.wasm'),
        parameters: ['first', 'with space'],
        env: { BACALHAU_JOB_ID: 'j-1', TASK_VAR: 'task' },
        envVars: { PARAM_VAR: 'param' },
      })
      const lines = text(result.stdout).trim().split('\n')
      expect(lines.slice(0, 3)).toEqual(['arg 0=', 'arg 1=first', 'arg 2=with space'])
      expect(lines.slice(3).sort()).toEqual(['env BACALHAU_JOB_ID=j-1', 'env PARAM_VAR=param', 'env TASK_VAR=task'])
    })

    it('reports a non-zero exit code as a result, not an error', async () => {
      const result = await run({ module: fx('exit-code.wasm'), parameters: ['3'] })
      expect(result.exitCode).toBe(3)
      expect(text(result.stderr)).toBe('exiting with 3\n')
    })

    it('links an import module by its path', async () => {
      const result = await run({ module: fx('uses-lib.wasm'), inputs: [input('/lib.wasm', file(fx('lib.wasm')))], importModules: ['/lib.wasm'] })
      expect(result.exitCode).toBe(42)
    })

    it("runs upstream's `bacalhau wasm run main.wasm` shape: relative Targets resolved against /", async () => {
      // A module over 512 bytes arrives as a tar.gz of main.wasm: Target main.wasm is a directory
      // holding main.wasm, and EntryModule main.wasm names that directory.
      const unpacked = await run({ module: fx('hello.wasm'), entry: { entryModule: 'main.wasm', target: 'main.wasm', contents: dir({ 'main.wasm': file(fx('hello.wasm')) }) } })
      expect(text(unpacked.stdout)).toBe('hello from wasm\n')
      // A small module arrives as the file itself; its import module is mounted at lib.wasm and
      // named by that relative Target; a relative input is read at /<Target>.
      const linked = await run({
        module: fx('uses-lib.wasm'),
        entry: { entryModule: 'main.wasm', target: 'main.wasm' },
        inputs: [input('lib.wasm', file(fx('lib.wasm')))],
        importModules: ['lib.wasm'],
      })
      expect(linked.exitCode).toBe(42)
      // Not listed in ImportModules: found by the name it is imported under, also when that is a
      // directory holding one .wasm file (upstream's loader resolves names the same way).
      const byName = await run({
        module: fx('uses-lib.wasm'),
        entry: { entryModule: 'main.wasm', target: 'main.wasm' },
        inputs: [input('lib.wasm', dir({ 'lib.wasm': file(fx('lib.wasm')) }))],
      })
      expect(byName.exitCode).toBe(42)
      const read = await run({ module: fx('cat.wasm'), entry: { entryModule: 'main.wasm', target: 'main.wasm' }, parameters: ['/data.txt'], inputs: [input('data.txt', file('relative\n'))] })
      expect(text(read.stdout)).toBe('relative\n')
    })

    it('fails clearly on a missing entrypoint', async () => {
      await expect(run({ module: fx('hello.wasm'), entrypoint: 'foo' })).rejects.toMatchObject({
        code: 'ExecutionError',
        message: expect.stringMatching(/^module has no export "foo"; exports: .*_start/),
      })
    })

    it('fails clearly on bytes that are not a WebAssembly module', async () => {
      await expect(run({ module: new TextEncoder().encode('#!/bin/sh\necho hi\n') })).rejects.toMatchObject({
        code: 'ExecutionError',
        message: expect.stringContaining('is not a WebAssembly module'),
      })
      const truncated = fx('hello.wasm').slice(0, 100)
      await expect(run({ module: truncated })).rejects.toMatchObject({
        code: 'ExecutionError',
        message: expect.stringContaining('is not a valid WebAssembly module'),
      })
    })

    it('fails clearly on an import nothing provides', async () => {
      await expect(run({ module: fx('unknown-import.wasm') })).rejects.toMatchObject({
        code: 'ExecutionError',
        message: 'module imports env.missing which no import module provides',
      })
    })

    it('fails a WASI import declared with the wrong signature at link time, naming it and both signatures', async () => {
      await expect(run({ module: fx('wrong-wasi-signature.wasm') })).rejects.toMatchObject({
        code: 'ExecutionError',
        message:
          'entry module /app/main.wasm imports wasi_snapshot_preview1.fd_write as (i32, i32, i32, i32) -> i64, but WASI preview1 defines it as (i32, i32, i32, i32) -> i32',
      })
      await expectHealthy()
    })

    it('stops an infinite loop at the timeout, then runs the next job normally', async () => {
      await expect(run({ module: fx('loop.wasm'), limits: { timeoutMs: 300 } })).rejects.toMatchObject({ code: 'Timeout' })
      await expectHealthy()
    })

    it('cancels a running job through its AbortSignal, then runs the next job normally', async () => {
      const controller = new AbortController()
      const running = engine.run(request({ module: fx('loop.wasm') }), { signal: controller.signal })
      setTimeout(() => controller.abort(), 100)
      await expect(running).rejects.toMatchObject({ code: 'Aborted' })
      await expectHealthy()
    })

    it('keeps running under a 30-day execution timeout (past setTimeout\'s 24.8-day maximum) until cancelled', async () => {
      // A plain setTimeout of 30 days fires after 1 ms, so the job would end as Timeout at once.
      // A job first (the engine arms the timer once it has a worker): one is now idle and warm.
      await expectHealthy()
      const controller = new AbortController()
      const running = engine.run(request({ module: fx('loop.wasm'), limits: { timeoutMs: 30 * 24 * 3600 * 1000 } }), { signal: controller.signal })
      setTimeout(() => controller.abort(), 300)
      await expect(running).rejects.toMatchObject({ code: 'Aborted' })
      await expectHealthy()
    })

    it('fails a memory hog with out-of-memory at the cap, then runs the next job normally', async () => {
      await expect(run({ module: fx('memory-hog.wasm'), limits: { memoryBytes: 64 * MiB } })).rejects.toMatchObject({
        code: 'ExecutionError',
        message: expect.stringContaining('out of memory: the module tried to grow linear memory beyond the 64 MiB cap (Resources.Memory)'),
      })
      await expect(run({ module: fx('big-minimum.wasm'), limits: { memoryBytes: 64 * MiB } })).rejects.toMatchObject({
        code: 'ExecutionError',
        message: expect.stringMatching(/^out of memory: .*128 MiB.*64 MiB cap/),
      })
      await expectHealthy()
    })

    it('keeps the first outputBytes of a huge stdout and flags it truncated', async () => {
      const result = await run({ module: fx('huge-stdout.wasm'), parameters: ['100'], limits: { outputBytes: 4096 } })
      expect(result.exitCode).toBe(0)
      expect(result.stdoutTruncated).toBe(true)
      expect(result.stdout.byteLength).toBe(4096)
      expect(text(result.stdout.subarray(0, 64))).toBe('x'.repeat(63) + '\n')
      await expectHealthy()
    }, 60_000)

    it('mounts inputs read-only', async () => {
      const result = await run({
        module: fx('write-file.wasm'),
        parameters: ['/inputs/data.txt', 'overwritten'],
        inputs: [input('/inputs/data.txt', file('original'))],
      })
      expect(result.exitCode).toBe(1)
      expect(text(result.stderr)).toMatch(/^write-file: \/inputs\/data.txt: (Read-only file system|Operation not permitted|Permission denied)/)
    })

    it('mounts a read-write input writable and returns its final tree, leaving read-only inputs and outputs apart', async () => {
      const scratch = dir({ 'kept.txt': file('kept'), 'old.txt': file('old') })
      const result = await run({
        module: fx('write-file.wasm'),
        parameters: ['/data/new/made.txt', 'made by the job'],
        inputs: [input('/data', scratch, true), input('/ro.txt', file('ro'))],
      })
      expect(text(result.stderr)).toBe('')
      expect(result.exitCode).toBe(0)
      expect([...(result.inputs?.keys() ?? [])]).toEqual(['/data'])
      const tree = result.inputs!.get('/data') as DirectoryNode
      expect(treeFile(tree, 'new/made.txt')).toBe('made by the job')
      expect(treeFile(tree, 'kept.txt')).toBe('kept')
      // The caller's tree is not modified: the engine returns a copy.
      expect(scratch.entries.has('new')).toBe(false)

      const overwrite = await run({ module: fx('write-file.wasm'), parameters: ['/data.txt', 'new text'], inputs: [input('/data.txt', file('old text'), true)] })
      expect(overwrite.exitCode).toBe(0)
      expect(overwrite.inputs?.get('/data.txt')).toEqual(file('new text'))

      const readOnly = await run({ module: fx('write-file.wasm'), parameters: ['/ro/x.txt', 'no'], inputs: [input('/ro', dir({}))] })
      expect(readOnly.exitCode).toBe(1)
      expect(text(readOnly.stderr)).toMatch(/^write-file: \/ro\/x.txt: (Read-only file system|Operation not permitted|Permission denied)/)
      expect(readOnly.inputs).toBeUndefined()
    })

    it('does not let ".." escape the mounts', async () => {
      const escape = await run({ module: fx('cat.wasm'), parameters: ['/inputs/../../../../etc/passwd'], inputs: [input('/inputs/data.txt', file('x'))] })
      expect(escape.exitCode).toBe(1)
      expect(text(escape.stdout)).toBe('')
      const sideways = await run({
        module: fx('write-file.wasm'),
        parameters: ['/outputs/../inputs/data.txt', 'overwritten'],
        inputs: [input('/inputs/data.txt', file('original'))],
        resultPaths: [{ Name: 'outputs', Path: '/outputs' }],
      })
      expect(sideways.exitCode).toBe(1)
      const outside = await run({ module: fx('write-file.wasm'), parameters: ['/../../escaped.txt', 'x'], resultPaths: [{ Name: 'outputs', Path: '/outputs' }] })
      expect(outside.exitCode).toBe(1)
      expect(treeFile(outside.outputs.get('outputs'), 'escaped.txt')).toBeUndefined()
    })

    it('gives byte-identical outputs in deterministic mode', async () => {
      const once = () =>
        run({
          module: fx('clock-random.wasm'),
          resultPaths: [{ Name: 'outputs', Path: '/outputs' }],
          deterministic: { seed: 'seed-1', epochNs: 1_700_000_000_000_000_000 },
        })
      const [a, b] = [await once(), await once()]
      expect(text(a.stdout)).toBe(text(b.stdout))
      expect(text(a.stdout)).toMatch(/^realtime 1700000000\.\d{9}\n/)
      expect(a.outputs).toEqual(b.outputs)
      expect(treeFile(a.outputs.get('outputs'), 'listing.txt')).toBe('.\n..\na\nb\nrandom.bin\n')
    })

    it('reuses a compiled module for a repeat job', async () => {
      const before = engine.stats().compileCacheHits
      await expectHealthy()
      await expectHealthy()
      expect(engine.stats().compileCacheHits).toBeGreaterThanOrEqual(before + 2)
    })

    it('starts every repeat run of a module from fresh memory and globals', async () => {
      for (let i = 0; i < 3; i++) {
        const result = await run({ module: fx('fresh-state.wasm') })
        expect(text(result.stdout)).toBe('11\n')
      }
    })

    it('runs the start function of a module anew for every run', async () => {
      for (let i = 0; i < 3; i++) {
        const result = await run({ module: fx('start-section.wasm') })
        expect(text(result.stdout)).toBe('start\nmain\n')
      }
    })

    it('gives each repeat run of a module its own arguments, environment and files', async () => {
      const words = ['one', 'two', 'three']
      for (const word of words) {
        const result = await run({ module: fx('env-args.wasm'), parameters: [word], env: { RUN: word } })
        expect(text(result.stdout).trim().split('\n').sort()).toEqual([`arg 0=`, `arg 1=${word}`, `env RUN=${word}`])
      }
      for (const word of words) {
        const result = await run({ module: fx('cat.wasm'), parameters: ['/in.txt'], inputs: [input('/in.txt', file(`${word}\n`))] })
        expect(text(result.stdout)).toBe(`${word}\n`)
      }
    })

    it('streams output through onLog while running', async () => {
      const chunks: LogChunk[] = []
      await run({ module: fx('exit-code.wasm'), parameters: ['0'], onLog: (chunk) => chunks.push(chunk) })
      expect(chunks.map((c) => [c.stream, text(c.data)])).toEqual([[2, 'exiting with 0\n']])
    })

    it('runs a WASI preview2 component with args, env, inputs and outputs', async () => {
      const result = await run({
        module: fx('component-demo.component.wasm'),
        parameters: ['/inputs/data.txt', '/outputs/from-component.txt', 'written by a component', '3'],
        envVars: { SHOAL_GREETING: 'hi' },
        inputs: [input('/inputs/data.txt', file('input seen\n'))],
        resultPaths: [{ Name: 'outputs', Path: '/outputs' }],
      })
      expect(text(result.stdout)).toBe(
        'hello from a component\narg 0=\narg 1=/inputs/data.txt\narg 2=/outputs/from-component.txt\narg 3=written by a component\narg 4=3\nSHOAL_GREETING=hi\ninput seen\n',
      )
      // wasi:cli/exit carries only ok/err: exit code 3 collapses to 1.
      expect(result.exitCode).toBe(1)
      expect(treeFile(result.outputs.get('outputs'), 'from-component.txt')).toBe('written by a component')
    }, 60_000)
  })
}

/**
 * Hostile modules under a 64 MiB Resources.Memory, as one set of cases run on Node
 * (hostile.node.spec.ts) and in headless Chromium (hostile.browser.spec.ts): each job ends with
 * its reason, and the same engine then runs the next job normally.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import type { EngineRunRequest } from '@shoal/interface'
import { MemoryVolumeSpace } from '@shoal/compute'
import type { WasmEngine } from '../src/index.ts'
import type { EngineCaseRuntime } from './engine-cases.ts'

const MiB = 1024 * 1024
const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes)

/** Options of one hostile job. */
interface HostileJob {
  module: Uint8Array
  parameters?: string[]
  resultPaths?: { Name: string; Path: string }[]
  limits?: Partial<EngineRunRequest['limits']>
}

/** A job under a 64 MiB memory limit and a 1 MiB output cap. */
export function hostileRequest(job: HostileJob): EngineRunRequest {
  return {
    executionId: 'e-hostile',
    job: {} as EngineRunRequest['job'],
    partitionIndex: 0,
    task: {
      Name: 'main',
      Engine: { Type: 'wasm', Params: { EntryModule: '/app/main.wasm', Parameters: job.parameters ?? [] } },
      Publisher: { Type: 'noop', Params: {} },
      InputSources: [],
      ResultPaths: job.resultPaths ?? [],
    } as unknown as EngineRunRequest['task'],
    inputs: [{ input: { Source: { Type: 'inline', Params: {} }, Alias: '', Target: '/app/main.wasm' }, volume: { kind: 'memory', node: { kind: 'file', data: job.module } }, readWrite: false }],
    space: new MemoryVolumeSpace(),
    env: {},
    limits: { timeoutMs: 60_000, memoryBytes: 64 * MiB, outputBytes: MiB, ...job.limits },
  }
}

/**
 * A WasmGC module (bytes written here: wabt cannot assemble GC) whose `_start` allocates structs
 * into a linked list forever, so every object stays reachable:
 * `(type $node (struct (field (mut (ref null $node)))))`, `loop: list = struct.new $node(list)`.
 */
export function gcAllocationLoop(): Uint8Array {
  const section = (id: number, payload: number[]) => [id, payload.length, ...payload]
  const types = [0x02, 0x5f, 0x01, 0x63, 0x00, 0x01, 0x60, 0x00, 0x00]
  const functions = [0x01, 0x01]
  const exports = [0x01, 0x06, ...new TextEncoder().encode('_start'), 0x00, 0x00]
  // locals: one (ref null 0); loop { local.set 0 (struct.new 0 (local.get 0)); br 0 } end end
  const body = [0x01, 0x01, 0x63, 0x00, 0x03, 0x40, 0x20, 0x00, 0xfb, 0x00, 0x00, 0x21, 0x00, 0x0c, 0x00, 0x0b, 0x0b]
  const code = [0x01, body.length, ...body]
  return new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, ...section(1, types), ...section(3, functions), ...section(7, exports), ...section(10, code)])
}

/** Registers the hostile-module cases for `runtime`. */
export function hostileCases(runtime: EngineCaseRuntime): void {
  describe(`hostile modules on ${runtime.name} under a 64 MiB memory limit`, () => {
    let engine: WasmEngine
    const fixtures = new Map<string, Uint8Array>()
    const fx = (name: string): Uint8Array => fixtures.get(name)!
    const run = (job: HostileJob) => engine.run(hostileRequest(job))
    const expectHealthy = async () => {
      const result = await run({ module: fx('hello.wasm') })
      expect(text(result.stdout)).toBe('hello from wasm\n')
    }

    beforeAll(async () => {
      engine = runtime.createEngine()
      for (const name of ['hello.wasm', 'table-grow.wasm', 'many-tables.wasm', 'multi-memory.wasm', 'memory-hog.wasm', 'endless-line.wasm', 'huge-stdout.wasm', 'big-file.wasm']) {
        fixtures.set(name, await runtime.fixture(name))
      }
    })
    afterAll(async () => {
      await engine.stop?.()
    })

    it('holds tables grown with table.grow to a share of the limit: the grow fails inside the job', async () => {
      const result = await run({ module: fx('table-grow.wasm') })
      expect(result.exitCode).toBe(1)
      expect(text(result.stderr)).toBe('table.grow refused\n')
      await expectHealthy()
    })

    it('refuses a module declaring more tables than allowed, with the reason', async () => {
      await expect(run({ module: fx('many-tables.wasm') })).rejects.toMatchObject({
        code: 'ExecutionError',
        message: expect.stringContaining('the module declares 16 tables; Shoal allows 8 per module'),
      })
      await expectHealthy()
    })

    it('refuses a module with 8 memories (multi-memory), with the reason', async () => {
      await expect(run({ module: fx('multi-memory.wasm') })).rejects.toMatchObject({
        code: 'ExecutionError',
        message: expect.stringContaining('the module declares 8 memories; Shoal allows 1 per module'),
      })
      await expectHealthy()
    })

    it('refuses a WasmGC module, with the reason', async () => {
      await expect(run({ module: gcAllocationLoop() })).rejects.toMatchObject({
        code: 'ExecutionError',
        message: expect.stringContaining('declares WasmGC types'),
      })
      await expectHealthy()
    })

    it('stops memory.grow at the limit', async () => {
      await expect(run({ module: fx('memory-hog.wasm') })).rejects.toMatchObject({
        message: expect.stringContaining('out of memory: the module tried to grow linear memory beyond the 64 MiB cap'),
      })
      await expectHealthy()
    })

    it('ends an endless line at the timeout, keeping only the output cap of it', async () => {
      const logged: number[] = []
      const running = engine.run({ ...hostileRequest({ module: fx('endless-line.wasm'), limits: { timeoutMs: 2000 } }), onLog: (chunk) => logged.push(chunk.data.byteLength) })
      await expect(running).rejects.toMatchObject({ code: 'Timeout' })
      // What streamed out is the kept head only: the output cap, not everything written.
      expect(logged.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(MiB)
      await expectHealthy()
    })

    it('keeps 1 MiB of a 1 GiB stdout and flags the rest truncated', async () => {
      const result = await run({ module: fx('huge-stdout.wasm'), parameters: ['1024'] })
      expect(result.exitCode).toBe(0)
      expect(result.stdoutTruncated).toBe(true)
      expect(result.stdout.byteLength).toBe(MiB)
      await expectHealthy()
    }, 120_000)

    it('ends a job writing a 4 GiB output file at its disk budget, with the reason', async () => {
      await expect(run({ module: fx('big-file.wasm'), resultPaths: [{ Name: 'outputs', Path: '/outputs' }], limits: { diskBytes: 64 * MiB } })).rejects.toMatchObject({
        code: 'ExecutionError',
        message: expect.stringMatching(/^disk limit exceeded: the job's files hold .* of its 64 MiB budget \(Resources\.Disk\) and a write needed 1 MiB more/),
      })
      await expectHealthy()
    })
  })
}

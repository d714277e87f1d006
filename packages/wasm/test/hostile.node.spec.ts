/** The hostile-module cases on Node (worker_threads with node-runner's default heap limits). */
import { describe, it, expect, afterAll } from 'vitest'
import { readFile } from 'node:fs/promises'
import { createWasmEngine } from '../src/index.ts'
import { createNodeWorkerFactory } from '../../../node-runner/src/worker/index.ts'
import { gcAllocationLoop, hostileCases, hostileRequest } from './hostile-cases.ts'

const fixture = async (name: string) => new Uint8Array(await readFile(new URL(`./fixtures/${name}`, import.meta.url)))

hostileCases({
  name: 'Node (worker_threads)',
  createEngine: () => createWasmEngine({ workerFactory: createNodeWorkerFactory(), poolSize: 2 }),
  fixture,
})

describe('WasmGC allowed on Node: the worker heap limit holds the GC heap', () => {
  const engine = createWasmEngine({
    workerFactory: createNodeWorkerFactory({ resourceLimits: { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 16 } }),
    poolSize: 1,
    allowWasmGc: true,
  })
  afterAll(() => engine.stop?.())

  it('ends a GC allocation loop with "memory limit exceeded", stopping only that worker, then runs the next job', async () => {
    await expect(engine.run(hostileRequest({ module: gcAllocationLoop() }))).rejects.toMatchObject({
      code: 'ExecutionError',
      message: expect.stringMatching(/^memory limit exceeded: the job's WASM worker reached its heap limit/),
    })
    const result = await engine.run(hostileRequest({ module: await fixture('hello.wasm') }))
    expect(new TextDecoder().decode(result.stdout)).toBe('hello from wasm\n')
  }, 120_000)
})

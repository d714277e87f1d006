/**
 * The edge `wasm` engine's own rules, checked in Node against a stand-in for the Worker Loader
 * binding. A stand-in because the case it exists for cannot run here: a loaded worker whose job
 * never returns (an endless loop) blocks the whole local workerd process, test included, since
 * local workerd enforces no CPU limit (in production limits.cpuMs ends it). The stand-in's
 * `run` never settles, as such a worker's answer never comes. Real jobs in real loaded workers:
 * edge-loader-compute.spec.ts.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import type { EngineRunRequest, PreparedInput } from '@shoal/interface'
import { MemoryVolumeSpace } from '@shoal/compute'
import { createLoaderWasmEngine, type LoadedWorkerCode, type WorkerLoader } from '../src/loader-wasm-engine.ts'
import { wasmFixture } from '../../test/support/index.ts'

const MiB = 1024 * 1024

/** A loader whose loaded worker never answers; it records what it was asked to load. */
function hangingLoader(): WorkerLoader & { loaded: Array<{ id: string; code: LoadedWorkerCode }> } {
  const loaded: Array<{ id: string; code: LoadedWorkerCode }> = []
  return {
    loaded,
    get(id, code) {
      return {
        getEntrypoint: () => ({
          run: async () => {
            loaded.push({ id, code: await code() })
            return new Promise<never>(() => {})
          },
        }),
      }
    },
  }
}

function request(module: Uint8Array, limits: Partial<EngineRunRequest['limits']> = {}): EngineRunRequest {
  const input: PreparedInput = { input: { Source: { Type: 'inline', Params: {} }, Alias: '', Target: '/app/main.wasm' }, volume: { kind: 'memory', node: { kind: 'file', data: module } } }
  return {
    executionId: 'e-edge',
    job: {} as EngineRunRequest['job'],
    partitionIndex: 0,
    task: { Name: 'main', Engine: { Type: 'wasm', Params: { EntryModule: '/app/main.wasm' } }, Publisher: { Type: 'noop', Params: {} }, InputSources: [], ResultPaths: [] } as unknown as EngineRunRequest['task'],
    inputs: [input],
    space: new MemoryVolumeSpace(),
    env: {},
    limits: { timeoutMs: 0, memoryBytes: 64 * MiB, outputBytes: MiB, ...limits },
  }
}

const engine = (loader: WorkerLoader) => createLoaderWasmEngine({ loader, hostSource: '/* job host */', compatibilityDate: '2026-07-30' })

describe('the edge wasm engine (Worker Loader)', () => {
  it('fails a job whose loaded worker does not answer within ExecutionTimeout with the timeout as its reason', async () => {
    const loader = hangingLoader()
    await expect(engine(loader).run(request(readFileSync(wasmFixture('loop')), { timeoutMs: 300 }))).rejects.toMatchObject({
      name: 'TimeoutError',
      message: 'the job ran longer than its 300 ms execution timeout and was stopped',
    })
    // What production relies on to stop the worker itself: a CPU limit, and no network.
    expect(loader.loaded.map(({ code }) => [code.limits, code.globalOutbound, Object.keys(code.modules)])).toEqual([[{ cpuMs: 300 }, null, ['main.js', 'job.wasm']]])
  })

  it('fails a cancelled job at once, without waiting for its loaded worker', async () => {
    const controller = new AbortController()
    const running = engine(hangingLoader()).run(request(readFileSync(wasmFixture('loop'))), { signal: controller.signal })
    controller.abort()
    await expect(running).rejects.toMatchObject({ name: 'AbortError' })
  })

  it('refuses a WASI preview2 component before loading anything, saying why and where it can run', async () => {
    const loader = hangingLoader()
    await expect(engine(loader).run(request(readFileSync(wasmFixture('component-demo.component'))))).rejects.toMatchObject({
      message: expect.stringMatching(/^WASI preview2 components do not run on edge compute nodes/),
    })
    expect(loader.loaded).toEqual([])
  })
})

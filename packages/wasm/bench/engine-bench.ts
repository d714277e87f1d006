/**
 * Benchmark of the WASM engine (not a test; `npm run bench` calls it): warm hello-world latency
 * and a compute-bound module, each through the engine (worker, WASI host, result copy) versus a
 * direct in-process instantiate+run of the same module with @bjorn3/browser_wasi_shim.
 * Targets: hello <= 3x direct, compute <= 1.05x direct.
 */
import { ConsoleStdout, File, OpenFile, WASI, WASIProcExit } from '@bjorn3/browser_wasi_shim'
import type { Fd } from '@bjorn3/browser_wasi_shim'
import type { Engine, EngineRunRequest } from '@shoal/interface'
import { MemoryVolumeSpace } from '@shoal/compute'

/** Median latencies of one scenario and their ratio (engine / direct). */
export interface BenchFigure {
  engineMs: number
  directMs: number
  ratio: number
  runs: number
}

/** What {@link benchWasmEngine} measured. */
export interface WasmEngineBench {
  hello: BenchFigure
  compute: BenchFigure
}

/** Options of {@link benchWasmEngine}. */
export interface WasmEngineBenchOptions {
  /** Loads `packages/wasm/test/fixtures/<name>`; defaults to fetch (http) or node:fs (file:). */
  loadFixture?: (name: string) => Promise<Uint8Array>
  /** Timed hello runs (after warm-up). Default 50. */
  helloRuns?: number
  /** Timed compute runs. Default 7. */
  computeRuns?: number
  /** Rounds of the compute loop. Default 200 million (~0.4 s on an idle core). */
  computeRounds?: number
}

async function defaultLoadFixture(name: string): Promise<Uint8Array> {
  const url = new URL(`../test/fixtures/${name}`, import.meta.url)
  if (url.protocol === 'file:') {
    const { readFile } = await import('node:fs/promises')
    return new Uint8Array(await readFile(url))
  }
  const response = await fetch(url)
  if (!response.ok) throw new Error(`fixture ${name}: HTTP ${response.status}`)
  return new Uint8Array(await response.arrayBuffer())
}

function request(module: Uint8Array, parameters: string[]): EngineRunRequest {
  return {
    executionId: 'e-bench',
    job: {} as EngineRunRequest['job'],
    partitionIndex: 0,
    task: {
      Name: 'bench',
      Engine: { Type: 'wasm', Params: { EntryModule: '/app/main.wasm', Parameters: parameters } },
      Publisher: { Type: 'noop', Params: {} },
      InputSources: [],
      ResultPaths: [],
    } as unknown as EngineRunRequest['task'],
    inputs: [{ input: { Source: { Type: 'inline', Params: {} }, Alias: '', Target: '/app/main.wasm' }, volume: { kind: 'memory', node: { kind: 'file', data: module } } }],
    space: new MemoryVolumeSpace(),
    env: {},
    limits: { timeoutMs: 0, memoryBytes: 0, outputBytes: 2048 },
  }
}

function runDirect(module: WebAssembly.Module, parameters: string[]): number {
  const fds: Fd[] = [new OpenFile(new File([])), new ConsoleStdout(() => {}), new ConsoleStdout(() => {})]
  const wasi = new WASI(['', ...parameters], [], fds, { debug: false })
  const instance = new WebAssembly.Instance(module, { wasi_snapshot_preview1: wasi.wasiImport })
  try {
    return wasi.start(instance as unknown as Parameters<WASI['start']>[0])
  } catch (error) {
    if (error instanceof WASIProcExit) return error.code
    throw error
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

/** Alternates the two sides run by run, so load from elsewhere on the machine hits both alike. */
async function measurePair(runs: number, warmup: number, a: () => unknown, b: () => unknown): Promise<[number, number]> {
  for (let i = 0; i < warmup; i++) {
    await a()
    await b()
  }
  const times: [number[], number[]] = [[], []]
  for (let i = 0; i < runs; i++) {
    for (const [side, once] of [a, b].entries()) {
      const start = performance.now()
      await once()
      times[side]!.push(performance.now() - start)
    }
  }
  return [median(times[0]), median(times[1])]
}

async function scenario(engine: Engine, bytes: Uint8Array, parameters: string[], runs: number, warmup: number): Promise<BenchFigure> {
  const module = await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>)
  const [engineMs, directMs] = await measurePair(
    runs,
    warmup,
    async () => {
      const result = await engine.run(request(bytes, parameters))
      if (result.exitCode !== 0) throw new Error(`bench module exited with ${result.exitCode}`)
    },
    () => {
      const code = runDirect(module, parameters)
      if (code !== 0) throw new Error(`bench module exited with ${code}`)
    },
  )
  return { engineMs, directMs, ratio: engineMs / directMs, runs }
}

/** Measures `engine` (a wasm engine) against direct instantiation; returns median milliseconds. */
export async function benchWasmEngine(engine: Engine, options: WasmEngineBenchOptions = {}): Promise<WasmEngineBench> {
  const load = options.loadFixture ?? defaultLoadFixture
  const [hello, compute] = await Promise.all([load('hello.wasm'), load('compute.wasm')])
  return {
    hello: await scenario(engine, hello, [], options.helloRuns ?? 50, 5),
    compute: await scenario(engine, compute, [String(options.computeRounds ?? 200_000_000)], options.computeRuns ?? 7, 1),
  }
}

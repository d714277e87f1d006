/**
 * Issue 4: the WASM engine's overhead. Runs packages/wasm/bench/engine-bench.ts (the WASM
 * engineer's scenarios) against `createWasmEngine` on Node worker_threads: a warm hello-world
 * run and a compute-bound module, each next to a direct in-process instantiate+run.
 */
import { createWasmEngine } from '@shoal/wasm'
import { benchWasmEngine } from '../../packages/wasm/bench/engine-bench.ts'
import { createNodeWorkerFactory } from '../../node-runner/src/worker/index.ts'
import { scaled, type BenchContext, type BenchGroup } from './bench-group.ts'
import { baselineOf, type BenchFigure } from './report.ts'

async function run(context: BenchContext): Promise<BenchFigure[]> {
  const engine = createWasmEngine({ workerFactory: createNodeWorkerFactory() })
  try {
    const helloRuns = scaled(context, 200, 20)
    const computeRuns = scaled(context, 7, 2)
    const computeRounds = context.quick ? 20_000_000 : 200_000_000
    context.progress(`engine: ${helloRuns} warm hello runs, ${computeRuns} compute runs of ${computeRounds} rounds (each beside a direct run)`)
    const result = await benchWasmEngine(engine, { helloRuns, computeRuns, computeRounds })
    return [
      {
        id: 'E1',
        name: 'warm hello-world run through the engine (median)',
        value: result.hello.engineMs,
        unit: 'ms',
        goal: { value: 3, better: 'lower', on: 'ratio' },
        baseline: baselineOf('direct instantiate+run (ms)', result.hello.directMs, result.hello.engineMs),
        notes: `${result.hello.runs} runs alternating engine/direct; direct = precompiled module, new Instance, browser_wasi_shim`,
      },
      {
        id: 'E2',
        name: 'compute-bound module through the engine (median)',
        value: result.compute.engineMs,
        unit: 'ms',
        goal: { value: 1.05, better: 'lower', on: 'ratio' },
        baseline: baselineOf('direct instantiate+run (ms)', result.compute.directMs, result.compute.engineMs),
        notes: `compute.wasm ${computeRounds} rounds, ${result.compute.runs} runs alternating engine/direct`,
      },
    ]
  } finally {
    await engine.stop?.()
  }
}

/** The `engine` group. */
export const engineGroup: BenchGroup = {
  name: 'engine',
  summary: 'issue 4: WASM engine vs direct instantiate+run (warm hello latency, compute-bound module)',
  run,
}

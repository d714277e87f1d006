/**
 * Issue 5, P2: job latency with a browser tab as the compute node. The browser engineer provides
 * test/bench/p2-browser.ts exporting `benchBrowserLatency({ jobs })`; this group runs it when the
 * file exists and says so when it does not.
 */
import { access } from 'node:fs/promises'
import { scaled, type BenchContext, type BenchGroup } from './bench-group.ts'
import type { BenchFigure } from './report.ts'

const P2_MODULE = new URL('./p2-browser.ts', import.meta.url)

/** The contract of test/bench/p2-browser.ts. */
interface P2Module {
  benchBrowserLatency(options: { jobs: number; signal?: AbortSignal; progress?: (line: string) => void }): Promise<BenchFigure[] | BenchFigure>
}

async function run(context: BenchContext): Promise<BenchFigure[]> {
  try {
    await access(P2_MODULE)
  } catch {
    context.note('P2: not available (test/bench/p2-browser.ts missing)')
    return []
  }
  const p2 = (await import(P2_MODULE.href)) as Partial<P2Module>
  if (typeof p2.benchBrowserLatency !== 'function') throw new Error('test/bench/p2-browser.ts must export benchBrowserLatency({ jobs })')
  const result = await p2.benchBrowserLatency({ jobs: scaled(context, 200, 20), signal: context.signal, progress: context.progress })
  return Array.isArray(result) ? result : [result]
}

/** The `browser` group. */
export const browserGroup: BenchGroup = {
  name: 'browser',
  summary: 'issue 5 P2: job latency with a browser compute node (test/bench/p2-browser.ts, when present)',
  run,
}

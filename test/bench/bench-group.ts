import type { BenchFigure } from './report.ts'

/** What a group gets from the runner. */
export interface BenchContext {
  /** One progress line on stderr (long groups report as they go). */
  progress(line: string): void
  /** A line for the report itself (stdout and the JSON), e.g. why a figure is missing. */
  note(line: string): void
  /** Smaller workloads, for checking that the harness runs (`npm run bench -- --quick`). */
  quick: boolean
  /** Aborted on Ctrl-C; groups stop their loops and child processes. */
  signal: AbortSignal
}

/** One named group of `npm run bench`: measures some targets of one issue. */
export interface BenchGroup {
  /** The name given on the command line, e.g. "orchestrator". */
  name: string
  /** One line on what it measures. */
  summary: string
  run(context: BenchContext): Promise<BenchFigure[]>
}

/** Scales a workload down for --quick runs (never below `min`). */
export function scaled(context: BenchContext, full: number, min = 1): number {
  return context.quick ? Math.max(min, Math.round(full / 10)) : full
}

import { formatBinaryBytes } from '@shoal/models'
import type { TextSink } from './cli-io.ts'
import { formatDuration } from './time-format.ts'

/** Where one result's download has got to. */
export interface DownloadProgress {
  /** Which result (0-based) of how many. */
  index: number
  count: number
  /** Bytes received so far. */
  done: number
  /** The archive's size from Content-Length, when the server sent one. */
  total?: number
  /** True once the result is downloaded and unpacked. */
  finished?: boolean
}

/** Options of {@link renderDownloadProgress}. */
export interface RenderDownloadProgressOptions {
  /** Time since the download started, ms (for the rate). */
  elapsedMs: number
  /** Terminal width: the line is cut to fit (dropping the bar first). */
  columns?: number
}

const BAR_WIDTH = 24

/** Bytes per second over the elapsed time, e.g. `12.5 MiB/s`; empty before any time has passed. */
function rate(done: number, elapsedMs: number): string {
  return elapsedMs > 0 ? `${formatBinaryBytes((done * 1000) / elapsedMs)}/s` : ''
}

/**
 * One progress line of `job get`, e.g.
 * `result 1/2 [######----------------]  25%  512 MiB / 2.0 GiB  45.3 MiB/s`, or without a
 * Content-Length `result 1/2  512 MiB  45.3 MiB/s`. Cut to `columns` so a redrawn line never wraps.
 */
export function renderDownloadProgress(progress: DownloadProgress, options: RenderDownloadProgressOptions): string {
  const which = `result ${progress.index + 1}/${progress.count}`
  const speed = rate(progress.done, options.elapsedMs)
  const known = progress.total !== undefined && progress.total > 0
  const fraction = known ? Math.min(1, progress.done / progress.total!) : 0
  // The percentage is padded to 4 ("  5%", "100%") so the figures after it do not shift.
  const amount = known ? `${`${Math.floor(fraction * 100)}%`.padStart(4)}  ${formatBinaryBytes(progress.done)} / ${formatBinaryBytes(progress.total!)}` : ` ${formatBinaryBytes(progress.done)}`
  const tail = `${amount}${speed ? `  ${speed}` : ''}`
  const filled = Math.floor(fraction * BAR_WIDTH)
  const bar = known ? ` [${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}]` : ''
  const line = `${which}${bar} ${tail}`
  const columns = options.columns ?? 0
  if (columns <= 10 || line.length < columns) return line
  const short = `${which} ${tail}`
  return short.length < columns ? short : short.slice(0, columns - 1)
}

/** Options of {@link DownloadProgressReporter}. */
export interface DownloadProgressReporterOptions {
  stream: TextSink
  now(): number
  /** Least time between redraws on a terminal, ms (default 100). */
  redrawMs?: number
  /** Least time between plain lines when not on a terminal, ms (default 10 s). */
  plainMs?: number
}

/**
 * Shows `job get`'s download on stderr: a bar redrawn in place on a terminal (at most every
 * 100 ms), else a plain line at most every 10 s, so a quick download prints nothing and a long
 * one a line now and then for logs.
 */
export class DownloadProgressReporter {
  private readonly options: DownloadProgressReporterOptions
  private started: number | undefined
  private current: number | undefined
  private lastWrite = Number.NEGATIVE_INFINITY
  private drawn = false

  constructor(options: DownloadProgressReporterOptions) {
    this.options = options
  }

  /** Takes a new figure (from downloadResults' onProgress). */
  update(progress: DownloadProgress): void {
    const now = this.options.now()
    if (this.current !== progress.index) {
      this.current = progress.index
      this.started = now
    }
    const elapsedMs = now - (this.started ?? now)
    const tty = this.options.stream.isTTY === true
    if (tty) {
      if (!progress.finished && now - this.lastWrite < (this.options.redrawMs ?? 100)) return
      // A finished result keeps its line, with the time it took; the next one draws below it.
      const suffix = progress.finished ? `  ${formatDuration(elapsedMs)}` : ''
      const columns = this.options.stream.columns === undefined ? undefined : this.options.stream.columns - suffix.length
      const line = renderDownloadProgress(progress, { elapsedMs, columns })
      this.options.stream.write(`\r\u001b[2K${line}${suffix}${progress.finished ? '\n' : ''}`)
      this.drawn = !progress.finished
    } else {
      if (progress.finished || now - this.lastWrite < (this.options.plainMs ?? 10_000) || elapsedMs < (this.options.plainMs ?? 10_000)) return
      this.options.stream.write(`${renderDownloadProgress(progress, { elapsedMs })}\n`)
    }
    this.lastWrite = now
  }

  /** Ends a line left half drawn (the download failed or was cancelled). */
  end(): void {
    if (this.drawn) this.options.stream.write('\n')
    this.drawn = false
  }
}

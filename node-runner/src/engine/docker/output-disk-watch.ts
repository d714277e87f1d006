/**
 * Holds a container to its disk budget: dockerd has no quota for bind-mounted directories, so
 * the engine measures the container's output directories at a bounded frequency while it runs,
 * and once more after it exits, and ends it when they hold more than the budget.
 */
import type { AbortOptions } from '@shoal/interface'
import { directoryUsage } from '../../storage/directory-usage.ts'

/** Options of {@link watchOutputDisk}. */
export interface OutputDiskWatchOptions {
  /** The host directories the container writes (its ResultPaths). */
  directories: readonly string[]
  /** Bytes they may hold together. */
  budgetBytes: number
  /** Shortest pause between two measurements (default 250 ms). */
  minIntervalMs?: number
  /** Longest pause: a walk that takes long waits this long at most (default 5 s). */
  maxIntervalMs?: number
  /** Called once, with the bytes found, when the directories hold more than the budget. */
  onExceeded: (usedBytes: number) => void
}

/** A running watch; stop() ends it. */
export interface OutputDiskWatch {
  /** Ends the measurements while the container runs (onExceeded is not called after it). */
  stop(): void
  /** Measures once more (after the container exited): the bytes found, or undefined when within budget. */
  check(options?: AbortOptions): Promise<number | undefined>
}

const DEFAULT_MIN_INTERVAL_MS = 250
const DEFAULT_MAX_INTERVAL_MS = 5000
/** A walk may take at most this share of the time: pauses grow with the walk's duration. */
const WALK_SHARE = 0.1

/** Starts measuring `directories` until stop(); calls onExceeded at most once. */
export function watchOutputDisk(options: OutputDiskWatchOptions): OutputDiskWatch {
  const minMs = options.minIntervalMs ?? DEFAULT_MIN_INTERVAL_MS
  const maxMs = Math.max(minMs, options.maxIntervalMs ?? DEFAULT_MAX_INTERVAL_MS)
  const polling = new AbortController()
  let timer: ReturnType<typeof setTimeout> | undefined

  const measure = async (signal: AbortSignal | undefined): Promise<number | undefined> => {
    const used = await directoryUsage(options.directories, { stopAbove: options.budgetBytes, signal })
    return used > options.budgetBytes ? used : undefined
  }

  const poll = async (): Promise<void> => {
    const started = performance.now()
    const used = await measure(polling.signal).catch(() => undefined)
    if (polling.signal.aborted) return
    if (used !== undefined) {
      options.onExceeded(used)
      return
    }
    schedule(Math.min(maxMs, Math.max(minMs, (performance.now() - started) / WALK_SHARE)))
  }

  const schedule = (delayMs: number) => {
    timer = setTimeout(() => void poll(), delayMs)
    timer.unref?.()
  }
  schedule(minMs)

  return {
    stop: () => {
      polling.abort()
      clearTimeout(timer)
    },
    check: ({ signal } = {}) => measure(signal),
  }
}

import type { Clock } from '@shoal/interface'

/** Options of {@link ProgressThrottle}. */
export interface ProgressThrottleOptions<T> {
  clock: Pick<Clock, 'now' | 'setTimeout' | 'clearTimeout'>
  /** Least time between two sends, ms (default 1000). */
  intervalMs?: number
  /** Delivers one update. */
  send(update: T): void
}

/**
 * Passes on at most one update per interval: the first at once, later ones at the end of the
 * interval, and always the last one reported (so "100%" is not lost). Storage providers report
 * every chunk they move; the requester needs a current figure, not thousands of them.
 */
export class ProgressThrottle<T> {
  private readonly options: ProgressThrottleOptions<T>
  private readonly intervalMs: number
  private lastSent: number | undefined
  private pending: { update: T } | undefined
  private timer: unknown
  private stopped = false

  constructor(options: ProgressThrottleOptions<T>) {
    this.options = options
    this.intervalMs = options.intervalMs ?? 1000
  }

  /** Reports the latest update; it replaces one still waiting for its turn. */
  report(update: T): void {
    if (this.stopped) return
    const now = this.options.clock.now()
    if (this.timer === undefined && (this.lastSent === undefined || now - this.lastSent >= this.intervalMs)) {
      this.deliver(update, now)
      return
    }
    this.pending = { update }
    if (this.timer === undefined) {
      const wait = Math.max(0, this.lastSent! + this.intervalMs - now)
      this.timer = this.options.clock.setTimeout(() => this.flush(), wait)
    }
  }

  /** Drops the update waiting for its turn, if any (the state it describes is over). */
  cancel(): void {
    if (this.timer !== undefined) this.options.clock.clearTimeout(this.timer)
    this.timer = undefined
    this.pending = undefined
  }

  /** Drops what waits and ignores every later report. */
  stop(): void {
    this.stopped = true
    this.cancel()
  }

  private flush(): void {
    this.timer = undefined
    const pending = this.pending
    this.pending = undefined
    if (pending && !this.stopped) this.deliver(pending.update, this.options.clock.now())
  }

  private deliver(update: T, now: number): void {
    this.lastSent = now
    this.options.send(update)
  }
}

import type { Clock } from '@shoal/interface'

interface Timer {
  at: number
  seq: number
  fn: () => void
}

/** Lets queued promise chains and in-memory messages run (one macrotask turn, repeated). */
export async function settle(turns = 3): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => globalThis.setTimeout(resolve, 0))
}

/**
 * A clock tests move by hand. `advance` fires due timers in time order and lets the work they
 * start settle after each, so heartbeats, timeouts and back-offs happen exactly when the test
 * says and never by wall time.
 */
export class ManualClock implements Clock {
  private time: number
  private seq = 0
  private readonly timers = new Map<number, Timer>()

  constructor(start = Date.UTC(2025, 0, 1)) {
    this.time = start
  }

  now(): number {
    return this.time
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq
    this.timers.set(id, { at: this.time + Math.max(0, ms), seq: id, fn })
    return id
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number)
  }

  /** Timers pending (for assertions that nothing polls). */
  get pendingTimers(): number {
    return this.timers.size
  }

  /** Moves time forward by `ms`, firing due timers in order and settling after each. */
  async advance(ms: number): Promise<void> {
    const target = this.time + ms
    for (let fired = 0; fired < 100_000; fired++) {
      let next: Timer | undefined
      for (const t of this.timers.values()) if (t.at <= target && (!next || t.at < next.at || (t.at === next.at && t.seq < next.seq))) next = t
      if (!next) break
      this.timers.delete(next.seq)
      this.time = Math.max(this.time, next.at)
      next.fn()
      await settle(2)
    }
    this.time = target
    await settle(2)
  }
}

import type { Clock } from '@shoal/interface'

/**
 * At most one timer per key, at the earliest deadline asked for: timeouts wake the scheduler
 * when they are due instead of a loop looking for them. Jobs without timeouts cost nothing.
 */
export class DeadlineTimers {
  private readonly clock: Clock
  private readonly timers = new Map<string, { at: number; handle: unknown }>()
  private readonly onDue: (key: string) => void

  constructor(clock: Clock, onDue: (key: string) => void) {
    this.clock = clock
    this.onDue = onDue
  }

  /** Calls onDue(key) at `at` (ms) unless an earlier timer for the key is already set. */
  schedule(key: string, at: number): void {
    const existing = this.timers.get(key)
    if (existing && existing.at <= at) return
    if (existing) this.clock.clearTimeout(existing.handle)
    const handle = this.clock.setTimeout(() => {
      if (this.timers.get(key)?.handle !== handle) return
      this.timers.delete(key)
      this.onDue(key)
    }, Math.max(0, at - this.clock.now()))
    this.timers.set(key, { at, handle })
  }

  /** Forgets the key's timer. */
  clear(key: string): void {
    const existing = this.timers.get(key)
    if (!existing) return
    this.clock.clearTimeout(existing.handle)
    this.timers.delete(key)
  }

  /** Clears every timer. */
  clearAll(): void {
    for (const { handle } of this.timers.values()) this.clock.clearTimeout(handle)
    this.timers.clear()
  }
}

/**
 * Timers for any delay. setTimeout holds its delay in a signed 32-bit integer: past 2^31-1 ms
 * (about 24.8 days) Node, browsers and workerd all fire the timer at once instead. A 30-day
 * ExecutionTimeout must not end the job the moment it starts, so long delays are armed in steps.
 */

/** The longest delay setTimeout honours, in milliseconds. */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1

/** A timer armed by {@link setLongTimeout}; stop it with {@link clearLongTimeout}. */
export interface LongTimeout {
  /** The step armed now. */
  handle: ReturnType<typeof setTimeout> | undefined
}

/**
 * Calls `fn` after `ms` milliseconds, like setTimeout, for delays past {@link MAX_TIMER_DELAY_MS}
 * too: each step waits at most the maximum, and the last one calls `fn`.
 */
export function setLongTimeout(fn: () => void, ms: number): LongTimeout {
  const timer: LongTimeout = { handle: undefined }
  const arm = (remaining: number): void => {
    timer.handle = remaining > MAX_TIMER_DELAY_MS ? setTimeout(() => arm(remaining - MAX_TIMER_DELAY_MS), MAX_TIMER_DELAY_MS) : setTimeout(fn, remaining)
  }
  arm(ms)
  return timer
}

/** Stops a timer from {@link setLongTimeout} (or a plain setTimeout handle); nothing happens if it already fired. */
export function clearLongTimeout(timer: LongTimeout | ReturnType<typeof setTimeout> | undefined): void {
  if (typeof timer === 'object' && timer !== null && 'handle' in timer) clearTimeout(timer.handle)
  else clearTimeout(timer)
}

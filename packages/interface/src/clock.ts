/** A source of time and timers, injected so tests (and deterministic runs) control it. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number
  setTimeout(fn: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

/** The real clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
}

/** Unix nanoseconds of a millisecond timestamp, as Bacalhau stores times. */
export const toNanos = (ms: number): number => ms * 1_000_000

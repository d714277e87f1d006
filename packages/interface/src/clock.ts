import { clearLongTimeout, setLongTimeout } from './long-timeout.ts'
import type { LongTimeout } from './long-timeout.ts'

/**
 * A source of time and timers, injected so tests (and deterministic runs) control it. It is the
 * requester's one timer port: every requester timer (job deadlines, queue back-off, node
 * heartbeats, handshakes) is set through it. In process it is `systemClock`; on a Durable Object
 * it is edge/'s DurableObjectAlarmClock, which also keeps the object's alarm at the earliest timer.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number
  setTimeout(fn: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

/** The real clock; its timers take any delay (long ones are armed in steps, see long-timeout.ts). */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setLongTimeout(fn, ms),
  clearTimeout: (handle) => clearLongTimeout(handle as LongTimeout | undefined),
}

/** Unix nanoseconds of a millisecond timestamp, as Bacalhau stores times. */
export const toNanos = (ms: number): number => ms * 1_000_000

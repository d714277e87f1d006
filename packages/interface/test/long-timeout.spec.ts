/**
 * Long timers on the system clock. Vitest's fake timers stand in for wall time (30 days cannot
 * pass in a test); like Node, browsers and workerd they fire a delay over 2^31-1 ms after 1 ms,
 * which is the failure this guards against.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { MAX_TIMER_DELAY_MS, systemClock } from '../src/index.ts'

const DAY_MS = 24 * 60 * 60 * 1000

describe('systemClock timers past 2^31-1 ms', () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('a 30-day timer (an ExecutionTimeout of 2,592,000 s) fires after 30 days, not at once', () => {
    const fired = vi.fn()
    systemClock.setTimeout(fired, 30 * DAY_MS)
    vi.advanceTimersByTime(1000)
    expect(fired).not.toHaveBeenCalled()
    vi.advanceTimersByTime(30 * DAY_MS - 1000 - 1)
    expect(fired).not.toHaveBeenCalled()
    vi.advanceTimersByTime(1)
    expect(fired).toHaveBeenCalledTimes(1)
    vi.advanceTimersByTime(365 * DAY_MS)
    expect(fired).toHaveBeenCalledTimes(1)
  })

  it('fires a timer of exactly the maximum, and one just past it, on time', () => {
    const atMax = vi.fn()
    const pastMax = vi.fn()
    systemClock.setTimeout(atMax, MAX_TIMER_DELAY_MS)
    systemClock.setTimeout(pastMax, MAX_TIMER_DELAY_MS + 1)
    vi.advanceTimersByTime(MAX_TIMER_DELAY_MS - 1)
    expect([atMax.mock.calls.length, pastMax.mock.calls.length]).toEqual([0, 0])
    vi.advanceTimersByTime(1)
    expect([atMax.mock.calls.length, pastMax.mock.calls.length]).toEqual([1, 0])
    vi.advanceTimersByTime(1)
    expect([atMax.mock.calls.length, pastMax.mock.calls.length]).toEqual([1, 1])
  })

  it('clearTimeout stops a long timer in any of its steps', () => {
    const early = vi.fn()
    const late = vi.fn()
    const first = systemClock.setTimeout(early, 60 * DAY_MS)
    const second = systemClock.setTimeout(late, 60 * DAY_MS)
    systemClock.clearTimeout(first)
    vi.advanceTimersByTime(40 * DAY_MS)
    systemClock.clearTimeout(second)
    vi.advanceTimersByTime(40 * DAY_MS)
    expect(early).not.toHaveBeenCalled()
    expect(late).not.toHaveBeenCalled()
    expect(vi.getTimerCount()).toBe(0)
  })
})

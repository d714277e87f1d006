import { describe, expect, it } from 'vitest'
import type { Clock } from '@shoal/interface'
import { ProgressThrottle } from '../src/progress-throttle.ts'

/** A clock the test moves by hand; timers fire synchronously when their time comes. */
class HandClock implements Pick<Clock, 'now' | 'setTimeout' | 'clearTimeout'> {
  time = 0
  private seq = 0
  readonly timers = new Map<number, { at: number; fn: () => void }>()
  now(): number {
    return this.time
  }
  setTimeout(fn: () => void, ms: number): unknown {
    this.timers.set(++this.seq, { at: this.time + ms, fn })
    return this.seq
  }
  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number)
  }
  advance(ms: number): void {
    const target = this.time + ms
    for (let turn = 0; turn < 1000; turn++) {
      const due = [...this.timers].filter(([, t]) => t.at <= target).sort((a, b) => a[1].at - b[1].at)[0]
      if (!due) break
      this.timers.delete(due[0])
      this.time = due[1].at
      due[1].fn()
    }
    this.time = target
  }
}

function throttle() {
  const clock = new HandClock()
  const sent: Array<{ at: number; value: number }> = []
  const progress = new ProgressThrottle<number>({ clock, intervalMs: 1000, send: (value) => sent.push({ at: clock.now(), value }) })
  return { clock, sent, progress }
}

describe('ProgressThrottle', () => {
  it('sends the first figure at once and at most one a second after, the latest of each second', () => {
    const { clock, sent, progress } = throttle()
    // 10 000 chunks over 5 seconds, one every 0.5 ms.
    for (let chunk = 1; chunk <= 10_000; chunk++) {
      progress.report(chunk)
      clock.advance(0.5)
    }
    clock.advance(1000)
    expect(sent.map((s) => s.at)).toEqual([0, 1000, 2000, 3000, 4000, 5000])
    expect(sent[0].value).toBe(1)
    expect(sent.at(-1)?.value).toBe(10_000)
    for (const [i, s] of sent.entries()) if (i > 0) expect(s.at - sent[i - 1].at).toBeGreaterThanOrEqual(1000)
  })

  it('delivers the last figure even when nothing follows it', () => {
    const { clock, sent, progress } = throttle()
    progress.report(1)
    clock.advance(10)
    progress.report(2)
    progress.report(3)
    expect(sent.map((s) => s.value)).toEqual([1])
    clock.advance(990)
    expect(sent.map((s) => s.value)).toEqual([1, 3])
    expect(clock.timers.size).toBe(0)
  })

  it('sends at once again after a quiet interval', () => {
    const { clock, sent, progress } = throttle()
    progress.report(1)
    clock.advance(5000)
    progress.report(2)
    expect(sent).toEqual([{ at: 0, value: 1 }, { at: 5000, value: 2 }])
  })

  it('cancel drops the waiting figure (its state is over) and later figures still flow', () => {
    const { clock, sent, progress } = throttle()
    progress.report(1)
    progress.report(2)
    progress.cancel()
    clock.advance(2000)
    expect(sent.map((s) => s.value)).toEqual([1])
    progress.report(3)
    expect(sent.map((s) => s.value)).toEqual([1, 3])
  })

  it('stop drops the waiting figure and ignores later reports, leaving no timer behind', () => {
    const { clock, sent, progress } = throttle()
    progress.report(1)
    progress.report(2)
    progress.stop()
    progress.report(3)
    clock.advance(5000)
    expect(sent.map((s) => s.value)).toEqual([1])
    expect(clock.timers.size).toBe(0)
  })
})

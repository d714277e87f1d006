/**
 * The requester's timer port (the `Clock` every requester timer goes through: job deadlines,
 * queue back-off, node heartbeats, handshakes) on a Durable Object. While the object lives, each
 * timer is an ordinary in-memory timer; the object's one alarm is kept at the earliest of them,
 * so an object that was evicted or hibernated is started again by the runtime when its next
 * deadline comes. Timers do not survive eviction themselves: the object's `alarm()` handler
 * starts the requester again, which re-derives every deadline from the job store (as on any
 * restart), and then calls `fire()` for whatever is due.
 *
 * The alarm is a storage write, so it is only moved when a timer earlier than it is set (or it
 * fired): a heartbeat timer pushed later on every heartbeat costs nothing.
 */
import type { DurableObjectStorage } from 'cloudflare:workers'
import { clearLongTimeout, setLongTimeout, type Clock, type LongTimeout, type Logger } from '@shoal/interface'

interface Timer {
  at: number
  fn: () => void
  step: LongTimeout
}

/** Options of DurableObjectAlarmClock. */
export interface DurableObjectAlarmClockOptions {
  /** The object's storage: its alarm is set through it. */
  storage: Pick<DurableObjectStorage, 'setAlarm' | 'getAlarm'>
  /** Where a failure to set the alarm is reported. */
  logger: Logger
  /** Milliseconds since the Unix epoch (default Date.now). */
  now?: () => number
}

/** A Clock whose timers also keep the Durable Object's alarm at the earliest deadline. */
export class DurableObjectAlarmClock implements Clock {
  readonly #storage: DurableObjectAlarmClockOptions['storage']
  readonly #logger: Logger
  readonly #now: () => number
  readonly #timers = new Set<Timer>()
  /** When the object's alarm is set for, as far as this clock knows (undefined: not set). */
  #alarmAt: number | undefined
  #loaded: Promise<void> | undefined

  constructor(options: DurableObjectAlarmClockOptions) {
    this.#storage = options.storage
    this.#logger = options.logger
    this.#now = options.now ?? (() => Date.now())
  }

  now(): number {
    return this.#now()
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const at = this.#now() + Math.max(0, ms)
    const timer: Timer = { at, fn, step: { handle: undefined } }
    timer.step = setLongTimeout(() => this.#run(timer), Math.max(0, ms))
    this.#timers.add(timer)
    this.#keepAlarmBy(at)
    return timer
  }

  clearTimeout(handle: unknown): void {
    const timer = handle as Timer | undefined
    if (timer === undefined || !this.#timers.delete(timer)) return
    clearLongTimeout(timer.step)
    // The alarm stays where it is: when it fires with nothing due, fire() moves it on.
  }

  /** The earliest pending deadline (ms since the epoch), if any. */
  nextDeadline(): number | undefined {
    let earliest: number | undefined
    for (const timer of this.#timers) if (earliest === undefined || timer.at < earliest) earliest = timer.at
    return earliest
  }

  /** Pending timers. */
  get size(): number {
    return this.#timers.size
  }

  /**
   * Called from the object's `alarm()` handler: runs every timer that is due and sets the alarm
   * for the next deadline. The runtime has cleared the alarm that fired.
   */
  async fire(): Promise<void> {
    this.#alarmAt = undefined
    const now = this.#now()
    for (const timer of [...this.#timers]) if (timer.at <= now) this.#run(timer)
    const next = this.nextDeadline()
    if (next !== undefined) await this.#setAlarm(next)
  }

  #run(timer: Timer): void {
    if (!this.#timers.delete(timer)) return
    clearLongTimeout(timer.step)
    try {
      timer.fn()
    } catch (error) {
      this.#logger.error('timer callback failed', { error: error instanceof Error ? error.message : String(error) })
    }
  }

  #keepAlarmBy(at: number): void {
    if (this.#alarmAt !== undefined && this.#alarmAt <= at) return
    void this.#loadAlarm().then(() => {
      // Decided now, not when the timer was set: it may have fired or been cleared meanwhile.
      const next = this.nextDeadline()
      if (next === undefined || (this.#alarmAt !== undefined && this.#alarmAt <= next)) return
      return this.#setAlarm(next)
    })
  }

  /** Reads the alarm left by an earlier life of the object once, so it is not moved later by mistake. */
  #loadAlarm(): Promise<void> {
    this.#loaded ??= this.#storage.getAlarm().then(
      (at) => {
        if (at !== null && (this.#alarmAt === undefined || at < this.#alarmAt)) this.#alarmAt = at
      },
      (error: unknown) => this.#logger.warn('cannot read the alarm', { error: error instanceof Error ? error.message : String(error) }),
    )
    return this.#loaded
  }

  async #setAlarm(at: number): Promise<void> {
    this.#alarmAt = at
    try {
      await this.#storage.setAlarm(at)
    } catch (error) {
      this.#alarmAt = undefined
      this.#logger.error('cannot set the alarm: an evicted object may wake late', { error: error instanceof Error ? error.message : String(error) })
    }
  }
}

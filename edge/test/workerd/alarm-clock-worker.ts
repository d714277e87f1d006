/**
 * A test worker for workerd: DurableObjectAlarmClock against a real Durable Object's alarm
 * (`ctx.storage.getAlarm/setAlarm`). Same protocol as job-store-compliance-worker.ts: GET /tests,
 * GET /run?test=NAME&object=KEY.
 */
import { DurableObject, type DurableObjectState } from 'cloudflare:workers'
import { silentLogger } from '@shoal/interface'
import { describe, expect, it } from 'vitest'
import { DurableObjectAlarmClock } from '../../src/alarm-clock.ts'
import { collectedTests, runCollectedTest } from './vitest-in-workerd.ts'

let currentState: DurableObjectState | undefined
const storage = () => currentState!.storage

// Far-off delays: the in-memory timers never come due on their own during a test; `now` is
// moved by hand and fire() decides what is due.
const DAY = 24 * 3600 * 1000
const T0 = 2_000_000_000_000

function clockAt(time: { now: number }) {
  return new DurableObjectAlarmClock({ storage: storage(), logger: silentLogger, now: () => time.now })
}

/** Lets the clock's pending alarm writes finish. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 10))

describe('DurableObjectAlarmClock', () => {
  it('keeps the alarm at the earliest timer: an earlier one moves it, a later one leaves it', async () => {
    const time = { now: T0 }
    const clock = clockAt(time)
    clock.setTimeout(() => {}, 2 * DAY)
    await settle()
    expect(await storage().getAlarm()).toBe(T0 + 2 * DAY)
    clock.setTimeout(() => {}, 5 * DAY)
    await settle()
    expect(await storage().getAlarm()).toBe(T0 + 2 * DAY)
    clock.setTimeout(() => {}, DAY)
    await settle()
    expect(await storage().getAlarm()).toBe(T0 + DAY)
    expect(clock.nextDeadline()).toBe(T0 + DAY)
  })

  it('fire() runs the timers that are due, in any order set, skips cleared ones, and sets the alarm for the next', async () => {
    const time = { now: T0 }
    const clock = clockAt(time)
    const ran: string[] = []
    clock.setTimeout(() => ran.push('third'), 3 * DAY)
    clock.setTimeout(() => ran.push('first'), DAY)
    const cleared = clock.setTimeout(() => ran.push('cleared'), DAY)
    clock.setTimeout(() => ran.push('second'), 2 * DAY)
    clock.clearTimeout(cleared)
    time.now = T0 + 2 * DAY
    await clock.fire()
    expect(ran.sort()).toEqual(['first', 'second'])
    expect(await storage().getAlarm()).toBe(T0 + 3 * DAY)
    expect(clock.size).toBe(1)
    time.now = T0 + 3 * DAY
    await clock.fire()
    expect(ran).toContain('third')
    expect(clock.size).toBe(0)
  })

  it('does not move an alarm left by an earlier life of the object to a later time', async () => {
    await storage().setAlarm(T0 + DAY)
    const time = { now: T0 }
    const clock = clockAt(time)
    clock.setTimeout(() => {}, 4 * DAY)
    await settle()
    expect(await storage().getAlarm()).toBe(T0 + DAY)
  })

  it('a timer callback that throws does not stop the others', async () => {
    const time = { now: T0 }
    const clock = clockAt(time)
    const ran: string[] = []
    clock.setTimeout(() => {
      throw new Error('broken callback')
    }, DAY)
    clock.setTimeout(() => ran.push('ok'), DAY)
    time.now = T0 + DAY
    await clock.fire()
    expect(ran).toEqual(['ok'])
  })
})

/** Runs one test in its own object (and so on its own alarm). */
export class ClockObject extends DurableObject<unknown> {
  async fetch(request: Request): Promise<Response> {
    const name = new URL(request.url).searchParams.get('test')
    const test = collectedTests.find((candidate) => candidate.name === name)
    if (test === undefined) return Response.json({ ok: false, message: `no test named ${name}` }, { status: 404 })
    currentState = this.ctx
    try {
      const failure = await runCollectedTest(test)
      return Response.json(failure === undefined ? { ok: true } : { ok: false, ...failure })
    } finally {
      currentState = undefined
    }
  }

  /** The clock sets real alarms; the tests call fire() themselves. */
  async alarm(): Promise<void> {}
}

interface Env {
  CLOCK: DurableObjectNamespace
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url)
    if (url.pathname === '/tests') return Response.json(collectedTests.map((test) => test.name))
    const key = url.searchParams.get('object') ?? crypto.randomUUID()
    return env.CLOCK.get(env.CLOCK.idFromName(key)).fetch(request)
  },
}

/**
 * DurableObjectAlarmClock (the requester's timer port on the edge) against a real Durable
 * Object alarm, in workerd (miniflare, offline). The end-to-end proof that an object wakes for
 * its deadline after workerd is killed is test/e2e/edge-restart.spec.ts.
 */
import { fileURLToPath } from 'node:url'
import { describe } from 'vitest'
import { defineWorkerdTests } from './workerd/run-in-workerd.ts'

describe('in workerd', async () => {
  await defineWorkerdTests({
    entry: fileURLToPath(new URL('./workerd/alarm-clock-worker.ts', import.meta.url)),
    binding: 'CLOCK',
    className: 'ClockObject',
  })
})

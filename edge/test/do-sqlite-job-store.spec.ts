/**
 * The JobStore compliance suite on Durable Object SQLite, in workerd (miniflare, offline): the
 * suite is bundled into a test worker and each of its tests runs inside its own Durable Object
 * with SqlJobStore over DurableObjectSqlDatabase, so transactions go through the object's
 * transactionSync/transaction exactly as in production. Vitest reports each test here by name.
 */
import { fileURLToPath } from 'node:url'
import { Miniflare } from 'miniflare'
import { afterAll, describe, it } from 'vitest'
import { buildTestWorker } from './workerd/build-test-worker.ts'

const script = await buildTestWorker(fileURLToPath(new URL('./workerd/job-store-compliance-worker.ts', import.meta.url)))
const mf = new Miniflare({
  modules: true,
  script,
  compatibilityDate: '2026-07-30',
  durableObjects: { COMPLIANCE: { className: 'ComplianceObject', useSQLite: true } },
})
const names = (await (await mf.dispatchFetch('http://compliance/tests')).json()) as string[]

afterAll(() => mf.dispose())

describe('in workerd', () => {
  it('collects the whole compliance suite', ({ expect }) => {
    expect(names.length).toBeGreaterThan(40)
  })

  names.forEach((name, index) => {
    it(name, async () => {
      const url = `http://compliance/run?test=${encodeURIComponent(name)}&object=test-${index}`
      const outcome = (await (await mf.dispatchFetch(url)).json()) as { ok: boolean; message?: string; stack?: string }
      if (!outcome.ok) throw Object.assign(new Error(outcome.message), { stack: outcome.stack })
    })
  })
})

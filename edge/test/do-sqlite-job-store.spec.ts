/**
 * The JobStore compliance suite on Durable Object SQLite, in workerd (miniflare, offline): the
 * suite is bundled into a test worker and each of its tests runs inside its own Durable Object
 * with SqlJobStore over DurableObjectSqlDatabase, so transactions go through the object's
 * transactionSync/transaction exactly as in production. Vitest reports each test here by name.
 */
import { fileURLToPath } from 'node:url'
import { describe, it } from 'vitest'
import { defineWorkerdTests } from './workerd/run-in-workerd.ts'

describe('in workerd', async () => {
  const names = await defineWorkerdTests({
    entry: fileURLToPath(new URL('./workerd/job-store-compliance-worker.ts', import.meta.url)),
    binding: 'COMPLIANCE',
    className: 'ComplianceObject',
  })
  it('collects the whole compliance suite', ({ expect }) => {
    expect(names.length).toBeGreaterThan(40)
  })
})

/**
 * A test worker for workerd: the JobStore compliance suite (packages/orchestrator/test/store)
 * against SqlJobStore on Durable Object SQLite through DurableObjectSqlDatabase. GET /tests
 * lists the suite's tests; GET /run?test=NAME&object=KEY runs one in a fresh Durable Object
 * (KEY names it), so each test gets an empty database, and answers { ok, message?, stack? }.
 */
import { DurableObject, type DurableObjectState } from 'cloudflare:workers'
import { SqlJobStore } from '../../../packages/orchestrator/src/store/index.ts'
import { runJobStoreCompliance } from '../../../packages/orchestrator/test/store/job-store-compliance.ts'
import { DurableObjectSqlDatabase } from '../../src/durable-object-sql-database.ts'
import { collectedTests, runCollectedTest } from './vitest-in-workerd.ts'

/** The storage of the object running the current test (one test runs per object). */
let currentState: DurableObjectState | undefined

runJobStoreCompliance('SqlJobStore on Durable Object SQLite', async ({ clock }) => {
  if (currentState === undefined) throw new Error('no Durable Object is running a test')
  const store = new SqlJobStore({ db: new DurableObjectSqlDatabase(currentState.storage), clock })
  return { store, cleanup: () => store.close() }
})

/** Runs one compliance test on its own SQLite database. */
export class ComplianceObject extends DurableObject<unknown> {
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
}

interface Env {
  COMPLIANCE: DurableObjectNamespace
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url)
    if (url.pathname === '/tests') return Response.json(collectedTests.map((test) => test.name))
    const key = url.searchParams.get('object') ?? crypto.randomUUID()
    return env.COMPLIANCE.get(env.COMPLIANCE.idFromName(key)).fetch(request)
  },
}

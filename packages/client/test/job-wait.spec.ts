/** client.waitForJob: long polls a Shoal requester; polls one without the wait route (upstream Bacalhau). */
import { describe, expect, it } from 'vitest'
import { AbortError } from '@shoal/models'
import { ApiError, createClient } from '../src/index.ts'
import { createRequesterApp } from '../../orchestrator/src/api/index.ts'
import { FakeRequesterService } from '../../orchestrator/test/api/helpers/fake-requester-service.ts'
import { jobSpec } from '../../orchestrator/test/api/helpers/fixtures.ts'

/**
 * A client over an in-process requester app. `withoutWaitRoute` answers the Shoal-only route
 * as an upstream Bacalhau requester does (404; its Echo server's body), which cannot run here.
 */
function setup(options: { withoutWaitRoute?: boolean } = {}) {
  const service = new FakeRequesterService()
  const app = createRequesterApp({ service })
  const paths: string[] = []
  const client = createClient({
    baseUrl: 'http://127.0.0.1:1234',
    fetch: async (input, init) => {
      const request = new Request(input, init)
      const path = new URL(request.url).pathname
      paths.push(path)
      if (options.withoutWaitRoute && path.startsWith('/api/v1/shoal/')) {
        return new Response(JSON.stringify({ message: 'Not Found' }), { status: 404, headers: { 'Content-Type': 'application/json' } })
      }
      return app.request(request)
    },
  })
  return { service, client, paths }
}

/** Moves the job to `state` and announces it as the Requester does. */
async function changeState(service: FakeRequesterService, jobId: string, state: 'Running' | 'Completed'): Promise<void> {
  await service.store.updateJobState({ jobId, newState: state })
  service.dispatchEvent(new CustomEvent('job', { detail: { jobId, state } }))
}

describe('waitForJob', () => {
  it('long polls: each request is answered by a change of the job, until the job settles', async () => {
    const { service, client, paths } = setup()
    const { JobID } = await client.putJob(jobSpec())
    const states: string[] = []
    const done = client.waitForJob(JobID, {
      onUpdate: (view) => {
        states.push(view.Job.State.StateType)
        // Each change happens while the next long poll is (or is about to be) held.
        if (view.Job.State.StateType === 'Pending') void changeState(service, JobID, 'Running')
        if (view.Job.State.StateType === 'Running') void changeState(service, JobID, 'Completed')
      },
    })
    const view = await done
    expect(view.Job.State.StateType).toBe('Completed')
    expect(view.Executions).toEqual({ Items: [], NextToken: '' })
    expect(states).toEqual(['Pending', 'Running', 'Completed'])
    const waits = paths.filter((p) => p.endsWith('/wait'))
    expect(waits).toHaveLength(3)
    expect(paths.filter((p) => p.startsWith('/api/v1/orchestrator/jobs/'))).toHaveLength(0)
  })

  it('falls back to polling GET /jobs/{id} when the requester has no wait route', async () => {
    const { service, client, paths } = setup({ withoutWaitRoute: true })
    const { JobID } = await client.putJob(jobSpec())
    let polls = 0
    const view = await client.waitForJob(JobID, {
      pollIntervalMs: 1,
      until: (job) => job.State.StateType === 'Running',
      onUpdate: () => {
        if (++polls === 3) void changeState(service, JobID, 'Running')
      },
    })
    expect(view.Job.State.StateType).toBe('Running')
    // One refused wait, then polls only.
    expect(paths.filter((p) => p.endsWith('/wait'))).toHaveLength(1)
    expect(paths.filter((p) => p === `/api/v1/orchestrator/jobs/${JobID}`).length).toBeGreaterThanOrEqual(3)
  })

  it("reports an unknown job with the requester's 404, with or without the wait route", async () => {
    for (const withoutWaitRoute of [false, true]) {
      const { client } = setup({ withoutWaitRoute })
      const error = await client.waitForJob('j-missing').catch((e: unknown) => e)
      expect(error).toBeInstanceOf(ApiError)
      expect((error as ApiError).status).toBe(404)
      expect((error as ApiError).message).toContain('j-missing')
    }
  })

  it('ends with AbortError when the signal aborts during a held request', async () => {
    const { client } = setup()
    const { JobID } = await client.putJob(jobSpec())
    const controller = new AbortController()
    const waiting = client.waitForJob(JobID, { signal: controller.signal, onUpdate: () => controller.abort() })
    await expect(waiting).rejects.toBeInstanceOf(AbortError)
  })
})

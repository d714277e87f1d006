/**
 * GET /api/v1/shoal/jobs/{id}/wait: answers at once when the client's view is stale, wakes on the
 * Requester's job event, answers with the unchanged job at the timeout, and caps its waiters.
 */
import { describe, expect, it } from 'vitest'
import { createHarness } from './helpers/api-harness.ts'
import type { ApiHarness } from './helpers/api-harness.ts'
import { jobSpec } from './helpers/fixtures.ts'

async function submitted(h: ApiHarness): Promise<string> {
  const { body } = await h.json('PUT', '/api/v1/orchestrator/jobs', { Job: jobSpec() })
  return body.JobID
}

/** Moves the job to `state` and announces it as the Requester does. */
async function changeState(h: ApiHarness, jobId: string, state: 'Running' | 'Completed'): Promise<void> {
  await h.service.store.updateJobState({ jobId, newState: state })
  h.service.dispatchEvent(new CustomEvent('job', { detail: { jobId, state } }))
}

/** True once `promise` has settled (checked after the event loop had a turn). */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false
  void promise.then(() => (done = true), () => (done = true))
  await new Promise((r) => setTimeout(r, 20))
  return done
}

describe('job wait (long poll)', () => {
  it('answers at once with the job and its executions when the client has another state, or none', async () => {
    const h = createHarness()
    const id = await submitted(h)
    const stale = await h.json('GET', `/api/v1/shoal/jobs/${id}/wait?state=Running&version=1&timeout=60s`)
    expect(stale.status).toBe(200)
    expect(stale.body).toMatchObject({ Job: { ID: id, State: { StateType: 'Pending' } }, Changed: true, Executions: { Items: [] } })
    const none = await h.json('GET', `/api/v1/shoal/jobs/${id}/wait`)
    expect(none.body).toMatchObject({ Job: { ID: id }, Changed: true })
    const otherVersion = await h.json('GET', `/api/v1/shoal/jobs/${id}/wait?state=Pending&version=7&timeout=60s`)
    expect(otherVersion.body.Changed).toBe(true)
  })

  it('holds the request while the state is unchanged and answers when the job changes', async () => {
    const h = createHarness()
    const id = await submitted(h)
    const waiting = h.json('GET', `/api/v1/shoal/jobs/${id}/wait?state=Pending&version=1&timeout=60s`)
    expect(await settled(waiting)).toBe(false)
    // Another job's change does not wake it.
    h.service.dispatchEvent(new CustomEvent('job', { detail: { jobId: 'j-other', state: 'Running' } }))
    expect(await settled(waiting)).toBe(false)
    await changeState(h, id, 'Running')
    const answer = await waiting
    expect(answer.status).toBe(200)
    expect(answer.body).toMatchObject({ Job: { ID: id, State: { StateType: 'Running' } }, Changed: true })
  })

  it('answers with the unchanged job at the timeout', async () => {
    const h = createHarness()
    const id = await submitted(h)
    const answer = await h.json('GET', `/api/v1/shoal/jobs/${id}/wait?state=Pending&version=1&timeout=50ms`)
    expect(answer.status).toBe(200)
    expect(answer.body).toMatchObject({ Job: { ID: id, State: { StateType: 'Pending' } }, Changed: false })
  })

  it('refuses waiters beyond the cap with 503 and Retry-After, and takes them again once one left', async () => {
    const h = createHarness({ maxJobWaiters: 2 })
    const id = await submitted(h)
    const path = `/api/v1/shoal/jobs/${id}/wait?state=Pending&version=1&timeout=60s`
    const first = h.json('GET', path)
    const second = h.json('GET', path)
    expect(await settled(Promise.race([first, second]))).toBe(false)
    const refused = await h.json('GET', path)
    expect(refused.status).toBe(503)
    expect(refused.headers.get('retry-after')).toBe('1')
    expect(refused.body).toMatchObject({ Code: 'TooManyWaiters' })
    // A stale client is answered at once even at the cap: it does not wait.
    expect((await h.json('GET', `/api/v1/shoal/jobs/${id}/wait?state=Running&timeout=60s`)).status).toBe(200)
    await changeState(h, id, 'Running')
    expect((await first).status).toBe(200)
    expect((await second).status).toBe(200)
    const again = h.json('GET', `/api/v1/shoal/jobs/${id}/wait?state=Running&version=1&timeout=60s`)
    expect(await settled(again)).toBe(false)
    await changeState(h, id, 'Completed')
    expect((await again).body).toMatchObject({ Job: { State: { StateType: 'Completed' } }, Changed: true })
  })

  it('rejects an unreadable timeout naming the parameter, and 404s an unknown job', async () => {
    const h = createHarness()
    const id = await submitted(h)
    const bad = await h.json('GET', `/api/v1/shoal/jobs/${id}/wait?state=Pending&timeout=soon`)
    expect(bad.status).toBe(400)
    expect(bad.body.Message).toContain('timeout="soon"')
    expect((await h.json('GET', '/api/v1/shoal/jobs/j-nope/wait?state=Pending')).status).toBe(404)
  })

  it('is listed in the OpenAPI document', async () => {
    const h = createHarness()
    const doc = (await h.json('GET', '/api/v1/openapi.json')).body
    expect(doc.paths['/api/v1/shoal/jobs/{id}/wait'].get.operationId).toBe('shoal/waitJob')
  })
})

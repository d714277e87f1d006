import { describe, expect, it } from 'vitest'
import { ExecutionState } from '@shoal/models'
import { createHarness } from './helpers/api-harness.ts'
import { FakeRequesterService } from './helpers/fake-requester-service.ts'
import { execution, jobSpec } from './helpers/fixtures.ts'
import { ManualClock } from '../helpers/manual-clock.ts'

const JOBS = '/api/v1/orchestrator/jobs'

async function submitted(h = createHarness(), spec = jobSpec()) {
  const { body } = await h.json('PUT', JOBS, { Job: spec })
  return { h, jobId: body.JobID as string }
}

describe('PUT /orchestrator/jobs', () => {
  it('submits a job and answers with JobID, EvaluationID and Warnings', async () => {
    const h = createHarness()
    const { status, body } = await h.json('PUT', JOBS, { Job: jobSpec(), Force: true })
    expect(status).toBe(200)
    expect(body.JobID).toMatch(/^j-/)
    expect(body.EvaluationID).toMatch(/^v-/)
    expect(body.Warnings).toEqual([])
    expect(h.service.calls[0]).toMatchObject({ method: 'submitJob', args: [jobSpec(), { force: true }] })
    const stored = await h.service.store.getJob(body.JobID)
    expect(stored.Name).toBe('hello')
  })

  it('also accepts POST and lower-case envelope keys', async () => {
    const h = createHarness()
    const { status, body } = await h.json('POST', JOBS, { job: jobSpec(), force: false })
    expect(status).toBe(200)
    expect(body.JobID).toMatch(/^j-/)
  })

  it('answers 400 with a BadRequest body for invalid JSON', async () => {
    const h = createHarness()
    const { status, body } = await h.json('PUT', JOBS, '{"Job": {', { 'X-Request-ID': 'req-1' })
    expect(status).toBe(400)
    expect(body).toMatchObject({ Status: 400, Code: 'BadRequest', RequestID: 'req-1', Component: 'APIServer' })
    expect(body.Message).toMatch(/not valid JSON/)
  })

  it('answers 400 for an empty body and for a body that is not an object', async () => {
    const h = createHarness()
    expect((await h.json('PUT', JOBS, '')).body.Message).toMatch(/empty/)
    const list = await h.json('PUT', JOBS, [1, 2])
    expect(list.status).toBe(400)
    expect(list.body.Code).toBe('ValidationError')
  })

  it('names the missing Job field and the field path of an invalid spec', async () => {
    const h = createHarness()
    const noJob = await h.json('PUT', JOBS, { Force: true })
    expect(noJob.status).toBe(400)
    expect(noJob.body.Message).toMatch(/^Job: is required/)
    const bad = await h.json('PUT', JOBS, { Job: jobSpec({ Tasks: [{ Name: 'main' }] }) })
    expect(bad.status).toBe(400)
    expect(bad.body).toMatchObject({ Code: 'ValidationError', Message: 'Tasks[0].Engine.Type: is required' })
    expect(bad.body.Details).toEqual({ 'Tasks[0].Engine.Type': 'is required' })
  })

  it('rejects a Force that is not a boolean', async () => {
    const h = createHarness()
    const { status, body } = await h.json('PUT', JOBS, { Job: jobSpec(), Force: 'yes' })
    expect(status).toBe(400)
    expect(body.Message).toBe('Force: must be true or false')
    expect(h.service.calls).toEqual([])
  })

  it('answers 413 for a body over the cap, declared or streamed', async () => {
    const h = createHarness({ maxBodyBytes: 1024 })
    const big = { Job: jobSpec({ Meta: { blob: 'x'.repeat(2000) } }) }
    const declared = await h.json('PUT', JOBS, big)
    expect(declared.status).toBe(413)
    expect(declared.body.Code).toBe('PayloadTooLarge')
    // No Content-Length: the cap is enforced while reading the stream.
    const bytes = new TextEncoder().encode(JSON.stringify(big))
    const stream = new ReadableStream({ start: (c) => (c.enqueue(bytes), c.close()) })
    const res = await h.app.request(JOBS, { method: 'PUT', body: stream, duplex: 'half' } as RequestInit)
    expect(res.status).toBe(413)
    expect(h.service.calls).toEqual([])
  })
})

describe('GET /orchestrator/jobs', () => {
  it('pages through jobs with limit and next_token', async () => {
    const h = createHarness()
    for (const name of ['a', 'b', 'c']) await h.json('PUT', JOBS, { Job: jobSpec({ Name: name }) })
    const first = await h.json('GET', `${JOBS}?limit=2&order_by=name`)
    expect(first.status).toBe(200)
    expect(first.body.Items.map((j: any) => j.Name)).toEqual(['a', 'b'])
    expect(first.body.NextToken).not.toBe('')
    const second = await h.json('GET', `${JOBS}?limit=2&order_by=name&next_token=${first.body.NextToken}`)
    expect(second.body.Items.map((j: any) => j.Name)).toEqual(['c'])
    expect(second.body.NextToken).toBe('')
    const reversed = await h.json('GET', `${JOBS}?order_by=name&reverse=true`)
    expect(reversed.body.Items.map((j: any) => j.Name)).toEqual(['c', 'b', 'a'])
  })

  it('continues a query from next_token alone, with its ordering and page size (Bacalhau tokens carry them)', async () => {
    const h = createHarness()
    for (const name of ['a', 'b', 'c', 'd', 'e']) await h.json('PUT', JOBS, { Job: jobSpec({ Name: name }) })
    const names = (body: any) => body.Items.map((j: any) => j.Name)
    const first = await h.json('GET', `${JOBS}?limit=2&order_by=name&reverse=true`)
    expect(names(first.body)).toEqual(['e', 'd'])
    const alone = await h.json('GET', `${JOBS}?next_token=${first.body.NextToken}`)
    expect(alone.status).toBe(200)
    expect(names(alone.body)).toEqual(['c', 'b'])
    const contrary = await h.json('GET', `${JOBS}?next_token=${first.body.NextToken}&limit=50&order_by=created_at&reverse=false`)
    expect(names(contrary.body)).toEqual(['c', 'b'])
    const last = await h.json('GET', `${JOBS}?next_token=${alone.body.NextToken}`)
    expect(names(last.body)).toEqual(['a'])
    expect(last.body.NextToken).toBe('')
  })

  it('filters by namespace and labels', async () => {
    const h = createHarness()
    await h.json('PUT', JOBS, { Job: jobSpec({ Name: 'p', Labels: { env: 'prod' } }) })
    await h.json('PUT', JOBS, { Job: jobSpec({ Name: 'd', Labels: { env: 'dev' }, Namespace: 'team' }) })
    const prod = await h.json('GET', `${JOBS}?labels=env%3Dprod`)
    expect(prod.body.Items.map((j: any) => j.Name)).toEqual(['p'])
    const team = await h.json('GET', `${JOBS}?namespace=team`)
    expect(team.body.Items.map((j: any) => j.Name)).toEqual(['d'])
    const all = await h.json('GET', `${JOBS}?namespace=*`)
    expect(all.body.Items).toHaveLength(2)
    await h.json('PUT', JOBS, { Job: jobSpec({ Name: 'big', Labels: { replicas: '12' } }) })
    const compared = await h.json('GET', `${JOBS}?labels=${encodeURIComponent('replicas>10')}`)
    expect(compared.body.Items.map((j: any) => j.Name)).toEqual(['big'])
    expect((await h.json('GET', `${JOBS}?labels=${encodeURIComponent('replicas<10')}`)).body.Items).toEqual([])
  })

  it('answers 400 naming the limit for more than 100 label requirements or 1000 values (SQLite failed with a 500)', async () => {
    const h = createHarness()
    await h.json('PUT', JOBS, { Job: jobSpec({ Name: 'p', Labels: { k0: 'v' } }) })
    const requirements = (count: number) => Array.from({ length: count }, (_, i) => `k${i}!=x`).join(',')
    const atLimit = await h.json('GET', `${JOBS}?labels=${encodeURIComponent(requirements(100))}`)
    expect(atLimit.status).toBe(200)
    expect(atLimit.body.Items.map((j: any) => j.Name)).toEqual(['p'])
    for (const count of [101, 1001]) {
      const { status, body } = await h.json('GET', `${JOBS}?labels=${encodeURIComponent(requirements(count))}`)
      expect(status, String(count)).toBe(400)
      expect(body).toMatchObject({ Code: 'BadRequest', Message: 'too many label selector requirements: more than 100 in one query' })
    }
    // Several labels parameters count together.
    const split = `labels=${encodeURIComponent(requirements(60))}&labels=${encodeURIComponent(requirements(60))}`
    expect((await h.json('GET', `${JOBS}?${split}`)).status).toBe(400)
    const values = Array.from({ length: 40_000 }, (_, i) => `v${i}`).join(',')
    const { status, body } = await h.json('GET', `${JOBS}?labels=${encodeURIComponent(`k0 in (${values})`)}`)
    expect(status).toBe(400)
    expect(body.Message).toBe('too many label selector values: more than 1000 in one query')
  })

  it('answers 400 for a bad paging token, limit, order_by, reverse or label selector', async () => {
    const h = createHarness()
    for (const query of ['next_token=garbage!', 'limit=-1', 'limit=abc', 'limit=5000', 'order_by=size', 'reverse=maybe', 'labels=%3D%3D']) {
      const { status, body } = await h.json('GET', `${JOBS}?${query}`)
      expect(status, query).toBe(400)
      expect(body.Code, query).toBe('BadRequest')
    }
  })
})

describe('GET /orchestrator/jobs/:id', () => {
  it('returns a job by ID, by name and by ID prefix', async () => {
    const { h, jobId } = await submitted()
    for (const ref of [jobId, 'hello', jobId.slice(0, 10)]) {
      const { status, body } = await h.json('GET', `${JOBS}/${ref}`)
      expect(status, ref).toBe(200)
      expect(body.Job.ID).toBe(jobId)
      expect(body).not.toHaveProperty('History')
      expect(body).not.toHaveProperty('Executions')
    }
  })

  it('includes history and executions on request', async () => {
    const { h, jobId } = await submitted()
    const job = await h.service.store.getJob(jobId)
    await h.service.store.createExecution(execution(job, 'e-1', 'n-1'))
    const { body } = await h.json('GET', `${JOBS}/${jobId}?include=executions,history`)
    expect(body.Executions.Items.map((e: any) => e.ID)).toEqual(['e-1'])
    // Fields Go always writes, even when empty.
    expect(body.Executions.Items[0]).toMatchObject({ PreviousExecution: '', NextExecution: '', FollowupEvalID: '' })
    const listed = await h.json('GET', `${JOBS}/${jobId}/executions`)
    expect(listed.body.Items[0]).toMatchObject({ PreviousExecution: '', NextExecution: '', FollowupEvalID: '' })
    expect(body.Executions.NextToken).toBe('')
    expect(body.History.Items.length).toBeGreaterThan(0)
    expect(body.History.Items[0].JobID).toBe(jobId)
  })

  it('returns an older version with job_version', async () => {
    const { h, jobId } = await submitted()
    await h.json('PUT', JOBS, { Job: jobSpec({ Count: 2 }) })
    expect((await h.json('GET', `${JOBS}/${jobId}`)).body.Job.Version).toBe(2)
    const v1 = await h.json('GET', `${JOBS}/${jobId}?job_version=1`)
    expect(v1.body.Job).toMatchObject({ Version: 1, Count: 1 })
    expect((await h.json('GET', `${JOBS}/${jobId}?job_version=7`)).status).toBe(404)
  })

  it('answers 404 for an unknown job and 400 for an unknown include', async () => {
    const { h, jobId } = await submitted()
    const unknown = await h.json('GET', `${JOBS}/j-nope`)
    expect(unknown.status).toBe(404)
    expect(unknown.body.Code).toBe('NotFound')
    const include = await h.json('GET', `${JOBS}/${jobId}?include=logs`)
    expect(include.status).toBe(400)
    expect(include.body.Message).toMatch(/include="logs"/)
  })
})

describe('DELETE /orchestrator/jobs/:id', () => {
  it('stops the job with the reason from the query or the body', async () => {
    const { h, jobId } = await submitted()
    const { status, body } = await h.json('DELETE', `${JOBS}/${jobId}?reason=done`)
    expect(status).toBe(200)
    expect(body.EvaluationID).toMatch(/^v-/)
    expect(h.service.calls.at(-1)).toEqual({ method: 'stopJob', args: [jobId, 'done'] })
    expect((await h.service.store.getJob(jobId)).State.StateType).toBe('Stopped')

    const second = await submitted(h, jobSpec({ Name: 'other' }))
    await h.json('DELETE', `${JOBS}/other`, { reason: 'from body' })
    expect(h.service.calls.at(-1)).toEqual({ method: 'stopJob', args: [second.jobId, 'from body'] })
  })

  it('answers 404 for an unknown job without calling the scheduler', async () => {
    const h = createHarness()
    const { status, body } = await h.json('DELETE', `${JOBS}/j-unknown`)
    expect(status).toBe(404)
    expect(body.Code).toBe('NotFound')
    expect(h.service.calls).toEqual([])
  })
})

describe('PUT /orchestrator/jobs/:id/rerun', () => {
  it('reruns the latest version', async () => {
    const { h, jobId } = await submitted()
    const { status, body } = await h.json('PUT', `${JOBS}/hello/rerun`, { Reason: 'again' })
    expect(status).toBe(200)
    expect(body).toMatchObject({ JobID: jobId, JobVersion: 1, Warnings: [] })
    expect(h.service.calls.at(-1)).toEqual({ method: 'rerunJob', args: [jobId, 'again'] })
    expect((await h.json('PUT', `${JOBS}/${jobId}/rerun`)).status).toBe(200)
  })

  it('forwards an older JobVersion to rerun; 404 for a version the job never had', async () => {
    const { h, jobId } = await submitted()
    await h.json('PUT', JOBS, { Job: jobSpec({ Count: 3 }) })
    const old = await h.json('PUT', `${JOBS}/${jobId}/rerun`, { JobVersion: 1, Reason: 'back to v1' })
    expect(old.status).toBe(200)
    expect(h.service.calls.at(-1)).toEqual({ method: 'rerunJob', args: [jobId, 'back to v1', 1] })
    const missing = await h.json('PUT', `${JOBS}/${jobId}/rerun`, { JobVersion: 9 })
    expect(missing.status).toBe(404)
    expect(missing.body.Message).toMatch(/has no version 9 \(latest is 2\)/)
  })

  it('refuses a malformed body and an unknown job', async () => {
    const { h, jobId } = await submitted()
    expect((await h.json('PUT', `${JOBS}/${jobId}/rerun`, { JobVersion: -1 })).status).toBe(400)
    expect((await h.json('PUT', `${JOBS}/${jobId}/rerun`, '{oops')).status).toBe(400)
    expect((await h.json('PUT', `${JOBS}/j-missing/rerun`)).status).toBe(404)
  })
})

describe('PUT /orchestrator/jobs/diff', () => {
  it('returns the diff against the job with the same name', async () => {
    const { h } = await submitted()
    const { status, body } = await h.json('PUT', `${JOBS}/diff`, { Job: jobSpec({ Count: 2 }) })
    expect(status).toBe(200)
    expect(body).toEqual({ Diff: '~ Count: 1 -> 2', Warnings: [] })
  })

  it('answers 400 without a Job and for an invalid spec', async () => {
    const h = createHarness()
    expect((await h.json('PUT', `${JOBS}/diff`, {})).body.Message).toBe('Job: is required')
    expect((await h.json('PUT', `${JOBS}/diff`, { Job: { Name: 'x', Tasks: [] } })).body.Code).toBe('ValidationError')
  })

  it('needs a Name to diff against: 400 ValidationError "invalid job spec: name is missing", as Bacalhau', async () => {
    const h = createHarness()
    for (const spec of [jobSpec({ Name: undefined }), jobSpec({ Name: '  ' })]) {
      const { status, body } = await h.json('PUT', `${JOBS}/diff`, { Job: spec })
      expect(status).toBe(400)
      expect(body).toMatchObject({ Code: 'ValidationError', Message: 'invalid job spec: name is missing' })
      expect(body.Hint).toMatch(/name/)
    }
    expect(h.service.calls).toEqual([])
  })
})

describe('GET /orchestrator/jobs/:id/history', () => {
  it('lists history, filtered by event type and execution, with paging', async () => {
    const { h, jobId } = await submitted()
    const job = await h.service.store.getJob(jobId)
    await h.service.store.createExecution(execution(job, 'e-1', 'n-1'))
    await h.service.store.updateExecution({
      executionId: 'e-1',
      newValues: { ComputeState: { StateType: ExecutionState.Completed } },
      event: { Message: 'done', Topic: 'Execution', Timestamp: new Date(0).toISOString() },
    })
    await h.service.store.updateJobState({ jobId, newState: 'Running' })

    const all = await h.json('GET', `${JOBS}/${jobId}/history`)
    expect(all.status).toBe(200)
    const types = new Set(all.body.Items.map((i: any) => i.Type))
    expect(types).toEqual(new Set(['JobLevel', 'ExecutionLevel']))
    const jobOnly = await h.json('GET', `${JOBS}/${jobId}/history?event_type=job`)
    expect(jobOnly.body.Items.every((i: any) => i.Type === 'JobLevel')).toBe(true)
    const exec = await h.json('GET', `${JOBS}/${jobId}/history?event_type=execution&execution_id=e-1`)
    expect(exec.body.Items.length).toBeGreaterThan(0)
    expect(exec.body.Items.every((i: any) => i.ExecutionID === 'e-1')).toBe(true)

    const first = await h.json('GET', `${JOBS}/${jobId}/history?limit=1`)
    expect(first.body.Items).toHaveLength(1)
    const second = await h.json('GET', `${JOBS}/${jobId}/history?limit=1&next_token=${first.body.NextToken}`)
    expect(second.body.Items[0].SeqNum).toBeGreaterThan(first.body.Items[0].SeqNum)
  })

  it("shows the latest version's items unless job_version or all_job_versions says otherwise", async () => {
    const { h, jobId } = await submitted()
    await h.service.store.updateJobState({ jobId, newState: 'Running' })
    await h.json('PUT', JOBS, { Job: jobSpec({ Count: 2 }) })
    const versions = async (path: string) => {
      const { status, body } = await h.json('GET', path)
      expect(status, path).toBe(200)
      return [...new Set(body.Items.map((i: any) => i.JobVersion))]
    }
    expect(await versions(`${JOBS}/${jobId}/history`)).toEqual([2])
    expect(await versions(`${JOBS}/${jobId}/history?job_version=1`)).toEqual([1])
    expect(await versions(`${JOBS}/${jobId}/history?all_job_versions=true`)).toEqual([1, 2])
    expect(await versions(`${JOBS}/${jobId}/history?job_version=1&all_job_versions=true`)).toEqual([1])
    const latest = await h.json('GET', `${JOBS}/${jobId}?include=history`)
    expect([...new Set(latest.body.History.Items.map((i: any) => i.JobVersion))]).toEqual([2])
    const older = await h.json('GET', `${JOBS}/${jobId}?include=history&job_version=1`)
    expect(older.body.Job.Version).toBe(1)
    expect([...new Set(older.body.History.Items.map((i: any) => i.JobVersion))]).toEqual([1])
  })

  it('matches execution_id by prefix, so a short execution ID works', async () => {
    const { h, jobId } = await submitted()
    const job = await h.service.store.getJob(jobId)
    for (const id of ['e-041fc72a-0000-4000-8000-000000000001', 'e-9b2c0000-0000-4000-8000-000000000002']) {
      await h.service.store.createExecution(execution(job, id, 'n-1'))
      await h.service.store.updateExecution({
        executionId: id,
        newValues: { ComputeState: { StateType: ExecutionState.Completed } },
        event: { Message: 'done', Topic: 'Execution', Timestamp: new Date(0).toISOString() },
      })
    }
    const { body } = await h.json('GET', `${JOBS}/${jobId}/history?execution_id=e-041fc72a`)
    expect(body.Items.length).toBeGreaterThan(0)
    expect(body.Items.every((i: any) => i.ExecutionID === 'e-041fc72a-0000-4000-8000-000000000001')).toBe(true)
  })

  it('answers 400 for a bad event_type, since or token and 404 for an unknown job', async () => {
    const { h, jobId } = await submitted()
    for (const query of ['event_type=node', 'since=-3', 'next_token=@@']) {
      expect((await h.json('GET', `${JOBS}/${jobId}/history?${query}`)).status, query).toBe(400)
    }
    expect((await h.json('GET', `${JOBS}/j-x/history`)).status).toBe(404)
  })
})

describe('GET /orchestrator/jobs/:id/executions', () => {
  it("pages the latest version's executions, or every version's", async () => {
    const { h, jobId } = await submitted()
    let job = await h.service.store.getJob(jobId)
    for (const id of ['e-1', 'e-2', 'e-3']) await h.service.store.createExecution(execution(job, id, 'n-1'))
    const first = await h.json('GET', `${JOBS}/${jobId}/executions?limit=2`)
    expect(first.status).toBe(200)
    expect(first.body.Items).toHaveLength(2)
    const second = await h.json('GET', `${JOBS}/${jobId}/executions?limit=2&next_token=${first.body.NextToken}`)
    expect(second.body.Items).toHaveLength(1)
    expect(second.body.NextToken).toBe('')
    const ids = [...first.body.Items, ...second.body.Items].map((e: any) => e.ID).sort()
    expect(ids).toEqual(['e-1', 'e-2', 'e-3'])

    await h.json('PUT', JOBS, { Job: jobSpec({ Count: 2 }) })
    job = await h.service.store.getJob(jobId)
    await h.service.store.createExecution(execution(job, 'e-4', 'n-1'))
    expect((await h.json('GET', `${JOBS}/${jobId}/executions`)).body.Items.map((e: any) => e.ID)).toEqual(['e-4'])
    expect((await h.json('GET', `${JOBS}/${jobId}/executions?job_version=1`)).body.Items).toHaveLength(3)
    expect((await h.json('GET', `${JOBS}/${jobId}/executions?all_job_versions=true`)).body.Items).toHaveLength(4)
  })

  it('orders by order_by (created_at, modified_at and the legacy create_time, modify_time) and reverse', async () => {
    const clock = new ManualClock()
    const { h, jobId } = await submitted(createHarness({ service: new FakeRequesterService({ clock }) }))
    const job = await h.service.store.getJob(jobId)
    // Stored in the order e-1, e-2, e-3; created e-2, e-3, e-1; e-2 modified last.
    for (const [id, created] of [['e-1', 30], ['e-2', 10], ['e-3', 20]] as const) {
      await h.service.store.createExecution(execution(job, id, 'n-1', { CreateTime: created }))
      await clock.advance(1)
    }
    await h.service.store.updateExecution({ executionId: 'e-2', newValues: { NodeID: 'n-2' } })
    const ids = async (query: string) => {
      const { status, body } = await h.json('GET', `${JOBS}/${jobId}/executions?${query}`)
      expect(status, query).toBe(200)
      return body.Items.map((e: any) => e.ID)
    }
    expect(await ids('order_by=created_at')).toEqual(['e-2', 'e-3', 'e-1'])
    expect(await ids('order_by=create_time&reverse=true')).toEqual(['e-1', 'e-3', 'e-2'])
    expect((await ids('order_by=modified_at&reverse=true'))[0]).toBe('e-2')
    expect((await ids('order_by=modify_time'))[2]).toBe('e-2')
    const first = await h.json('GET', `${JOBS}/${jobId}/executions?order_by=created_at&reverse=true&limit=2`)
    const rest = await h.json('GET', `${JOBS}/${jobId}/executions?next_token=${first.body.NextToken}`)
    expect([...first.body.Items, ...rest.body.Items].map((e: any) => e.ID)).toEqual(['e-1', 'e-3', 'e-2'])
  })

  it('answers 404 for an unknown job and 400 for a bad token or order_by', async () => {
    const { h, jobId } = await submitted()
    expect((await h.json('GET', `${JOBS}/j-x/executions`)).status).toBe(404)
    expect((await h.json('GET', `${JOBS}/${jobId}/executions?next_token=nope`)).status).toBe(400)
    const order = await h.json('GET', `${JOBS}/${jobId}/executions?order_by=node`)
    expect(order.status).toBe(400)
    expect(order.body).toMatchObject({ Code: 'BadRequest', Message: expect.stringMatching(/order_by="node"/) })
  })
})

describe('GET /orchestrator/jobs/:id/versions', () => {
  it('lists every version oldest first', async () => {
    const { h, jobId } = await submitted()
    await h.json('PUT', JOBS, { Job: jobSpec({ Count: 2 }) })
    const { status, body } = await h.json('GET', `${JOBS}/${jobId}/versions`)
    expect(status).toBe(200)
    expect(body.Items.map((j: any) => [j.Version, j.Count])).toEqual([
      [1, 1],
      [2, 2],
    ])
    expect(body.NextToken).toBe('')
    expect((await h.json('GET', `${JOBS}/j-x/versions`)).status).toBe(404)
  })
})

describe('GET /orchestrator/jobs/:id/results', () => {
  it('returns the published results of completed executions only', async () => {
    const { h, jobId } = await submitted()
    const job = await h.service.store.getJob(jobId)
    const published = { Type: 'local', Params: { URL: 'http://127.0.0.1:6001/e-1.tar.gz' } }
    await h.service.store.createExecution(
      execution(job, 'e-1', 'n-1', { ComputeState: { StateType: ExecutionState.Completed }, PublishedResult: published }),
    )
    await h.service.store.createExecution(execution(job, 'e-2', 'n-2', { ComputeState: { StateType: ExecutionState.Failed } }))
    await h.service.store.createExecution(
      execution(job, 'e-3', 'n-3', { ComputeState: { StateType: ExecutionState.Completed }, PublishedResult: { Type: '', Params: {} } }),
    )
    const { status, body } = await h.json('GET', `${JOBS}/${jobId}/results`)
    expect(status).toBe(200)
    expect(body).toEqual({ Items: [published], NextToken: '' })
  })

  it('passes each result through the runtime\'s result transform (presigning), keeping it when that fails', async () => {
    const resultTransform = async (result: { Type: string; Params: Record<string, unknown> }) => {
      if (result.Params.Key === 'broken.tar.gz') throw new Error('no credentials')
      return { Type: 's3PreSigned', Params: { ...result.Params, PreSignedURL: 'http://127.0.0.1:7480/signed' } }
    }
    const { h, jobId } = await submitted(createHarness({ resultTransform }))
    const job = await h.service.store.getJob(jobId)
    const signed = { Type: 's3', Params: { Bucket: 'b', Key: 'r.tar.gz' } }
    const broken = { Type: 's3', Params: { Bucket: 'b', Key: 'broken.tar.gz' } }
    await h.service.store.createExecution(execution(job, 'e-1', 'n-1', { ComputeState: { StateType: ExecutionState.Completed }, PublishedResult: signed }))
    await h.service.store.createExecution(execution(job, 'e-2', 'n-2', { ComputeState: { StateType: ExecutionState.Completed }, PublishedResult: broken }))
    const { body } = await h.json('GET', `${JOBS}/${jobId}/results`)
    expect(body.Items).toEqual(expect.arrayContaining([{ Type: 's3PreSigned', Params: { Bucket: 'b', Key: 'r.tar.gz', PreSignedURL: 'http://127.0.0.1:7480/signed' } }, broken]))
    expect(body.Items).toHaveLength(2)
  })

  it('refuses daemon jobs and answers 404 for unknown jobs', async () => {
    const { h, jobId } = await submitted(createHarness(), jobSpec({ Type: 'daemon' }))
    const daemon = await h.json('GET', `${JOBS}/${jobId}/results`)
    expect(daemon.status).toBe(400)
    expect(daemon.body.Message).toMatch(/daemon job/)
    expect((await h.json('GET', `${JOBS}/j-x/results`)).status).toBe(404)
  })
})

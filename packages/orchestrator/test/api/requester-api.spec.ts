/**
 * The API over the real Requester and SqlJobStore (node:sqlite), with fake compute nodes on a
 * memory network: what a user of the REST API sees end to end.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { ExecutionState } from '@shoal/models'
import type { Requester } from '../../src/requester.ts'
import { noopJob, RequesterHarness, until } from '../helpers/requester-harness.ts'
import { createHarness } from './helpers/api-harness.ts'
import type { ApiHarness } from './helpers/api-harness.ts'

const JOBS = '/api/v1/orchestrator/jobs'
const NODES = '/api/v1/orchestrator/nodes'

let running: RequesterHarness | undefined

async function setup(config: ConstructorParameters<typeof RequesterHarness>[0] = {}): Promise<{ rh: RequesterHarness; h: ApiHarness<Requester> }> {
  const rh = await new RequesterHarness(config).start()
  running = rh
  return { rh, h: createHarness<Requester>({ service: rh.requester }) }
}

afterEach(async () => {
  await running?.stop()
  running = undefined
})

describe('REST API over the real Requester', () => {
  it('runs a submitted job on a compute node and reads back its state, executions, history, versions and results', async () => {
    const { rh, h } = await setup()
    await rh.addNode('n-1')
    const put = await h.json('PUT', JOBS, { Job: noopJob({ Name: 'api-job' }) })
    expect(put.status).toBe(200)
    await rh.waitForState(put.body.JobID, 'Completed')

    const { body } = await h.json('GET', `${JOBS}/api-job?include=executions,history`)
    expect(body.Job).toMatchObject({ ID: put.body.JobID, State: { StateType: 'Completed' }, Version: 1 })
    expect(body.Executions.Items).toHaveLength(1)
    expect(body.Executions.Items[0]).toMatchObject({ NodeID: 'n-1', ComputeState: { StateType: ExecutionState.Completed } })
    expect(body.History.Items.some((i: any) => i.Type === 'ExecutionLevel')).toBe(true)

    const results = await h.json('GET', `${JOBS}/${put.body.JobID}/results`)
    expect(results.body.Items).toEqual([{ Type: 'local', Params: { URL: `http://127.0.0.1/results/${body.Executions.Items[0].ID}.tar.gz` } }])
    expect((await h.json('GET', `${JOBS}/${put.body.JobID}/executions`)).body.Items).toHaveLength(1)
    const history = await h.json('GET', `${JOBS}/${put.body.JobID}/history?event_type=job`)
    expect(history.body.Items.length).toBeGreaterThan(0)
    expect(history.body.Items.every((i: any) => i.Type === 'JobLevel' && i.JobID === put.body.JobID)).toBe(true)
    expect(history.body.Items.some((i: any) => i.JobState?.New === 'Completed')).toBe(true)
    expect((await h.json('GET', `${JOBS}/${put.body.JobID}/versions`)).body.Items.map((j: any) => j.Version)).toEqual([1])
    const listed = await h.json('GET', `${JOBS}?labels=`)
    expect(listed.body.Items.map((j: any) => j.ID)).toEqual([put.body.JobID])
  })

  it("streams an execution's logs from its node as NDJSON frames", async () => {
    const { rh, h } = await setup()
    await rh.addNode('n-1', { logs: () => [{ stream: 1, line: 'hello\n' }, { stream: 2, line: 'warning\n' }] })
    const { body } = await h.json('PUT', JOBS, { Job: noopJob({ Name: 'logged' }) })
    await rh.waitForState(body.JobID, 'Completed')
    const res = await h.send('GET', `${JOBS}/logged/logs`, undefined, { Accept: 'application/x-ndjson' })
    expect(res.status).toBe(200)
    expect(await res.text()).toBe('{"value":{"Type":1,"Line":"hello\\n"},"error":""}\n{"value":{"Type":2,"Line":"warning\\n"},"error":""}\n')
  })

  it('rejects an invalid spec with a ValidationError naming the field', async () => {
    const { h } = await setup()
    const { status, body } = await h.json('PUT', JOBS, { Job: { Name: 'bad', Type: 'batch', Tasks: [{ Name: 'main', Engine: { Type: 'noop' }, Publisher: { Type: 'teleport' } }] } })
    expect(status).toBe(400)
    expect(body.Code).toBe('ValidationError')
    expect(body.Message).toMatch(/Tasks\[0\]\.Publisher/)
    expect(body.Message).toMatch(/teleport/)
    // No JSON-encoded "[]" for the (empty) warnings: every Details value is a plain message.
    expect(Object.values(body.Details).every((v) => typeof v === 'string' && !v.startsWith('['))).toBe(true)
  })

  it('refuses a Count of 10^9 and Params nested 2,000 deep with a 400 naming the field (were: a job Pending forever, a 500)', async () => {
    const { h } = await setup()
    const huge = await h.json('PUT', JOBS, { Job: noopJob({ Name: 'huge', Count: 1e9 }) })
    expect(huge.status).toBe(400)
    expect(huge.body).toMatchObject({ Code: 'ValidationError', Details: { Count: 'must be at most 100000 (have: 1000000000); split the work into fewer, larger replicas or several jobs' } })
    // Built as text: 2,000 levels are more than JSON.stringify itself can take.
    const body = `{"Job":${JSON.stringify(noopJob({ Name: 'deep' })).replace('"Params":{}', `"Params":{"a":${'{"a":'.repeat(1999)}{}${'}'.repeat(1999)}}`)}}`
    const nested = await h.json('PUT', JOBS, body)
    expect(nested.status).toBe(400)
    expect(nested.body).toMatchObject({ Code: 'ValidationError', Message: expect.stringContaining('Tasks[0].Engine.Params.a.a: nested more than 64 levels deep') })
    expect((await h.json('GET', `${JOBS}?namespace=*`)).body.Items).toEqual([])
  })

  it('accepts an engine type no node offers, as Bacalhau, and fails the job at once naming the engines the nodes offer', async () => {
    const { rh, h } = await setup()
    await rh.addNode('n-1', { engines: ['noop', 'wasm'] })
    const put = await h.json('PUT', JOBS, { Job: { Name: 'vroom', Type: 'batch', Tasks: [{ Name: 'main', Engine: { Type: 'vroomvroom' } }] } })
    expect(put.status).toBe(200)
    await rh.waitForState(put.body.JobID, 'Failed')
    const { body } = await h.json('GET', `${JOBS}/vroom`)
    expect(body.Job.State.Message).toMatch(/^not enough nodes to run job: 0 of 1 node can run it — 1 lacks engine vroomvroom \(it offers noop, wasm\)/)
  })

  it('refuses an unchanged resubmission and diffs a changed spec against the stored job', async () => {
    const { rh, h } = await setup()
    await rh.addNode('n-1')
    const first = await h.json('PUT', JOBS, { Job: noopJob({ Name: 'versioned' }) })
    await rh.waitForState(first.body.JobID, 'Completed')
    const same = await h.json('PUT', JOBS, { Job: noopJob({ Name: 'versioned' }) })
    expect(same.status).toBe(400)
    expect(same.body.Message).toMatch(/no changes detected/)
    const diff = await h.json('PUT', `${JOBS}/diff`, { Job: noopJob({ Name: 'versioned', Labels: { tier: 'gold' } }) })
    expect(diff.status).toBe(200)
    expect(diff.body.Diff).toMatch(/tier/)
    expect((await h.json('PUT', `${JOBS}/diff`, { Job: noopJob({ Name: 'never-submitted' }) })).status).toBe(404)
  })

  it('stops a running job, and refuses to stop a completed one with 409', async () => {
    const { rh, h } = await setup()
    await rh.addNode('n-1', { run: (e) => (e.JobID === hangingId ? 'hang' : 'complete') })
    let hangingId = ''
    const hanging = await h.json('PUT', JOBS, { Job: noopJob({ Name: 'hangs' }) })
    hangingId = hanging.body.JobID
    await rh.waitForState(hangingId, 'Running')
    const stop = await h.json('DELETE', `${JOBS}/hangs?reason=enough`)
    expect(stop.status).toBe(200)
    expect(stop.body.EvaluationID).toMatch(/^v-/)
    expect((await h.json('GET', `${JOBS}/hangs`)).body.Job.State).toMatchObject({ StateType: 'Stopped', Message: 'enough' })

    const done = await h.json('PUT', JOBS, { Job: noopJob({ Name: 'finishes' }) })
    await rh.waitForState(done.body.JobID, 'Completed')
    const conflict = await h.json('DELETE', `${JOBS}/${done.body.JobID}`)
    expect(conflict.status).toBe(409)
    expect(conflict.body).toMatchObject({ Code: 'Conflict', Status: 409 })
  })

  it('marks a failed job Stopped (200, no evaluation) and answers an already-stopped one with 200, as Bacalhau', async () => {
    const { rh, h } = await setup()
    await rh.addNode('n-x', { engines: ['docker'] })
    const failing = await h.json('PUT', JOBS, { Job: noopJob({ Name: 'cannot-run', Type: 'ops' }) })
    await rh.waitForState(failing.body.JobID, 'Failed')
    const stop = await h.json('DELETE', `${JOBS}/cannot-run?reason=cleanup`)
    expect(stop.status).toBe(200)
    expect(stop.body).toEqual({ EvaluationID: '' })
    expect((await h.json('GET', `${JOBS}/cannot-run`)).body.Job.State).toMatchObject({ StateType: 'Stopped', Message: 'cleanup' })
    const again = await h.json('DELETE', `${JOBS}/cannot-run`)
    expect(again.status).toBe(200)
    expect(again.body).toEqual({ EvaluationID: '' })
  })

  it('reruns an older version: its spec becomes the new latest version', async () => {
    const { rh, h } = await setup()
    await rh.addNode('n-1')
    const first = await h.json('PUT', JOBS, { Job: noopJob({ Name: 'versions', Labels: { tier: 'bronze' } }) })
    await rh.waitForState(first.body.JobID, 'Completed')
    await h.json('PUT', JOBS, { Job: noopJob({ Name: 'versions', Labels: { tier: 'gold' } }) })
    await rh.waitForState(first.body.JobID, 'Completed')
    const rerun = await h.json('PUT', `${JOBS}/versions/rerun`, { JobVersion: 1 })
    expect(rerun.status).toBe(200)
    expect(rerun.body).toMatchObject({ JobID: first.body.JobID, JobVersion: 3 })
    await rh.waitForState(first.body.JobID, 'Completed')
    const { body } = await h.json('GET', `${JOBS}/versions`)
    expect(body.Job).toMatchObject({ Version: 3, Labels: { tier: 'bronze' } })
    expect((await h.json('PUT', `${JOBS}/versions/rerun`, { JobVersion: 7 })).status).toBe(404)
  })

  it('reruns a completed job as version 2', async () => {
    const { rh, h } = await setup()
    await rh.addNode('n-1')
    const done = await h.json('PUT', JOBS, { Job: noopJob({ Name: 'finishes' }) })
    await rh.waitForState(done.body.JobID, 'Completed')
    const rerun = await h.json('PUT', `${JOBS}/finishes/rerun`, { Reason: 'again' })
    expect(rerun.status).toBe(200)
    expect(rerun.body).toMatchObject({ JobID: done.body.JobID, JobVersion: 2 })
    await rh.waitForState(done.body.JobID, 'Completed')
    expect((await h.json('GET', `${JOBS}/${done.body.JobID}/executions?all_job_versions=true`)).body.Items).toHaveLength(2)
  })

  it('resubmits a completed job with Force as version 2', async () => {
    const { rh, h } = await setup()
    await rh.addNode('n-1')
    const first = await h.json('PUT', JOBS, { Job: noopJob({ Name: 'versioned' }) })
    await rh.waitForState(first.body.JobID, 'Completed')
    const forced = await h.json('PUT', JOBS, { Job: noopJob({ Name: 'versioned' }), Force: true })
    expect(forced.status).toBe(200)
    expect(forced.body.JobID).toBe(first.body.JobID)
    expect((await h.json('GET', `${JOBS}/versioned/versions`)).body.Items.map((j: any) => j.Version)).toEqual([1, 2])
  })

  it('lists nodes and lets the operator approve, reject and delete them', async () => {
    const { rh, h } = await setup({ manualApproval: true })
    await rh.addNode('n-a', { labels: { zone: 'a' } })
    await rh.addNode('n-b', { labels: { zone: 'b' } })
    const pending = await h.json('GET', `${NODES}?filter-approval=PENDING`)
    expect(pending.body.Nodes.map((n: any) => n.Info.NodeID)).toEqual(['n-a', 'n-b'])
    expect(pending.body.Nodes[0].ConnectionState.Status).toBe('CONNECTED')
    expect((await h.json('PUT', `${NODES}/n-a`, { Action: 'approve' })).body).toEqual({ Success: true })
    expect((await h.json('GET', `${NODES}/n-a`)).body.Node.Membership).toBe('APPROVED')
    const again = await h.json('PUT', `${NODES}/n-a`, { Action: 'approve' })
    expect(again).toMatchObject({ status: 409, body: { Status: 409, Code: 'ConflictNodeState', Message: 'node n-a already approved' } })
    expect((await h.json('PUT', `${NODES}/n-b`, { Action: 'reject', Message: 'unknown host' })).body.Success).toBe(true)
    const rejectedAgain = await h.json('PUT', `${NODES}/n-b`, { Action: 'reject' })
    expect(rejectedAgain).toMatchObject({ status: 409, body: { Code: 'ConflictNodeState', Message: 'node n-b already rejected' } })
    expect((await h.json('GET', `${NODES}?labels=zone%3Db`)).body.Nodes[0].Membership).toBe('REJECTED')
    await h.json('PUT', `${NODES}/n-b`, { Action: 'delete' })
    await until(async () => (await h.json('GET', NODES)).body.Nodes.length === 1, 'n-b to be deleted')
    expect((await h.json('GET', `${NODES}/n-b`)).status).toBe(404)
  })

  it("reports the requester's own node info", async () => {
    const { h } = await setup()
    const { body } = await h.json('GET', '/api/v1/agent/node')
    expect(body).toMatchObject({ NodeID: 'n-requester', NodeType: 'Requester' })
  })
})

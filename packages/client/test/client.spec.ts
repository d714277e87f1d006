import { describe, expect, it } from 'vitest'
import { AbortError, UnreachableError } from '@shoal/models'
import { ApiError, createClient, LogStreamError } from '../src/index.ts'
import type { ClientOptions } from '../src/index.ts'
import { createRequesterApp } from '../../orchestrator/src/api/index.ts'
import type { RequesterAppOptions } from '../../orchestrator/src/api/index.ts'
import { FakeRequesterService } from '../../orchestrator/test/api/helpers/fake-requester-service.ts'
import { computeNode, execution, jobSpec } from '../../orchestrator/test/api/helpers/fixtures.ts'

const BASE = 'http://127.0.0.1:1234'

/** A client whose fetch calls the app in-process (no network). */
function setup(appOptions: Partial<RequesterAppOptions> = {}, clientOptions: Partial<ClientOptions> = {}) {
  const service = new FakeRequesterService()
  const app = createRequesterApp({ ...appOptions, service })
  const seen: Request[] = []
  const client = createClient({
    baseUrl: `${BASE}/`,
    fetch: async (input, init) => {
      const request = new Request(input, init)
      seen.push(request.clone())
      return app.request(request)
    },
    ...clientOptions,
  })
  return { service, app, client, seen }
}

describe('jobs', () => {
  it('submits, reads, lists, stops and reruns jobs', async () => {
    const { client, service, seen } = setup()
    const put = await client.putJob(jobSpec(), { force: true })
    expect(put.JobID).toMatch(/^j-/)
    expect(seen[0].method).toBe('PUT')
    expect(seen[0].url).toBe(`${BASE}/api/v1/orchestrator/jobs`)
    expect(service.calls[0].args[1]).toEqual({ force: true })

    const job = await service.store.getJob(put.JobID)
    await service.store.createExecution(execution(job, 'e-1', 'n-1'))
    const got = await client.getJob('hello', { include: ['executions', 'history'] })
    expect(got.Job.ID).toBe(put.JobID)
    expect(got.Executions?.Items.map((e) => e.ID)).toEqual(['e-1'])
    expect(got.History?.Items.length).toBeGreaterThan(0)

    expect((await client.listJobs()).Items.map((j) => j.ID)).toEqual([put.JobID])
    expect((await client.jobExecutions(put.JobID)).Items).toHaveLength(1)
    expect((await client.jobHistory(put.JobID, { eventType: 'job' })).Items.every((h) => h.Type === 'JobLevel')).toBe(true)
    expect((await client.jobVersions(put.JobID)).Items.map((j) => j.Version)).toEqual([1])
    expect(await client.jobResults(put.JobID)).toEqual({ Items: [], NextToken: '' })
    expect(await client.diffJob(jobSpec({ Count: 4 }))).toEqual({ Diff: '~ Count: 1 -> 4', Warnings: [] })
    expect((await client.rerunJob('hello', { reason: 'again' })).JobID).toBe(put.JobID)
    expect(service.calls.at(-1)).toEqual({ method: 'rerunJob', args: [put.JobID, 'again'] })
    expect((await client.stopJob(put.JobID, { reason: 'enough' })).EvaluationID).toMatch(/^v-/)
    expect(service.calls.at(-1)).toEqual({ method: 'stopJob', args: [put.JobID, 'enough'] })
  })

  it('iterates over every page of jobs', async () => {
    const { client, seen } = setup()
    for (const name of ['a', 'b', 'c', 'd', 'e']) await client.putJob(jobSpec({ Name: name }))
    const names: string[] = []
    for await (const job of client.iterateJobs({ limit: 2, orderBy: 'name' })) names.push(job.Name)
    expect(names).toEqual(['a', 'b', 'c', 'd', 'e'])
    expect(seen.filter((r) => r.method === 'GET')).toHaveLength(3)
  })
})

describe('logs', () => {
  it('streams log lines over NDJSON with the query forwarded', async () => {
    const { client, service } = setup()
    const { JobID } = await client.putJob(jobSpec())
    service.logLines.set(JobID, [
      { ExecutionID: 'e-1', Type: 1, Line: 'out\n' },
      { ExecutionID: 'e-1', Type: 2, Line: 'err\n' },
    ])
    const lines = []
    for await (const line of client.logs(JobID, { executionId: 'e-1', follow: true, tail: 5 })) lines.push(line)
    expect(lines).toEqual([
      { Type: 1, Line: 'out\n' },
      { Type: 2, Line: 'err\n' },
    ])
    expect(service.calls.at(-1)?.args[1]).toEqual({ executionId: 'e-1', tail: 5, follow: true })
  })

  it('throws LogStreamError on an error frame, after the lines before it', async () => {
    const { client, service } = setup()
    const { JobID } = await client.putJob(jobSpec())
    service.logLines.set(JobID, [{ ExecutionID: 'e-1', Type: 1, Line: 'first' }])
    service.logFailure = new UnreachableError('compute node n-1 is unreachable')
    const lines: string[] = []
    const consume = async () => {
      for await (const line of client.logs(JobID)) lines.push(line.Line)
    }
    await expect(consume()).rejects.toThrow(new LogStreamError('compute node n-1 is unreachable'))
    expect(lines).toEqual(['first'])
  })

  it('reads the same frames over a WebSocket', async () => {
    const sockets: FakeSocket[] = []
    class FakeSocket extends EventTarget {
      static readonly CONNECTING = 0
      static readonly OPEN = 1
      readyState = 0
      readonly url: string
      readonly init: unknown
      closedWith?: number
      constructor(url: URL, init?: unknown) {
        super()
        this.url = String(url)
        this.init = init
        sockets.push(this)
        queueMicrotask(() => {
          this.readyState = 1
          this.dispatchEvent(new Event('open'))
          for (const data of ['{"value":{"Type":1,"Line":"a"},"error":""}', '{"value":{"Type":2,"Line":"b"},"error":""}']) {
            this.dispatchEvent(new MessageEvent('message', { data }))
          }
          this.readyState = 3
          this.dispatchEvent(new Event('close'))
        })
      }
      close(code?: number) {
        this.closedWith = code
      }
    }
    const { client } = setup({}, { WebSocket: FakeSocket as unknown as typeof WebSocket, token: 't0k' })
    const lines = []
    for await (const line of client.logsWebSocket('j-1', { tail: true, executionId: 'e-9' })) lines.push(line)
    expect(lines).toEqual([
      { Type: 1, Line: 'a' },
      { Type: 2, Line: 'b' },
    ])
    expect(sockets[0].url).toBe('ws://127.0.0.1:1234/api/v1/orchestrator/jobs/j-1/logs?execution_id=e-9&tail=true')
    expect(sockets[0].init).toEqual({ headers: { Authorization: 'Bearer t0k' } })
  })
  it('reports a WebSocket that cannot open as LogStreamError pointing at logs()', async () => {
    class RefusedSocket extends EventTarget {
      static readonly CONNECTING = 0
      static readonly OPEN = 1
      readyState = 0
      constructor() {
        super()
        queueMicrotask(() => {
          this.readyState = 3
          this.dispatchEvent(new Event('error'))
          this.dispatchEvent(new Event('close'))
        })
      }
      close() {}
    }
    const { client } = setup({}, { WebSocket: RefusedSocket as unknown as typeof WebSocket })
    const consume = async () => {
      for await (const _line of client.logsWebSocket('j-1')) void _line
    }
    const error = await consume().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(LogStreamError)
    expect((error as LogStreamError).message).toMatch(/could not open: the requester is unreachable or refused the upgrade/)
    expect((error as LogStreamError).hint).toMatch(/logs\(\)/)
  })
})

describe('nodes and agent', () => {
  it('lists, pages, gets and acts on nodes', async () => {
    const { client, service } = setup()
    for (const id of ['n-1', 'n-2', 'n-3']) await service.store.putNode(computeNode(id, { Membership: id === 'n-2' ? 'PENDING' : 'APPROVED' }))
    expect((await client.listNodes({ filterApproval: 'PENDING' })).Nodes.map((n) => n.Info.NodeID)).toEqual(['n-2'])
    const all = []
    for await (const node of client.iterateNodes({ limit: 2 })) all.push(node.Info.NodeID)
    expect(all).toEqual(['n-1', 'n-2', 'n-3'])
    expect((await client.getNode('n-3')).Node.Info.NodeID).toBe('n-3')
    // The server writes Bacalhau's QueueCapacity key; the client hands back the model's field.
    const queue = { CPU: 0, Memory: 0, Disk: 0, GPU: 0 }
    expect((await client.getNode('n-3')).Node.Info.ComputeNodeInfo?.QueueUsedCapacity).toEqual(queue)
    expect((await client.listNodes()).Nodes[0].Info.ComputeNodeInfo?.QueueUsedCapacity).toEqual(queue)
    expect(await client.nodeAction('n-2', 'approve', { message: 'welcome' })).toEqual({ Success: true })
    expect(service.calls.at(-1)).toEqual({ method: 'nodeAction', args: ['n-2', 'approve', 'welcome'] })
  })

  it('reads the agent endpoints', async () => {
    const { client } = setup({ version: { GitVersion: 'v9.9.9' }, config: { Auth: { Token: 'x' } } })
    expect(await client.alive()).toEqual({ Status: 'OK' })
    expect((await client.version()).GitVersion).toBe('v9.9.9')
    const agent = await client.agentNode()
    expect(agent.NodeType).toBe('Requester')
    expect(agent.BacalhauVersion?.GitVersion).toBe('v9.9.9')
    expect(await client.agentConfig()).toEqual({ config: { Auth: { Token: '********' } } })
  })
})

describe('errors', () => {
  it('turns error bodies into ApiError with Status, Code, Hint and RequestID', async () => {
    const { client } = setup({ generateRequestId: () => 'rq-7' })
    const error = await client.getJob('j-missing').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ApiError)
    expect(error).toMatchObject({ status: 404, code: 'NotFound', requestId: 'rq-7', name: 'ApiError' })
    const invalid = await client.putJob({ Tasks: [{}] }).catch((e: unknown) => e)
    expect(invalid).toMatchObject({ status: 400, code: 'ValidationError', message: 'Tasks[0].Engine.Type: is required' })
    expect((invalid as ApiError).details).toEqual({ 'Tasks[0].Engine.Type': 'is required' })
  })

  it('sends the bearer token, and reports a missing scope', async () => {
    const auth = { tokens: [{ token: 'reader', scopes: ['read' as const] }] }
    const { client, seen } = setup({ auth }, { token: 'reader' })
    expect((await client.listJobs()).Items).toEqual([])
    expect(seen[0].headers.get('authorization')).toBe('Bearer reader')
    const error = await client.putJob(jobSpec()).catch((e: unknown) => e)
    expect(error).toMatchObject({ status: 403, code: 'Forbidden' })
    expect((error as ApiError).hint).toMatch(/write scope/)
    const anonymous = createClient({ baseUrl: BASE, fetch: (input, init) => Promise.resolve(setup({ auth }).app.request(new Request(input, init))) })
    await expect(anonymous.listJobs()).rejects.toMatchObject({ status: 401, code: 'Unauthorized' })
  })

  it('describes a server that is not a requester', async () => {
    const client = createClient({ baseUrl: BASE, fetch: async () => new Response('<html>Bad Gateway</html>', { status: 502 }) })
    const error = await client.alive().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ApiError)
    expect(error).toMatchObject({ status: 502, code: 'Unknown' })
    expect((error as Error).message).toBe('GET /api/v1/agent/alive answered HTTP 502: <html>Bad Gateway</html>')
  })

  it('says how to fix an unreachable server', async () => {
    const refused = Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) })
    const client = createClient({ baseUrl: 'http://127.0.0.1:9', fetch: async () => Promise.reject(refused) })
    const error = await client.listJobs().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(UnreachableError)
    expect((error as Error).message).toBe(
      'cannot reach the Shoal requester at http://127.0.0.1:9: ECONNREFUSED — is it running? (`shoal serve` / `npm start`), or set SHOAL_API_URL',
    )
    expect((error as Error).cause).toBe(refused)
  })

  it('reports an aborted call as AbortError', async () => {
    const controller = new AbortController()
    const client = createClient({
      baseUrl: BASE,
      fetch: (_input, init) =>
        new Promise((_resolve, reject) => init?.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')))),
    })
    const pending = client.listNodes({ signal: controller.signal })
    controller.abort()
    await expect(pending).rejects.toBeInstanceOf(AbortError)
  })
})

describe('events', () => {
  it('yields the requester’s job and node changes as they are pushed, with the token', async () => {
    const { client, service, seen } = setup({ auth: { tokens: [{ token: 'reader', scopes: ['read'] }] } }, { token: 'reader' })
    const controller = new AbortController()
    const events = client.events({ signal: controller.signal })
    expect((await events.next()).value).toEqual({ type: 'ready' })
    expect(seen.at(-1)?.headers.get('authorization')).toBe('Bearer reader')
    service.dispatchEvent(new CustomEvent('job', { detail: { jobId: 'j-1', state: 'Completed' } }))
    service.dispatchEvent(new CustomEvent('node', { detail: { nodeId: 'n-1', state: { Membership: 'APPROVED', ConnectionState: { Status: 'DISCONNECTED' } } } }))
    expect((await events.next()).value).toEqual({ type: 'job', JobID: 'j-1', State: 'Completed' })
    expect((await events.next()).value).toEqual({ type: 'node', NodeID: 'n-1', Membership: 'APPROVED', Connection: 'DISCONNECTED' })
    controller.abort()
    expect((await events.next()).done).toBe(true)
  })
})

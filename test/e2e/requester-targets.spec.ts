// One suite, two targets: what a user of the REST API and the `shoal` CLI sees from a requester
// with no compute nodes, run against the Node requester (`shoal serve --orchestrator`) and the
// edge requester (`npm run dev -w edge`: wrangler dev, a Durable Object on Durable Object
// SQLite). Both must answer alike. Compute nodes cannot join the edge requester yet (its
// compute transport is separate work), so jobs here are submitted, listed, described,
// stopped, or wait and fail for lack of nodes.
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ShoalClient } from '@shoal/client'
import type { Execution, Job, JobHistory } from '@shoal/models'
import {
  inlineWasmJob,
  killAllEdgeRequesters,
  killAllShoals,
  removeTempDirs,
  runShoal,
  shoalJson,
  startEdgeRequester,
  startRequester,
  tempDir,
  waitForJobState,
  wasmFixture,
} from '../support/index.ts'

/** A running requester of either kind. */
interface RunningTarget {
  apiUrl: string
  env: Record<string, string>
  client: ShoalClient
  stop(): Promise<unknown>
}

interface Target {
  name: string
  start(options: { apiTokens?: string }): Promise<RunningTarget>
}

const TARGETS: Target[] = [
  {
    name: 'Node requester (shoal serve --orchestrator)',
    async start({ apiTokens }) {
      const requester = await startRequester({ args: apiTokens ? ['--api-tokens', apiTokens] : [], timeoutMs: 90_000 })
      return { ...requester, stop: () => requester.process.stop() }
    },
  },
  {
    name: 'edge requester (npm run dev -w edge)',
    start: ({ apiTokens }) => startEdgeRequester({ vars: apiTokens ? { SHOAL_API_TOKENS: apiTokens } : {} }),
  },
]

let work: string
const specs: Record<string, string> = {}

beforeAll(async () => {
  work = await tempDir('shoal-targets-')
  const write = async (name: string, spec: unknown) => {
    specs[name] = join(work, `${name}.json`)
    await writeFile(specs[name], JSON.stringify(spec))
  }
  await write('waits', inlineWasmJob(wasmFixture('hello'), { name: 'waits-for-nodes', queueTimeoutS: 3600 }))
  await write('no-wait', inlineWasmJob(wasmFixture('hello'), { name: 'needs-nodes-now' }))
  await write('token-job', inlineWasmJob(wasmFixture('hello'), { name: 'token-job', queueTimeoutS: 3600 }))
  await write('events', inlineWasmJob(wasmFixture('hello'), { name: 'events-probe', queueTimeoutS: 3600 }))
})

afterAll(async () => {
  await killAllShoals()
  await killAllEdgeRequesters()
  await removeTempDirs()
})

describe.each(TARGETS)('$name', (target) => {
  describe('open API', () => {
    let requester: RunningTarget
    const shoal = (args: string[]) => runShoal(args, { env: requester.env })
    const json = <T>(args: string[]) => shoalJson<T>(args, { env: requester.env })

    beforeAll(async () => {
      requester = await target.start({})
    }, 180_000)
    afterAll(() => requester?.stop())

    it('answers the agent endpoints as a Bacalhau requester', async () => {
      expect(await requester.client.alive()).toEqual({ Status: 'OK' })
      expect((await requester.client.version()).GitVersion).toMatch(/^v\d+\.\d+\.\d+/)
      expect(await requester.client.agentNode()).toMatchObject({ NodeType: 'Requester' })
      const openapi = await fetch(`${requester.apiUrl}/api/v1/openapi.json`)
      expect(openapi.status).toBe(200)
      expect(Object.keys((await openapi.json()).paths)).toContain('/api/v1/orchestrator/jobs')
    })

    it('serves the same pages: the dashboard on its routes, /contribute, old bookmarks redirected, a real 404', async () => {
      const page = async (path: string) => {
        const response = await fetch(`${requester.apiUrl}${path}`, { redirect: 'manual' })
        return { status: response.status, location: response.headers.get('location'), body: await response.text() }
      }
      const dashboard = await page('/')
      expect(dashboard.status).toBe(200)
      expect(dashboard.body).toMatch(/dashboard/i)
      const deep = await page('/jobs/some-job-id')
      expect(deep.status).toBe(200)
      expect(deep.body).toBe(dashboard.body)
      const contribute = await page('/contribute')
      expect(contribute.status).toBe(200)
      expect(contribute.body).not.toBe(dashboard.body)
      expect(await page('/?label=a')).toMatchObject({ status: 302, location: '/contribute?label=a' })
      const missing = await page('/no/such/page')
      expect(missing.status).toBe(404)
      expect(missing.body).toBe(dashboard.body)
    })

    it('pushes live events to the dashboard: the event stream says ready, then a job event when a job is submitted', async () => {
      const abort = new AbortController()
      try {
        const response = await fetch(`${requester.apiUrl}/api/v1/shoal/events`, { signal: abort.signal })
        expect(response.status).toBe(200)
        expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/)
        const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader()
        let text = ''
        // Bounded: at most 50 reads, each ended by the stream's data or its keepalive.
        const readUntil = async (pattern: RegExp) => {
          for (let turn = 0; turn < 50 && !pattern.test(text); turn++) {
            const { value, done } = await reader.read()
            if (done) break
            text += value
          }
          return pattern.test(text)
        }
        expect(await readUntil(/event: ready/)).toBe(true)
        const submitted = await shoal(['job', 'run', specs.events, '--no-wait'])
        expect(submitted.code, submitted.stderr).toBe(0)
        expect(await readUntil(/event: job\ndata: .*"JobID"/)).toBe(true)
        await shoal(['job', 'stop', submitted.stdout.trim()])
      } finally {
        abort.abort()
      }
    })

    it('job run --no-wait queues a job; list, describe, executions and history show it; job stop ends it as Stopped', async () => {
      const submit = await shoal(['job', 'run', specs.waits, '--no-wait'])
      expect(submit.code, submit.stderr).toBe(0)
      const jobId = submit.stdout.trim()
      expect(jobId).toMatch(/^j-[0-9a-f-]{36}$/)
      const queued = await waitForJobState(requester.client, jobId, { state: 'Queued' })
      expect(queued.State.Message).toMatch(/no compute node has joined yet/)

      expect((await json<Job[]>(['job', 'list'])).map((job) => job.ID)).toContain(jobId)
      const described = await shoal(['job', 'describe', jobId])
      expect(described.code, described.stderr).toBe(0)
      expect(described.stdout).toMatch(/^State\s+= Queued$/m)
      expect(described.stdout).toContain('waits-for-nodes')
      expect(await json<Execution[]>(['job', 'executions', jobId])).toEqual([])
      const history = await json<JobHistory[]>(['job', 'history', jobId])
      expect(history.some((item) => item.JobState?.New === 'Queued')).toBe(true)

      const stop = await shoal(['job', 'stop', jobId])
      expect(stop.code, stop.stderr).toBe(0)
      expect((await waitForJobState(requester.client, jobId)).State.StateType).toBe('Stopped')
      expect((await shoal(['job', 'describe', 'waits-for-nodes'])).stdout).toMatch(/^State\s+= Stopped$/m)
    })

    it('fails a job that sets no queue timeout at once, saying no compute node has joined', async () => {
      const submit = await shoal(['job', 'run', specs['no-wait'], '--no-wait'])
      expect(submit.code, submit.stderr).toBe(0)
      const job = await waitForJobState(requester.client, submit.stdout.trim())
      expect(job.State.StateType).toBe('Failed')
      expect(job.State.Message).toBe('not enough nodes to run job: no compute node has joined yet; set Timeouts.QueueTimeout (--queue-timeout) to let it wait for nodes')
    })

    it('refuses an invalid spec with a 400 ValidationError naming the field', async () => {
      const res = await fetch(`${requester.apiUrl}/api/v1/orchestrator/jobs`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ Job: { Name: 'bad', Type: 'batch', Tasks: [{ Name: 'main', Engine: { Type: 'noop' }, Publisher: { Type: 'teleport' } }] } }),
      })
      expect(res.status).toBe(400)
      const body = await res.json()
      expect(body.Code).toBe('ValidationError')
      expect(body.Message).toMatch(/Tasks\[0\]\.Publisher/)
    })

    it('refuses a request body over 10 MiB with 413 PayloadTooLarge', async () => {
      const res = await fetch(`${requester.apiUrl}/api/v1/orchestrator/jobs`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ Job: { Name: 'x'.repeat(11 * 1024 * 1024) } }),
      })
      expect(res.status).toBe(413)
      expect(await res.json()).toMatchObject({ Code: 'PayloadTooLarge', Message: `request body is larger than ${10 * 1024 * 1024} bytes` })
    })

    it('says a job does not exist, with a 404 and a CLI error naming it', async () => {
      const res = await fetch(`${requester.apiUrl}/api/v1/orchestrator/jobs/j-00000000-0000-0000-0000-000000000000`)
      expect(res.status).toBe(404)
      expect((await res.json()).Code).toBe('NotFound')
      const described = await shoal(['job', 'describe', 'no-such-job'])
      expect(described.code).toBe(1)
      expect(described.stderr).toMatch(/no-such-job/)
    })

    it('lists no nodes while none has joined', async () => {
      expect(await json<unknown[]>(['node', 'list'])).toEqual([])
    })
  })

  describe('with API tokens', () => {
    let requester: RunningTarget
    const as = (token: string | undefined, args: string[]) => runShoal(args, { env: { ...requester.env, SHOAL_API_TOKEN: token } })

    beforeAll(async () => {
      requester = await target.start({ apiTokens: 'writer-e2e:read,write;reader-e2e:read' })
    }, 180_000)
    afterAll(() => requester?.stop())

    it('without a token: exit 1 naming --api-token; a read token lists but cannot submit; a write token submits', async () => {
      const anonymous = await as(undefined, ['job', 'list'])
      expect(anonymous.code).toBe(1)
      expect(anonymous.stderr).toBe('Error: the requester needs an API token: pass --api-token or set SHOAL_API_TOKEN (or `shoal config set api.token <token>`).\n')
      expect((await as('reader-e2e', ['job', 'list'])).code).toBe(0)
      const refused = await as('reader-e2e', ['job', 'run', specs['token-job'], '--no-wait'])
      expect(refused.code).toBe(1)
      expect(refused.stderr).toMatch(/^Error: this token may only read /)
      const submit = await as('writer-e2e', ['job', 'run', specs['token-job'], '--no-wait'])
      expect(submit.code, submit.stderr).toBe(0)
      const listed = await shoalJson<Job[]>(['job', 'list'], { env: { ...requester.env, SHOAL_API_TOKEN: 'reader-e2e' } })
      expect(listed.map((job) => job.ID)).toContain(submit.stdout.trim())
    })
  })
})

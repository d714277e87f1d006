import { describe, expect, it } from 'vitest'
import { defineWebSocketHelper } from 'hono/ws'
import { encodeLogErrorFrame, encodeLogFrame } from '../../src/api/index.ts'
import type { RequesterAppOptions } from '../../src/api/index.ts'
import { createHarness } from './helpers/api-harness.ts'
import type { FakeRequesterService } from './helpers/fake-requester-service.ts'
import { jobSpec } from './helpers/fixtures.ts'

const JOBS = '/api/v1/orchestrator/jobs'

async function jobWithLogs(options: Omit<Partial<RequesterAppOptions>, 'service'> = {}) {
  const h = createHarness<FakeRequesterService>(options)
  const { body } = await h.json('PUT', JOBS, { Job: jobSpec() })
  const jobId = body.JobID as string
  h.service.logLines.set(jobId, [
    { ExecutionID: 'e-1', Type: 1, Line: 'hello\n' },
    { ExecutionID: 'e-1', Type: 2, Line: 'warn "quoted"\n' },
    { ExecutionID: 'e-2', Type: 1, Line: 'other\n' },
  ])
  return { h, jobId }
}

describe('log frames', () => {
  it('encode lines and errors exactly as Bacalhau marshals AsyncResult[ExecutionLog]', () => {
    expect(encodeLogFrame({ Type: 1, Line: 'hi\n' })).toBe('{"value":{"Type":1,"Line":"hi\\n"},"error":""}')
    expect(encodeLogFrame({ Type: 2, Line: '' })).toBe('{"value":{"Type":2,"Line":""},"error":""}')
    expect(encodeLogErrorFrame('boom')).toBe('{"value":null,"error":"boom"}')
  })
})

describe('GET /orchestrator/jobs/:id/logs as NDJSON', () => {
  it('streams one frame per line with Accept: application/x-ndjson', async () => {
    const { h, jobId } = await jobWithLogs()
    const res = await h.send('GET', `${JOBS}/${jobId}/logs`, undefined, { Accept: 'application/x-ndjson' })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/x-ndjson')
    expect(res.headers.get('x-request-id')).toBeTruthy()
    expect(await res.text()).toBe(
      '{"value":{"Type":1,"Line":"hello\\n"},"error":""}\n' +
        '{"value":{"Type":2,"Line":"warn \\"quoted\\"\\n"},"error":""}\n' +
        '{"value":{"Type":1,"Line":"other\\n"},"error":""}\n',
    )
  })

  it('accepts ?stream=ndjson and forwards execution_id, tail and follow', async () => {
    const { h, jobId } = await jobWithLogs()
    const res = await h.send('GET', `/api/v1/orchestrator/jobs/hello/logs?stream=ndjson&execution_id=e-1&tail=1&follow=true`)
    const lines = (await res.text()).trim().split('\n').map((l) => JSON.parse(l))
    expect(lines).toEqual([{ value: { Type: 2, Line: 'warn "quoted"\n' }, error: '' }])
    expect(h.service.calls.at(-1)).toEqual({ method: 'logs', args: [jobId, { executionId: 'e-1', tail: 1, follow: true }] })
  })

  it("maps Bacalhau's tail=true to new lines only", async () => {
    const { h, jobId } = await jobWithLogs()
    const res = await h.send('GET', `${JOBS}/${jobId}/logs?stream=ndjson&tail=true`)
    expect(await res.text()).toBe('')
    expect(h.service.calls.at(-1)?.args[1]).toMatchObject({ tail: 0 })
  })

  it('ends the stream with an error frame when the log source fails', async () => {
    const { h, jobId } = await jobWithLogs()
    h.service.logFailure = new Error('compute node n-1 went away at /internal/path')
    const lines = (await (await h.send('GET', `${JOBS}/${jobId}/logs?stream=ndjson`)).text()).trim().split('\n')
    expect(lines).toHaveLength(4)
    const last = JSON.parse(lines[3])
    expect(last.value).toBeNull()
    // Not a ShoalError: the client sees the generic message, not the internal one.
    expect(last.error).toBe('Internal server error')
  })

  it('answers 404 in the error body for an unknown job, and 400 for bad parameters', async () => {
    const { h } = await jobWithLogs()
    const unknown = await h.json('GET', `${JOBS}/j-none/logs?stream=ndjson`)
    expect(unknown.status).toBe(404)
    expect(unknown.body.Code).toBe('NotFound')
    expect((await h.json('GET', `${JOBS}/hello/logs?stream=ndjson&follow=often`)).status).toBe(400)
    expect((await h.json('GET', `${JOBS}/hello/logs?stream=csv`)).status).toBe(400)
  })

  it('explains the options to a plain GET without WebSocket or NDJSON', async () => {
    const { h } = await jobWithLogs()
    const { status, body } = await h.json('GET', `${JOBS}/hello/logs`)
    expect(status).toBe(400)
    expect(body.Hint).toMatch(/application\/x-ndjson/)
  })
})

describe('GET /orchestrator/jobs/:id/logs over WebSocket', () => {
  it('answers 501 with the NDJSON hint when the runtime gave no upgrade helper', async () => {
    const { h, jobId } = await jobWithLogs()
    const { status, body } = await h.json('GET', `${JOBS}/${jobId}/logs`, undefined, { Upgrade: 'websocket' })
    expect(status).toBe(501)
    expect(body).toMatchObject({ Code: 'NotImplemented', Status: 501 })
    expect(body.Hint).toMatch(/stream=ndjson/)
  })

  /** An upgrade helper that opens an in-memory socket recording what the route sends. */
  function recordingSocket() {
    const sent: string[] = []
    let closed: { resolve: (code: number | undefined) => void } | undefined
    const done = new Promise<number | undefined>((resolve) => (closed = { resolve }))
    const upgradeWebSocket = defineWebSocketHelper(async (_c, events) => {
      const ws = {
        send: (data: string) => void sent.push(data),
        close: (code?: number) => closed?.resolve(code),
        readyState: 1,
      }
      queueMicrotask(() => events.onOpen?.(new Event('open'), ws as never))
      return new Response(null, { status: 200, headers: { 'x-upgraded': 'yes' } })
    })
    return { sent, done, upgradeWebSocket }
  }

  it('sends one frame per message and closes normally', async () => {
    const socket = recordingSocket()
    const { h, jobId } = await jobWithLogs({ upgradeWebSocket: socket.upgradeWebSocket })
    const res = await h.send('GET', `${JOBS}/${jobId}/logs?execution_id=e-2`, undefined, { Upgrade: 'websocket' })
    expect(res.headers.get('x-upgraded')).toBe('yes')
    expect(await socket.done).toBe(1000)
    expect(socket.sent).toEqual(['{"value":{"Type":1,"Line":"other\\n"},"error":""}'])
  })

  it('reports an unknown job inside the socket, as Bacalhau does', async () => {
    const socket = recordingSocket()
    const { h } = await jobWithLogs({ upgradeWebSocket: socket.upgradeWebSocket })
    await h.send('GET', `${JOBS}/j-none/logs`, undefined, { Upgrade: 'websocket' })
    await socket.done
    expect(socket.sent).toHaveLength(1)
    expect(JSON.parse(socket.sent[0])).toMatchObject({ value: null, error: expect.stringMatching(/j-none/) })
  })
})

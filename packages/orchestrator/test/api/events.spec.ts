/** GET /api/v1/shoal/events: job and node changes arrive as Server-Sent Events, in order. */
import { describe, expect, it } from 'vitest'
import { createHarness } from './helpers/api-harness.ts'

/** Reads SSE frames from a response body until `count` events (not comments) arrived. */
async function readEvents(body: ReadableStream<Uint8Array>, count: number): Promise<Array<{ event: string; data: unknown }>> {
  const reader = body.getReader()
  const decoder = new TextDecoder()
  const events: Array<{ event: string; data: unknown }> = []
  let buffer = ''
  while (events.length < count) {
    const { value, done } = await reader.read()
    if (done) break
    buffer += decoder.decode(value, { stream: true })
    let end: number
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const frame = buffer.slice(0, end)
      buffer = buffer.slice(end + 2)
      const event = /^event: (.*)$/m.exec(frame)?.[1]
      const data = /^data: (.*)$/m.exec(frame)?.[1]
      if (event && data) events.push({ event, data: JSON.parse(data) })
    }
  }
  await reader.cancel()
  return events
}

describe('event stream', () => {
  it('streams job and node changes after a ready event', async () => {
    const h = createHarness()
    const res = await h.send('GET', '/api/v1/shoal/events')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/)
    const reading = readEvents(res.body!, 3)
    // Dispatched as the Requester does (RequesterEvents), after the client subscribed.
    await new Promise((r) => setTimeout(r, 0))
    h.service.dispatchEvent(new CustomEvent('job', { detail: { jobId: 'j-1', state: 'Running' } }))
    h.service.dispatchEvent(
      new CustomEvent('node', { detail: { nodeId: 'n-1', state: { Info: { NodeID: 'n-1' }, Membership: 'PENDING', ConnectionState: { Status: 'CONNECTED' } } } }),
    )
    expect(await reading).toEqual([
      { event: 'ready', data: {} },
      { event: 'job', data: { JobID: 'j-1', State: 'Running' } },
      { event: 'node', data: { NodeID: 'n-1', Membership: 'PENDING', Connection: 'CONNECTED' } },
    ])
  })

  it('needs a read token when the API has tokens', async () => {
    const h = createHarness({ auth: { tokens: [{ token: 'r', scopes: ['read'] }] } })
    expect((await h.send('GET', '/api/v1/shoal/events')).status).toBe(401)
    const res = await h.send('GET', '/api/v1/shoal/events', undefined, { Authorization: 'Bearer r' })
    expect(res.status).toBe(200)
    await res.body!.cancel()
  })
})

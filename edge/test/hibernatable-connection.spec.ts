/**
 * HibernatableSockets in workerd (miniflare on 127.0.0.1): the Durable Object's hibernation
 * handlers carry the compute protocol both ways through a WebSocketConnection (large frames
 * chunked below workerd's message limit, with flow control and no bufferedAmount), the node a
 * socket belongs to is kept in its attachment, and a socket that outlives its object's state is
 * told to reconnect. Node's global WebSocket dials it (createWebSocketDialer).
 */
import { fileURLToPath } from 'node:url'
import { Miniflare } from 'miniflare'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createWebSocketDialer, type MessageOf } from '@shoal/protocol'
import { heartbeat, Inbox, randomText } from '@shoal/protocol/transport-compliance'
import { buildTestWorker } from './workerd/build-test-worker.ts'

let mf: Miniflare
let base: string

beforeAll(async () => {
  const script = await buildTestWorker(fileURLToPath(new URL('./workerd/hibernation-worker.ts', import.meta.url)))
  mf = new Miniflare({
    modules: true,
    script,
    compatibilityDate: '2026-07-30',
    host: '127.0.0.1',
    port: 0,
    durableObjects: { SOCKETS: { className: 'SocketObject', useSQLite: true } },
  })
  base = (await mf.ready).toString().replace(/\/$/, '').replace('http:', 'ws:')
})

afterAll(() => mf?.dispose())

const sessions = async () => (await (await fetch(`${base.replace('ws:', 'http:')}/sessions`)).json()) as Array<{ connectionId: string; remoteAddress: string; nodeId?: string }>

describe('HibernatableSockets in workerd', () => {
  it('carries messages both ways in order, an 8 MiB frame included, and keeps the accepted node in the attachment', async () => {
    // Made first: generating it takes seconds on a loaded machine, and miniflare evicted the
    // object during such a pause (its socket then got the reconnect request the next test checks).
    const large = randomText(8 * 1024 * 1024)
    const connection = await createWebSocketDialer().dial(`${base}/socket`)
    const inbox = new Inbox(connection)
    expect(await sessions()).toEqual([{ connectionId: expect.stringMatching(/^websocket-/), remoteAddress: 'test-client', acceptedAt: expect.any(Number) }])
    await connection.send({ Type: 'Handshake', NodeInfo: { NodeID: 'n-attached' } as never, PublicKey: 'key', Signature: 'signature', RunningExecutions: [] })
    await inbox.until(() => inbox.messages.length === 1)
    expect(inbox.messages[0]).toMatchObject({ Type: 'HandshakeResponse', Accepted: true })
    expect((await sessions()).map((s) => s.nodeId)).toEqual(['n-attached'])

    const sent = [
      ...[...Array(50).keys()].map((seq) => connection.send(heartbeat(seq))),
      connection.send({ Type: 'ComputeError', ExecutionID: 'e-big', ErrorCode: 'ExecutionError', Message: large }),
      connection.send(heartbeat(50)),
    ]
    const outcomes = await Promise.allSettled(sent)
    expect(outcomes.filter((o) => o.status === 'rejected'), `closed: ${inbox.closeReason}`).toEqual([])
    await inbox.until(() => inbox.messages.length === 53)
    const echoed = inbox.messages.slice(1)
    expect(echoed.slice(0, 50).map((m) => (m as MessageOf<'Heartbeat'>).Seq)).toEqual([...Array(50).keys()])
    expect((echoed[50] as MessageOf<'ComputeError'>).Message === large).toBe(true)
    expect((echoed[51] as MessageOf<'Heartbeat'>).Seq).toBe(50)
    expect(inbox.errors).toEqual([])
    await connection.close('done')
  }, 120_000)

  it('tells a socket whose object lost its state (an eviction) to reconnect, naming why', async () => {
    const connection = await createWebSocketDialer().dial(`${base}/socket`)
    const inbox = new Inbox(connection)
    await connection.send({ Type: 'Handshake', NodeInfo: { NodeID: 'n-woken' } as never, PublicKey: 'key', Signature: 'signature', RunningExecutions: [] })
    await inbox.until(() => inbox.messages.length === 1)
    await fetch(`${base.replace('ws:', 'http:')}/forget`, { method: 'POST' })
    // The object no longer holds this socket's Connection; its attachment still says whose it is.
    expect((await sessions()).map((s) => s.nodeId)).toContain('n-woken')
    await connection.send(heartbeat(1))
    await inbox.until(() => inbox.closedCount > 0)
    expect(inbox.closeReason).toBe('the requester restarted; reconnect')
    expect(inbox.messages).toHaveLength(1)
  }, 60_000)
})

/**
 * WebSocketConnection's own rules, over a recorded port (the socket-level behaviour a workerd
 * WebSocket, which has no bufferedAmount, relies on); the Transport compliance suite runs it
 * over real sockets in node-runner/test/websocket-transport.spec.ts.
 */
import { describe, expect, it } from 'vitest'
import { UnreachableError } from '@shoal/models'
import {
  WEBSOCKET_CHUNK_BYTES,
  WEBSOCKET_WINDOW_BYTES,
  WebSocketConnection,
  closeReasonOf,
  type Message,
  type MessageOf,
  type WebSocketPort,
} from '../src/index.ts'
import { heartbeat, randomText } from './transport-compliance.ts'

/** A port that records what the connection sends, with no bufferedAmount at all (as in workerd). */
class RecordingPort implements WebSocketPort {
  readonly sent: Uint8Array[] = []
  closed: { code?: number; reason?: string } | undefined
  send(data: Uint8Array): void {
    if (this.closed) throw new Error('socket closed')
    this.sent.push(data)
  }
  close(code?: number, reason?: string): void {
    this.closed = { code, reason }
  }
  /** Frame bytes sent so far (chunks, without their kind byte). */
  dataBytes(): number {
    return this.sent.filter((m) => m[0] === 0 || m[0] === 1).reduce((sum, m) => sum + m.byteLength - 1, 0)
  }
}

/** Two connections joined by recording ports; `pump` moves what each sent to the other. */
function linkedPair() {
  const portA = new RecordingPort()
  const portB = new RecordingPort()
  const a = new WebSocketConnection({ socket: portA, remoteAddress: 'b' })
  const b = new WebSocketConnection({ socket: portB, remoteAddress: 'a' })
  const pump = () => {
    let moved = 0
    for (const [from, to] of [
      [portA, b],
      [portB, a],
    ] as const) {
      for (const message of from.sent.splice(0)) {
        to.receive(message.slice().buffer)
        moved++
      }
    }
    return moved
  }
  return { a, b, portA, portB, pump }
}

const settled = async (promises: Array<Promise<unknown>>) => {
  const states = promises.map(() => 'pending')
  promises.forEach((p, i) => p.then(() => (states[i] = 'done'), () => (states[i] = 'failed')))
  await new Promise((resolve) => setTimeout(resolve, 0))
  return states
}

describe('WebSocketConnection', () => {
  it('holds senders back once a window of data is unconfirmed, without reading bufferedAmount, and resumes on the echo', async () => {
    const { a, b, portA, pump } = linkedPair()
    const received: Message[] = []
    b.attach({ onMessage: (m) => received.push(m), onClose: () => {} })
    const body = randomText(512 * 1024)
    const count = Math.ceil((2 * WEBSOCKET_WINDOW_BYTES) / body.length)
    const sends = [...Array(count).keys()].map((i) => a.send({ Type: 'ComputeError', ExecutionID: `e-${i}`, ErrorCode: 'ExecutionError', Message: body }))
    // Nothing confirmed yet: at most one window of frame data went out, and the later sends wait.
    expect(portA.dataBytes()).toBeLessThanOrEqual(WEBSOCKET_WINDOW_BYTES + WEBSOCKET_CHUNK_BYTES)
    const before = await settled(sends)
    expect(before.at(-1)).toBe('pending')
    expect(before[0]).toBe('done')
    // The peer echoes the probe as it handles the data; everything then flows, in order.
    for (let round = 0; round < 100 && pump() > 0; round++) await Promise.resolve()
    await Promise.all(sends)
    expect(received.map((m) => (m as MessageOf<'ComputeError'>).ExecutionID)).toEqual([...Array(count).keys()].map((i) => `e-${i}`))
  })

  it('splits a large frame into chunks no larger than WEBSOCKET_CHUNK_BYTES and joins them on the other side', async () => {
    const { a, b, portA, pump } = linkedPair()
    const received: Message[] = []
    b.attach({ onMessage: (m) => received.push(m), onClose: () => {} })
    const large = randomText(3 * WEBSOCKET_CHUNK_BYTES + 17)
    const sent = a.send({ Type: 'ComputeError', ExecutionID: 'e-1', ErrorCode: 'ExecutionError', Message: large })
    expect(portA.sent.length).toBeGreaterThanOrEqual(4)
    for (const message of portA.sent) expect(message.byteLength).toBeLessThanOrEqual(WEBSOCKET_CHUNK_BYTES + 1)
    pump()
    await sent
    expect((received[0] as MessageOf<'ComputeError'>).Message === large).toBe(true)
  })

  it('reports a frame over the limit to onError, drops it and keeps delivering', async () => {
    const portA = new RecordingPort()
    const portB = new RecordingPort()
    const a = new WebSocketConnection({ socket: portA, remoteAddress: 'b' })
    const b = new WebSocketConnection({ socket: portB, remoteAddress: 'a', maxFrameBytes: 64 * 1024 })
    const received: Message[] = []
    const errors: Error[] = []
    b.attach({ onMessage: (m) => received.push(m), onError: (e) => errors.push(e), onClose: () => {} })
    void a.send({ Type: 'ComputeError', ExecutionID: 'e-1', ErrorCode: 'ExecutionError', Message: randomText(600 * 1024) })
    void a.send(heartbeat(7))
    for (const message of portA.sent.splice(0)) b.receive(message.slice().buffer)
    expect(errors.map((e) => e.message)).toEqual([expect.stringMatching(/exceeds the 65536 byte limit/)])
    expect(received.map((m) => m.Type)).toEqual(['Heartbeat'])
    expect(b.closed).toBe(false)
  })

  it('closes with a reason cut to a close frame, and rejects sends after the socket closed', async () => {
    const { a, portA } = linkedPair()
    let reason: string | undefined
    a.attach({ onMessage: () => {}, onClose: (r) => (reason = r) })
    const long = 'refused: ' + 'ü'.repeat(200)
    await a.close(long)
    expect(reason).toBe(long)
    expect(portA.closed?.code).toBe(1000)
    expect(new TextEncoder().encode(portA.closed!.reason!).byteLength).toBeLessThanOrEqual(123)
    expect(portA.closed!.reason).toBe(closeReasonOf(long))
    await expect(a.send(heartbeat(0))).rejects.toBeInstanceOf(UnreachableError)
  })

  it('fails queued sends and reports the close reason when the socket closes under it', async () => {
    const { a } = linkedPair()
    let reason: string | undefined
    a.attach({ onMessage: () => {}, onClose: (r) => (reason = r) })
    const body = randomText(WEBSOCKET_WINDOW_BYTES + WEBSOCKET_CHUNK_BYTES)
    const waiting = a.send({ Type: 'ComputeError', ExecutionID: 'e-1', ErrorCode: 'ExecutionError', Message: body })
    a.remoteClosed(4000, 'requester restarting')
    await expect(waiting).rejects.toBeInstanceOf(UnreachableError)
    expect(reason).toBe('requester restarting')
    expect(a.closed).toBe(true)
  })
})

import { describe, expect, it } from 'vitest'
import { ProtocolError } from '@shoal/models'
import { decodeMessage, encodeMessage, MemoryNetwork, PROTOCOL_VERSION, type Message } from '../src/index.ts'

describe('compute protocol codec', () => {
  it('round-trips a message and fills in the version', () => {
    const frame = encodeMessage({ Type: 'BidResult', ExecutionID: 'e-1', Accepted: false, Reason: 'no engine docker' })
    const message = decodeMessage(frame)
    expect(message).toEqual({ Version: PROTOCOL_VERSION, Type: 'BidResult', ExecutionID: 'e-1', Accepted: false, Reason: 'no engine docker' })
  })

  it('rejects another protocol version with a hint', () => {
    expect(() => decodeMessage(JSON.stringify({ Version: 99, Type: 'Goodbye' }))).toThrow(/unsupported compute protocol version 99/)
  })

  it('names the field of a malformed message', () => {
    expect(() => decodeMessage(JSON.stringify({ Version: PROTOCOL_VERSION, Type: 'BidResult', ExecutionID: 'e-1' }))).toThrow(
      /malformed BidResult: Accepted/,
    )
  })

  it('rejects frames that are not JSON', () => {
    expect(() => decodeMessage('{nope')).toThrow(ProtocolError)
  })
})

describe('memory transport', () => {
  it('delivers validated messages in order both ways and reports malformed frames without closing', async () => {
    const network = new MemoryNetwork()
    const listener = network.listener('requester')
    const received: Message[] = []
    const errors: Error[] = []
    let serverSide: import('../src/index.ts').Connection | undefined
    await listener.start((conn) => {
      serverSide = conn
      conn.attach({ onMessage: (m) => received.push(m), onError: (e) => errors.push(e), onClose: () => {} })
    })
    const client = await network.dialer('node-1').dial('requester')
    const fromServer: Message[] = []
    client.attach({ onMessage: (m) => fromServer.push(m), onClose: () => {} })
    for (let i = 0; i < 5; i++) {
      await client.send({ Type: 'Heartbeat', Seq: i, AvailableCapacity: { CPU: 1, Memory: 1, Disk: 0, GPU: 0 }, RunningExecutions: 0 })
    }
    ;(serverSide as import('../src/index.ts').MemoryConnection).deliver('not json')
    await serverSide!.send({ Type: 'Goodbye', Reason: 'bye' })
    await new Promise((r) => setTimeout(r, 0))
    expect(received.map((m) => (m.Type === 'Heartbeat' ? m.Seq : -1))).toEqual([0, 1, 2, 3, 4])
    expect(errors).toHaveLength(1)
    expect(fromServer[0]).toMatchObject({ Type: 'Goodbye', Reason: 'bye' })
    await expect(network.dialer().dial('nowhere')).rejects.toThrow(/no memory listener/)
  })
})

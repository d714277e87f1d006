/**
 * The Transport compliance suite: the behaviour the requester and compute nodes rely on from
 * any Listener/Dialer/Connection implementation (in-memory, libp2p over WebSockets, libp2p over
 * WebRTC-direct, the plain WebSocket transport). Each implementation supplies a TransportPair
 * factory. Exported as `@shoal/protocol/transport-compliance` so every transport's package runs it.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { ProtocolError, UnreachableError } from '@shoal/models'
import { PROTOCOL_VERSION, type Connection, type Dialer, type Listener, type Message, type MessageOf, type OutgoingMessage } from '@shoal/protocol'

/** Writes raw frame bodies (already framed by the transport, not encoded) to a listener. */
export interface RawFrameWriter {
  write(body: Uint8Array): Promise<void>
  close(): Promise<void>
}

/** One listener and one dialer that can reach it, set up by an implementation under test. */
export interface TransportPair {
  /** Not yet started; the suite starts it. */
  listener: Listener
  dialer: Dialer
  /** What `Connection.transport` reports on both ends. */
  transport: string
  /** The listener address to dial, once the listener is started. */
  address(): string
  /** An address where nothing answers (e.g. a stopped listener's). */
  deadAddress(): Promise<string>
  /** Opens a connection to the started listener that writes frame bodies as they are. */
  rawFrameWriter(address: string): Promise<RawFrameWriter>
  /** Releases everything the pair created. */
  close(): Promise<void>
}

/** Creates a fresh TransportPair for one test. */
export type MakeTransportPair = () => Promise<TransportPair>

/** A small valid message with a sequence number. */
export function heartbeat(seq: number): OutgoingMessage {
  return { Type: 'Heartbeat', Seq: seq, AvailableCapacity: { CPU: 1, Memory: 1024, Disk: 0, GPU: 0 }, RunningExecutions: 0 }
}

/** A random ASCII string (random so nothing along the way can shortcut repeated data). */
export function randomText(length: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
  const bytes = new Uint8Array(length)
  for (let offset = 0; offset < length; offset += 65_536) crypto.getRandomValues(bytes.subarray(offset, offset + 65_536))
  let out = ''
  const chunk: string[] = []
  for (let i = 0; i < length; i++) {
    chunk.push(alphabet[bytes[i] & 63])
    if (chunk.length === 65_536) {
      out += chunk.join('')
      chunk.length = 0
    }
  }
  return out + chunk.join('')
}

/** Collects what a connection delivers, with promises to wait on. */
export class Inbox {
  readonly messages: Message[] = []
  readonly errors: Error[] = []
  closeReason: string | undefined
  closedCount = 0
  private waiters: Array<() => void> = []

  constructor(connection: Connection) {
    connection.attach({
      onMessage: (message) => this.push(() => this.messages.push(message)),
      onError: (error) => this.push(() => this.errors.push(error)),
      onClose: (reason) =>
        this.push(() => {
          this.closeReason = reason
          this.closedCount++
        }),
    })
  }

  /** Resolves once `ready()` holds. */
  until(ready: () => boolean): Promise<void> {
    if (ready()) return Promise.resolve()
    return new Promise((resolve) => {
      const check = () => {
        if (ready()) resolve()
        else this.waiters.push(check)
      }
      this.waiters.push(check)
    })
  }

  private push(record: () => void): void {
    record()
    for (const waiter of this.waiters.splice(0)) waiter()
  }
}

/** Starts the listener and dials it; returns both ends of the first connection. */
export async function connect(pair: TransportPair): Promise<{ client: Connection; server: Connection }> {
  const accepted: Connection[] = []
  let onAccept: () => void = () => {}
  await pair.listener.start((connection) => {
    accepted.push(connection)
    onAccept()
  })
  const client = await pair.dialer.dial(pair.address())
  if (accepted.length === 0) await new Promise<void>((resolve) => (onAccept = resolve))
  return { client, server: accepted[0] }
}

/** Registers the compliance tests for one Transport implementation. */
export function runTransportCompliance(name: string, makePair: MakeTransportPair): void {
  describe(`Transport compliance: ${name}`, () => {
    let pair: TransportPair | undefined
    const setUp = async () => (pair = await makePair())
    afterEach(async () => {
      await pair?.listener.stop()
      await pair?.close()
      pair = undefined
    })

    it('delivers messages in order both ways and names its transport', async () => {
      const p = await setUp()
      const { client, server } = await connect(p)
      expect(client.transport).toBe(p.transport)
      expect(server.transport).toBe(p.transport)
      expect(client.remoteAddress).not.toBe('')
      expect(server.remoteAddress).not.toBe('')
      expect(client.id).not.toBe(server.id)
      const serverInbox = new Inbox(server)
      const clientInbox = new Inbox(client)
      const count = 200
      for (let seq = 0; seq < count; seq++) void client.send(heartbeat(seq))
      await serverInbox.until(() => serverInbox.messages.length === count)
      expect(serverInbox.messages.map((m) => (m as MessageOf<'Heartbeat'>).Seq)).toEqual([...Array(count).keys()])
      for (let seq = 0; seq < count; seq++) await server.send({ Type: 'BidAccepted', ExecutionID: `e-${seq}`, Reason: '' })
      await clientInbox.until(() => clientInbox.messages.length === count)
      expect(clientInbox.messages.map((m) => (m as MessageOf<'BidAccepted'>).ExecutionID)).toEqual(
        [...Array(count).keys()].map((seq) => `e-${seq}`),
      )
      expect(serverInbox.errors).toEqual([])
      expect(clientInbox.errors).toEqual([])
    })

    it('fills in the protocol version and delivers validated messages', async () => {
      const { client, server } = await connect(await setUp())
      const inbox = new Inbox(server)
      await client.send({ Type: 'BidResult', ExecutionID: 'e-1', Accepted: true } as OutgoingMessage)
      await inbox.until(() => inbox.messages.length === 1)
      // Defaults of the schema are applied on the receiving side.
      expect(inbox.messages[0]).toEqual({ Version: PROTOCOL_VERSION, Type: 'BidResult', ExecutionID: 'e-1', Accepted: true, Reason: '' })
    })

    it('buffers messages that arrive before attach', async () => {
      const { client, server } = await connect(await setUp())
      await client.send(heartbeat(0))
      await client.send(heartbeat(1))
      await client.send(heartbeat(2))
      await client.send(heartbeat(3))
      // Give the frames time to arrive before anyone listens.
      await new Promise((resolve) => setTimeout(resolve, 50))
      const inbox = new Inbox(server)
      await inbox.until(() => inbox.messages.length === 4)
      expect(inbox.messages.map((m) => (m as MessageOf<'Heartbeat'>).Seq)).toEqual([0, 1, 2, 3])
    })

    it('reports malformed frames to onError and keeps the connection open', async () => {
      const p = await setUp()
      let accept: (connection: Connection) => void = () => {}
      const accepted = new Promise<Connection>((resolve) => (accept = resolve))
      await p.listener.start((connection) => accept(connection))
      const writer = await p.rawFrameWriter(p.address())
      const encoder = new TextEncoder()
      await writer.write(encoder.encode('{not json'))
      await writer.write(encoder.encode(JSON.stringify({ Version: PROTOCOL_VERSION, Type: 'Heartbeat' })))
      await writer.write(encoder.encode(JSON.stringify({ Version: 99, Type: 'Goodbye' })))
      await writer.write(encoder.encode(JSON.stringify({ Version: PROTOCOL_VERSION, Type: 'Goodbye', Reason: 'still here' })))
      const server = await accepted
      const inbox = new Inbox(server)
      await inbox.until(() => inbox.messages.length === 1)
      expect(inbox.errors).toHaveLength(3)
      for (const error of inbox.errors) expect(error).toBeInstanceOf(ProtocolError)
      expect(inbox.errors.map((e) => e.message)).toEqual([
        expect.stringMatching(/not valid JSON/),
        expect.stringMatching(/malformed Heartbeat: /),
        expect.stringMatching(/unsupported compute protocol version 99/),
      ])
      expect(inbox.messages[0]).toMatchObject({ Type: 'Goodbye', Reason: 'still here' })
      expect(server.closed).toBe(false)
      await writer.close()
    })

    it('propagates close from the dialer to the listener side', async () => {
      const { client, server } = await connect(await setUp())
      const serverInbox = new Inbox(server)
      const clientInbox = new Inbox(client)
      await client.close('compute node leaving')
      expect(client.closed).toBe(true)
      expect(clientInbox.closeReason).toBe('compute node leaving')
      await serverInbox.until(() => serverInbox.closedCount > 0)
      expect(server.closed).toBe(true)
      await expect(client.send(heartbeat(0))).rejects.toBeInstanceOf(UnreachableError)
      await expect(server.send({ Type: 'Goodbye', Reason: '' })).rejects.toBeInstanceOf(UnreachableError)
      expect(clientInbox.closedCount).toBe(1)
      expect(serverInbox.closedCount).toBe(1)
    })

    it('propagates close from the listener to the dialer side', async () => {
      const { client, server } = await connect(await setUp())
      const clientInbox = new Inbox(client)
      new Inbox(server)
      await server.close('requester shutting down')
      await clientInbox.until(() => clientInbox.closedCount > 0)
      expect(client.closed).toBe(true)
    })

    it('delivers a message sent just before close', async () => {
      const { client, server } = await connect(await setUp())
      const inbox = new Inbox(server)
      await client.send({ Type: 'Goodbye', Reason: 'tab closed' })
      await client.close()
      await inbox.until(() => inbox.closedCount > 0)
      expect(inbox.messages.map((m) => m.Type)).toEqual(['Goodbye'])
    })

    it('keeps order when small and large messages are sent in one turn, and flushes them on close', async () => {
      const { client, server } = await connect(await setUp())
      const inbox = new Inbox(server)
      const large = randomText(200 * 1024)
      // Not awaited: all of these are queued in the same turn, then the connection closes.
      const sent = [
        client.send(heartbeat(1)),
        client.send(heartbeat(2)),
        client.send({ Type: 'ComputeError', ExecutionID: 'e-large', ErrorCode: 'ExecutionError', Message: large }),
        client.send(heartbeat(3)),
        client.send({ Type: 'Goodbye', Reason: 'tab closed' }),
      ]
      await client.close()
      await Promise.all(sent)
      await inbox.until(() => inbox.closedCount > 0)
      expect(inbox.messages.map((m) => (m.Type === 'Heartbeat' ? `hb${(m as MessageOf<'Heartbeat'>).Seq}` : m.Type))).toEqual([
        'hb1',
        'hb2',
        'ComputeError',
        'hb3',
        'Goodbye',
      ])
      expect((inbox.messages[2] as MessageOf<'ComputeError'>).Message === large).toBe(true)
    })

    it('fails a dial to an address where nothing listens with UnreachableError', async () => {
      const p = await setUp()
      const dead = await p.deadAddress()
      const error = await p.dialer.dial(dead).then(
        () => undefined,
        (err: unknown) => err,
      )
      expect(error).toBeInstanceOf(UnreachableError)
      expect((error as Error).message).toContain(dead)
    })

    it('does not dial with an aborted signal', async () => {
      const p = await setUp()
      await p.listener.start(() => {})
      const controller = new AbortController()
      controller.abort()
      await expect(p.dialer.dial(p.address(), { signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' })
    })

    it('round-trips an 8 MiB message (an inline WASM module)', async () => {
      const { client, server } = await connect(await setUp())
      const serverInbox = new Inbox(server)
      const clientInbox = new Inbox(client)
      const module = randomText(8 * 1024 * 1024)
      const execution = { ID: 'e-big', Job: { Tasks: [{ InputSources: [{ Source: { Type: 'inline', Params: { Data: module } } }] }] } }
      await server.send({ Type: 'AskForBid', ExecutionID: 'e-big', Execution: execution as never, WaitForApproval: true })
      await clientInbox.until(() => clientInbox.messages.length === 1)
      const received = clientInbox.messages[0] as MessageOf<'AskForBid'>
      const data = (received.Execution as unknown as typeof execution).Job.Tasks[0].InputSources[0].Source.Params.Data
      expect(data.length).toBe(module.length)
      expect(data === module).toBe(true)
      // And back, followed by a small message that must not overtake it.
      await client.send({ Type: 'ComputeError', ExecutionID: 'e-big', ErrorCode: 'ExecutionError', Message: module })
      await client.send({ Type: 'Goodbye', Reason: '' })
      await serverInbox.until(() => serverInbox.messages.length === 2)
      expect((serverInbox.messages[0] as MessageOf<'ComputeError'>).Message === module).toBe(true)
      expect(serverInbox.messages[1].Type).toBe('Goodbye')
    }, 60_000)
  })
}

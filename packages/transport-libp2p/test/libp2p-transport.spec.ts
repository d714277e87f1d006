import { createServer, type Server, type Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { ProtocolError, UnreachableError } from '@shoal/models'
import type { Connection } from '@shoal/protocol'
import {
  COMPUTE_PROTOCOL_ID,
  createComputeLibp2p,
  createLibp2pDialer,
  createLibp2pListener,
  createRequesterLibp2p,
  generatePeerKey,
  peerIdOf,
  WebRTCUnavailableError,
  type Libp2p,
} from '../src/index.ts'
import { Inbox, heartbeat, randomText } from '@shoal/protocol/transport-compliance'
import { addressOf } from './libp2p-pair.ts'

const nodes: Libp2p[] = []
const servers: Server[] = []
const sockets: Socket[] = []
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((node) => node.stop()))
  for (const socket of sockets.splice(0)) socket.destroy()
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))))
})

async function requester(options: { relay?: boolean } = {}) {
  const privateKey = await generatePeerKey()
  const node = await createRequesterLibp2p({ privateKey, listen: ['/ip4/127.0.0.1/tcp/0/ws'], relay: options.relay })
  nodes.push(node)
  return { node, privateKey }
}

async function compute() {
  const node = await createComputeLibp2p({ transports: 'node' })
  nodes.push(node)
  return node
}

/** A TCP server on 127.0.0.1 that accepts connections and never answers. */
async function silentServer(): Promise<number> {
  const server = createServer((socket) => sockets.push(socket))
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return (server.address() as { port: number }).port
}

async function accept(listener: ReturnType<typeof createLibp2pListener>) {
  let resolve: (connection: Connection) => void = () => {}
  const accepted = new Promise<Connection>((r) => (resolve = r))
  await listener.start((connection) => resolve(connection))
  return accepted
}

describe('libp2p transport', () => {
  it('advertises addresses that end in the requester peer ID and names the remote peer', async () => {
    const { node, privateKey } = await requester()
    const listener = createLibp2pListener({ libp2p: node })
    const accepted = accept(listener)
    expect(listener.addresses.length).toBeGreaterThan(0)
    for (const address of listener.addresses) expect(address).toMatch(new RegExp(`/p2p/${peerIdOf(privateKey)}$`))
    const computeNode = await compute()
    const client = await createLibp2pDialer({ libp2p: computeNode }).dial(listener.addresses[0])
    const server = await accepted
    expect(client.remoteAddress).toBe(listener.addresses[0])
    expect(server.remoteAddress).toMatch(new RegExp(`/p2p/${computeNode.peerId.toString()}$`))
    expect((server as { remotePeer?: string }).remotePeer).toBe(computeNode.peerId.toString())
  })

  it('accepts a herd of compute nodes on one host connecting at once (requester restart)', async () => {
    const { node } = await requester()
    const listener = createLibp2pListener({ libp2p: node })
    let accepted = 0
    await listener.start(() => accepted++)
    const herd = await Promise.all([...Array(30).keys()].map(() => compute()))
    const connections = await Promise.all(herd.map((n) => createLibp2pDialer({ libp2p: n }).dial(addressOf(node, 'websockets'))))
    expect(connections.every((connection) => !connection.closed)).toBe(true)
    expect(new Set(connections.map((connection) => connection.id)).size).toBe(30)
  }, 20_000)

  it('refuses to send a message over the frame limit and stays open', async () => {
    const { node } = await requester()
    const listener = createLibp2pListener({ libp2p: node })
    const accepted = accept(listener)
    const client = await createLibp2pDialer({ libp2p: await compute(), maxFrameBytes: 1024 }).dial(addressOf(node, 'websockets'))
    const inbox = new Inbox(await accepted)
    await expect(client.send({ Type: 'Goodbye', Reason: randomText(2000) })).rejects.toThrow(ProtocolError)
    await client.send(heartbeat(1))
    await inbox.until(() => inbox.messages.length === 1)
    expect(client.closed).toBe(false)
  })

  it('skips an incoming frame over the limit, reports it and keeps the connection', async () => {
    const { node } = await requester()
    const listener = createLibp2pListener({ libp2p: node, maxFrameBytes: 1024 })
    const accepted = accept(listener)
    const client = await createLibp2pDialer({ libp2p: await compute() }).dial(addressOf(node, 'websockets'))
    const inbox = new Inbox(await accepted)
    await client.send({ Type: 'Goodbye', Reason: randomText(200_000) })
    await client.send(heartbeat(7))
    await inbox.until(() => inbox.messages.length === 1)
    expect(inbox.errors).toHaveLength(1)
    expect(inbox.errors[0].message).toMatch(/exceeds the 1024 byte limit/)
    expect(inbox.messages[0]).toMatchObject({ Type: 'Heartbeat', Seq: 7 })
  })

  it('closes the requester side when the compute node goes away', async () => {
    const { node } = await requester()
    const listener = createLibp2pListener({ libp2p: node })
    const accepted = accept(listener)
    const computeNode = await compute()
    await createLibp2pDialer({ libp2p: computeNode }).dial(addressOf(node, 'websockets'))
    const server = await accepted
    const inbox = new Inbox(server)
    await computeNode.stop()
    await inbox.until(() => inbox.closedCount === 1)
    expect(server.closed).toBe(true)
  })

  it('stop() closes accepted connections and refuses new ones', async () => {
    const { node } = await requester()
    const listener = createLibp2pListener({ libp2p: node })
    const accepted = accept(listener)
    const dialer = createLibp2pDialer({ libp2p: await compute() })
    const client = await dialer.dial(addressOf(node, 'websockets'))
    const clientInbox = new Inbox(client)
    await accepted
    await listener.stop()
    await clientInbox.until(() => clientInbox.closedCount === 1)
    const error = await dialer.dial(addressOf(node, 'websockets')).catch((err: unknown) => err)
    expect(error).toBeInstanceOf(UnreachableError)
    expect((error as Error).message).toMatch(/^cannot reach requester at .*\/ws\/p2p\/.*: /)
  })

  it('fails with UnreachableError for a string that is not a multiaddr', async () => {
    const dialer = createLibp2pDialer({ libp2p: await compute() })
    await expect(dialer.dial('http://127.0.0.1:1234')).rejects.toThrow(/cannot reach requester at http:\/\/127\.0\.0\.1:1234: not a multiaddr/)
  })

  it('gives up on a requester that accepts TCP but never answers after dialTimeoutMs', async () => {
    const { privateKey } = await requester()
    const address = `/ip4/127.0.0.1/tcp/${await silentServer()}/ws/p2p/${peerIdOf(privateKey)}`
    const dialer = createLibp2pDialer({ libp2p: await compute(), dialTimeoutMs: 300 })
    await expect(dialer.dial(address)).rejects.toThrow(`cannot reach requester at ${address}: no answer within 300 ms`)
  })

  it('stops a pending dial when the signal aborts', async () => {
    const { privateKey } = await requester()
    const address = `/ip4/127.0.0.1/tcp/${await silentServer()}/ws/p2p/${peerIdOf(privateKey)}`
    // A long dial timeout: only the abort can end this dial within the test's time.
    const dialer = createLibp2pDialer({ libp2p: await compute(), dialTimeoutMs: 60_000 })
    const controller = new AbortController()
    const dialing = dialer.dial(address, { signal: controller.signal })
    setTimeout(() => controller.abort(), 50)
    await expect(dialing).rejects.toMatchObject({ name: 'AbortError' })
  }, 10_000)

  it('speaks a versioned protocol id and runs a circuit relay server only when asked', async () => {
    expect(COMPUTE_PROTOCOL_ID).toBe('/shoal/compute/2.0.0')
    const plain = await requester()
    expect(plain.node.services.relay).toBeUndefined()
    const relaying = await requester({ relay: true })
    expect(relaying.node.services.relay).toBeDefined()
    expect(relaying.node.getProtocols()).toContain('/libp2p/circuit/relay/0.2.0/hop')
    expect(plain.node.getProtocols()).not.toContain('/libp2p/circuit/relay/0.2.0/hop')
  })

  it('tells a browser-side caller without RTCPeerConnection (a Web Worker) where to create the node', async () => {
    expect(typeof globalThis.RTCPeerConnection).toBe('undefined')
    await expect(createComputeLibp2p({ transports: 'browser' })).rejects.toThrow(WebRTCUnavailableError)
  })

  it('keeps the peer ID of a given key across restarts', async () => {
    const privateKey = await generatePeerKey()
    const first = await createRequesterLibp2p({ privateKey, listen: ['/ip4/127.0.0.1/tcp/0/ws'] })
    const id = first.peerId.toString()
    await first.stop()
    const second = await createRequesterLibp2p({ privateKey, listen: ['/ip4/127.0.0.1/tcp/0/ws'] })
    nodes.push(second)
    expect(second.peerId.toString()).toBe(id)
  })
})

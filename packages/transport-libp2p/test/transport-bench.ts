/**
 * Measures the compute protocol over libp2p on loopback: dial (connection + noise + yamux +
 * protocol negotiation), a Handshake round trip, message RTT, and throughput of 1000 small
 * messages, over WebSockets and WebRTC-direct (Node <-> Node). WebRTC may only run in a
 * loopback-only network namespace, so the script re-runs itself inside `unshare -n`.
 *
 *   node packages/transport-libp2p/test/transport-bench.ts [--json]
 */
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { PROTOCOL_VERSION, type Connection, type Message } from '@shoal/protocol'
import { createComputeLibp2p, createLibp2pDialer, createLibp2pListener, createRequesterLibp2p, generatePeerKey } from '../src/index.ts'
import { addressOf, type Libp2pPairKind } from './libp2p-pair.ts'
import { heartbeat } from '@shoal/protocol/transport-compliance'

const NAMESPACE_ENV = 'SHOAL_LOOPBACK_NETNS'
const DIALS = 20
const MESSAGES = 1000

if (process.env[NAMESPACE_ENV] !== '1') {
  const self = fileURLToPath(import.meta.url)
  const args = process.argv.slice(2).map((arg) => `"${arg}"`).join(' ')
  execFileSync('unshare', ['-n', 'sh', '-c', `ip link set lo up && exec "${process.execPath}" "${self}" ${args}`], {
    stdio: 'inherit',
    env: { ...process.env, [NAMESPACE_ENV]: '1' },
  })
  process.exit(0)
}

/** Resolves with the next message a connection delivers to `inbox`. */
function nextMessage(waiters: Array<(message: Message) => void>): Promise<Message> {
  return new Promise((resolve) => waiters.push(resolve))
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
}

const round = (ms: number) => Math.round(ms * 100) / 100

async function measure(kind: Libp2pPairKind) {
  const requester = await createRequesterLibp2p({
    privateKey: await generatePeerKey(),
    listen: [kind === 'websockets' ? '/ip4/127.0.0.1/tcp/0/ws' : '/ip4/127.0.0.1/udp/0/webrtc-direct'],
  })
  const listener = createLibp2pListener({ libp2p: requester })
  // The requester echoes every message back, answering a Handshake with a HandshakeResponse.
  await listener.start((connection: Connection) =>
    connection.attach({
      onMessage: (message) =>
        void connection.send(
          message.Type === 'Handshake'
            ? { Type: 'HandshakeResponse', Accepted: true, Reason: '', Membership: 'APPROVED', HeartbeatIntervalMs: 5000, RequesterID: 'bench' }
            : message,
        ),
      onClose: () => {},
    }),
  )
  const address = addressOf(requester, kind)

  // Cold dials: a fresh compute node each time, so nothing is reused.
  const dialMs: number[] = []
  const handshakeMs: number[] = []
  for (let i = 0; i < DIALS; i++) {
    const compute = await createComputeLibp2p({ transports: 'node' })
    const waiters: Array<(message: Message) => void> = []
    const start = performance.now()
    const connection = await createLibp2pDialer({ libp2p: compute }).dial(address)
    const dialed = performance.now()
    connection.attach({ onMessage: (message) => waiters.shift()?.(message), onClose: () => {} })
    const answer = nextMessage(waiters)
    await connection.send({ Type: 'Handshake', NodeInfo: { NodeID: `n-${i}` } as never, PublicKey: 'bench-key', Signature: 'bench-signature', RunningExecutions: [] })
    await answer
    dialMs.push(dialed - start)
    handshakeMs.push(performance.now() - dialed)
    await connection.close()
    await compute.stop()
  }

  const compute = await createComputeLibp2p({ transports: 'node' })
  const connection = await createLibp2pDialer({ libp2p: compute }).dial(address)
  const waiters: Array<(message: Message) => void> = []
  let received = 0
  let allReceived: () => void = () => {}
  connection.attach({
    onMessage: (message) => {
      received++
      waiters.shift()?.(message)
      if (received === MESSAGES) allReceived()
    },
    onClose: () => {},
  })
  // RTT: one message at a time.
  const rttMs: number[] = []
  for (let seq = 0; seq < MESSAGES; seq++) {
    const echoed = nextMessage(waiters)
    const start = performance.now()
    await connection.send(heartbeat(seq))
    await echoed
    rttMs.push(performance.now() - start)
  }
  // Throughput: 1000 messages sent back to back, until all echoes are back (median of 5 runs).
  const bursts: number[] = []
  for (let run = 0; run < 5; run++) {
    received = 0
    const done = new Promise<void>((resolve) => (allReceived = resolve))
    const start = performance.now()
    for (let seq = 0; seq < MESSAGES; seq++) await connection.send(heartbeat(seq))
    await done
    bursts.push(performance.now() - start)
  }
  const burstMs = percentile(bursts, 50)
  const messageBytes = new TextEncoder().encode(JSON.stringify({ ...heartbeat(0), Version: PROTOCOL_VERSION })).byteLength

  await connection.close()
  await compute.stop()
  await listener.stop()
  await requester.stop()
  return {
    transport: kind,
    dialMedianMs: round(percentile(dialMs, 50)),
    dialP90Ms: round(percentile(dialMs, 90)),
    handshakeRoundTripMedianMs: round(percentile(handshakeMs, 50)),
    rttMedianMs: round(percentile(rttMs, 50)),
    rttP99Ms: round(percentile(rttMs, 99)),
    burst1000EchoedMs: round(burstMs),
    messagesPerSecondEachWay: Math.round((MESSAGES / burstMs) * 1000),
    messageBytes,
  }
}

const results = [await measure('websockets'), await measure('webrtc-direct')]
if (process.argv.includes('--json')) console.log(JSON.stringify(results, null, 2))
else console.table(results)

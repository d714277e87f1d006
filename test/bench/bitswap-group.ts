/**
 * Issue 11: bitswap throughput. B1, Node↔Node: a Helia node in its own process (bitswap-peer.ts)
 * holds 64 MiB of random bytes as UnixFS (Kubo's `ipfs add` layout); a Helia node in this
 * process, connected over loopback WebSockets (noise, yamux), reads them with bitswap the way a
 * job's `ipfs` input is read (Shoal's unixfsTree, blocks asked for ahead of the reader), beside
 * the same bytes sent by that peer as one raw libp2p stream on the same kind of connection, and
 * Helia's own `unixfs.cat` for reference. Each run uses a fresh fetching node (a new peer ID and
 * an empty blockstore, so the peer re-sends every block); timing starts once the connection is
 * up and the peer's protocols are known. Goal: bitswap ≥ 80 % of the raw stream. B2, Node→tab:
 * the same in a headless Chromium tab (bitswap-tab.ts).
 */
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { unixfs } from '@helia/unixfs'
import { multiaddr } from '@multiformats/multiaddr'
import { CID } from 'multiformats/cid'
import { scaled, type BenchContext, type BenchGroup } from './bench-group.ts'
import { unixfsTree } from '@shoal/ipfs'
import { createBenchHelia, RAW_PROTOCOL } from './bench-helia.ts'
import { benchTabBitswap, type TabTransport } from './bitswap-tab.ts'
import { baselineOf, type BenchFigure } from './report.ts'

const PEER = fileURLToPath(new URL('./bitswap-peer.ts', import.meta.url))
const BITSWAP_PROTOCOL = '/ipfs/bitswap/1.2.0'
const MIB = 1024 * 1024
/** One transfer taking longer than this fails the run (64 MiB at 1 MiB/s). */
const TRANSFER_TIMEOUT_MS = 64_000

interface PeerInfo {
  multiaddr: string
  cid: string
  bytes: number
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted.length % 2 === 1 ? sorted[(sorted.length - 1) / 2] : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2
}

/** Starts the serving peer and resolves with what it printed, and a stop function. */
async function startPeer(mib: number, signal: AbortSignal): Promise<{ info: PeerInfo; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, [PEER, String(mib)], { stdio: ['pipe', 'pipe', 'pipe'], signal })
  let stdout = ''
  let stderr = ''
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-4000)))
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()))
  child.once('error', () => {})
  const stop = async () => {
    child.stdin!.end()
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
    await exited
    clearTimeout(timer)
  }
  const info = await new Promise<PeerInfo>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`bitswap-peer.ts printed nothing within 60 s:\n${stderr}`)), 60_000)
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk
      const line = stdout.split('\n')[0]
      if (stdout.includes('\n')) {
        clearTimeout(timer)
        resolve(JSON.parse(line) as PeerInfo)
      }
    })
    void exited.then(() => {
      clearTimeout(timer)
      reject(new Error(`bitswap-peer.ts exited before it was ready:\n${stderr}`))
    })
  }).catch(async (error: unknown) => {
    await stop()
    throw error
  })
  return { info, stop }
}

/** A fresh fetching node connected to the peer, with the peer's protocols known; resolves after both. */
async function connectedNode(peer: PeerInfo) {
  const node = await createBenchHelia()
  const address = multiaddr(peer.multiaddr)
  const connection = await node.libp2p.dial(address)
  // Bitswap sends wants only to peers identify has shown to speak it.
  for (let i = 0; i < 500; i++) {
    const known = await node.libp2p.peerStore.get(connection.remotePeer).catch(() => undefined)
    if (known?.protocols.includes(BITSWAP_PROTOCOL)) break
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  return { node, address }
}

/** Seconds to receive the peer's bytes as one raw libp2p stream. */
async function timeRaw(peer: PeerInfo): Promise<number> {
  const { node, address } = await connectedNode(peer)
  try {
    const started = performance.now()
    const stream = await node.libp2p.dialProtocol(address, RAW_PROTOCOL, { signal: AbortSignal.timeout(TRANSFER_TIMEOUT_MS) })
    let received = 0
    for await (const chunk of stream) received += chunk.byteLength
    const seconds = (performance.now() - started) / 1000
    if (received !== peer.bytes) throw new Error(`the raw stream carried ${received} bytes, not ${peer.bytes}`)
    return seconds
  } finally {
    await node.stop()
  }
}

/** Seconds to fetch the peer's file with bitswap into an empty blockstore: as a job's input is read, or with Helia's `cat`. */
async function timeBitswap(peer: PeerInfo, how: 'unixfsTree' | 'cat'): Promise<number> {
  const { node } = await connectedNode(peer)
  try {
    const started = performance.now()
    let received = 0
    const signal = AbortSignal.timeout(TRANSFER_TIMEOUT_MS)
    if (how === 'cat') for await (const chunk of unixfs(node).cat(CID.parse(peer.cid), { signal })) received += chunk.byteLength
    else {
      for await (const entry of unixfsTree(peer.cid, node, { root: 'file', signal }).entries()) {
        const reader = entry.open!({ signal }).getReader()
        // Bounded: ends with the file.
        for (;;) {
          const { done, value } = await reader.read()
          if (done) break
          received += value.byteLength
        }
      }
    }
    const seconds = (performance.now() - started) / 1000
    if (received !== peer.bytes) throw new Error(`bitswap delivered ${received} bytes, not ${peer.bytes}`)
    return seconds
  } finally {
    await node.stop()
  }
}

async function run(context: BenchContext): Promise<BenchFigure[]> {
  const mib = context.quick ? 8 : 64
  const runs = scaled(context, 5, 2)
  context.progress(`bitswap: ${mib} MiB, ${runs} runs alternating raw stream / bitswap`)
  const figures: BenchFigure[] = []
  const { info, stop } = await startPeer(mib, context.signal)
  try {
    const raw: number[] = []
    const bitswap: number[] = []
    const cat: number[] = []
    for (let i = 0; i < runs && !context.signal.aborted; i++) {
      raw.push(info.bytes / MIB / (await timeRaw(info)))
      bitswap.push(info.bytes / MIB / (await timeBitswap(info, 'unixfsTree')))
      cat.push(info.bytes / MIB / (await timeBitswap(info, 'cat')))
      context.progress(`bitswap: run ${i + 1}/${runs}: raw ${raw.at(-1)!.toFixed(1)} MiB/s, bitswap ${bitswap.at(-1)!.toFixed(1)} MiB/s, Helia's cat ${cat.at(-1)!.toFixed(1)} MiB/s`)
    }
    const notes = `two processes over loopback WebSockets (noise, yamux); ${runs} runs each; UnixFS with Kubo's layout (256 KiB dag-pb leaves); a fresh fetching node per run`
    figures.push(
      {
        id: 'B1',
        name: `bitswap Node↔Node, ${mib} MiB, unixfsTree (median)`,
        value: median(bitswap),
        unit: 'MiB/s',
        goal: { value: 0.8, better: 'higher', on: 'ratio' },
        baseline: baselineOf('raw libp2p stream (MiB/s)', median(raw), median(bitswap)),
        notes: `${notes}; read as a job's ipfs input is (unixfsTree, 8 MiB read-ahead); runs: raw ${list(raw)}, bitswap ${list(bitswap)}`,
      },
      {
        id: 'B1-cat',
        name: `bitswap Node↔Node, ${mib} MiB, Helia's unixfs.cat (median)`,
        value: median(cat),
        unit: 'MiB/s',
        baseline: baselineOf('raw libp2p stream (MiB/s)', median(raw), median(cat)),
        notes: `${notes}; runs: ${list(cat)}`,
      },
    )
  } finally {
    await stop()
  }
  const tabRuns = scaled(context, 2, 1)
  context.progress(`bitswap: Node→tab, ${mib} MiB, ${tabRuns} runs per transport (headless Chromium in a loopback-only namespace)`)
  const tab = await benchTabBitswap({ mib, runs: tabRuns, signal: context.signal, progress: context.progress })
  for (const [transport, id] of [['webrtc-direct', 'B2'], ['websockets', 'B2-ws']] as [TabTransport, string][]) {
    const result = tab.transports[transport]
    const failures = result.rawFailures.length > 0 ? `; ${result.rawFailures.length} raw-stream run(s) failed: ${result.rawFailures[0]}` : ''
    figures.push({
      id,
      name: `bitswap Node→tab over ${transport}, ${mib} MiB (median)`,
      value: median(result.bitswap),
      unit: 'MiB/s',
      goal: { value: 0.8, better: 'higher', on: 'ratio' },
      baseline: result.raw.length > 0 ? baselineOf('raw libp2p stream (MiB/s)', median(result.raw), median(result.bitswap)) : undefined,
      notes: `Node peer (a requester's libp2p node and Helia) → headless Chromium tab (createComputeLibp2p, createTabHelia with blocks in memory, unixfsTree); ${tabRuns} runs each; a fresh tab node per transfer; runs: raw ${list(result.raw)}, bitswap ${list(result.bitswap)}${failures}`,
    })
  }
  return figures
}

const list = (values: number[]): string => values.map((v) => v.toFixed(1)).join(', ') || 'none'

/** The `bitswap` group. */
export const bitswapGroup: BenchGroup = {
  name: 'bitswap',
  summary: 'issue 11: bitswap throughput Node↔Node and Node→tab (Chromium) vs a raw libp2p stream',
  run,
}

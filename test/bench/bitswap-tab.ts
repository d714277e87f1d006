/**
 * Issue 11, B2: bitswap Node→tab. A serving peer in its own Node process (bitswap-peer.ts
 * --shoal: a Shoal requester's libp2p node, WebSockets and WebRTC-direct on loopback, Helia over
 * it) holds 64 MiB of random bytes as UnixFS with Kubo's layout; a headless Chromium tab with a
 * tab's libp2p node and Helia (createComputeLibp2p and createTabHelia, as the contribute page
 * makes them, but blocks in memory) fetches them with Shoal's unixfsTree, beside the same bytes
 * as one raw libp2p stream, over WebRTC-direct and over WebSockets. Each transfer uses a fresh
 * tab node. WebRTC must stay on
 * loopback, so the measurement runs in a child process inside a loopback-only network namespace
 * (`unshare -n`); run directly, this file is that child and prints one JSON line.
 */
import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { rolldown } from 'rolldown'
import { inLoopbackOnlyNamespace, openHeadlessTabs } from '../../node-runner/src/browsers/index.ts'
import type { TabTransfer } from './bitswap-tab-page.ts'

const SELF = fileURLToPath(import.meta.url)
const PAGE = fileURLToPath(new URL('./bitswap-tab-page.ts', import.meta.url))
const PEER = fileURLToPath(new URL('./bitswap-peer.ts', import.meta.url))
const MIB = 1024 * 1024
/** One transfer taking longer than this fails the run (64 MiB at 0.5 MiB/s). */
const TRANSFER_TIMEOUT_MS = 128_000

/** The transports a tab reaches a Node peer over, as this benchmark names them. */
export type TabTransport = 'webrtc-direct' | 'websockets'

/** Throughputs of the Node→tab runs over one transport, MiB/s, in run order. */
export interface TabTransportResult {
  raw: number[]
  bitswap: number[]
  /** Why raw-stream runs failed, if any did (their throughput is missing from `raw`). */
  rawFailures: string[]
}

/** What the B2 measurement found. */
export interface TabBitswapResult {
  bytes: number
  transports: Record<TabTransport, TabTransportResult>
}

/** Options of the B2 measurement. */
export interface TabBitswapOptions {
  mib: number
  runs: number
  signal?: AbortSignal
  progress?: (line: string) => void
}

interface PeerInfo {
  multiaddr: string
  webrtcDirect: string
  cid: string
  bytes: number
}

/** Bundles the page for Chromium and serves it on a loopback port; resolves with its URL and a stop function. */
async function servePage(): Promise<{ url: string; stop: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'shoal-bitswap-tab-'))
  const bundle = await rolldown({ input: PAGE, platform: 'browser', logLevel: 'warn' })
  await bundle.write({ dir, format: 'esm', entryFileNames: 'page.js' })
  await bundle.close()
  const script = await readFile(join(dir, 'page.js'))
  const html = '<!doctype html><meta charset="utf-8"><title>bitswap bench</title><script type="module" src="./page.js"></script>'
  const server = createServer((request, response) => {
    if (request.url === '/page.js') response.writeHead(200, { 'content-type': 'text/javascript' }).end(script)
    else response.writeHead(200, { 'content-type': 'text/html' }).end(html)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  return {
    url: `http://127.0.0.1:${port}/`,
    stop: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await rm(dir, { recursive: true, force: true })
    },
  }
}

/** Starts the serving peer (--shoal) and resolves with what it printed, and a stop function. */
async function startPeer(mib: number): Promise<{ info: PeerInfo; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, [PEER, String(mib), '--shoal'], { stdio: ['pipe', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-4000)))
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()))
  const stop = async () => {
    child.stdin!.end()
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
    await exited
    clearTimeout(timer)
  }
  let stdout = ''
  const info = await new Promise<PeerInfo>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`bitswap-peer.ts printed nothing within 60 s:\n${stderr}`)), 60_000)
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk
      if (!stdout.includes('\n')) return
      clearTimeout(timer)
      resolve(JSON.parse(stdout.split('\n')[0]!) as PeerInfo)
    })
    void exited.then(() => {
      clearTimeout(timer)
      reject(new Error(`bitswap-peer.ts exited before it was ready:\n${stderr}`))
    })
  }).catch(async (error: unknown) => {
    await stop()
    throw error
  })
  if (!info.webrtcDirect) {
    await stop()
    throw new Error('the serving peer has no WebRTC-direct address')
  }
  return { info, stop }
}

/** Measures B2 in this process, which must sit in a loopback-only network namespace. */
export async function measureTabBitswap(options: TabBitswapOptions): Promise<TabBitswapResult> {
  const progress = options.progress ?? (() => {})
  const { info, stop } = await startPeer(options.mib)
  try {
    const page = await servePage()
    try {
      const tabs = await openHeadlessTabs({ url: page.url, count: 1, namespaceOk: false, waitFor: null })
      try {
        const tab = tabs.pages[0]!
        tab.setDefaultTimeout(TRANSFER_TIMEOUT_MS)
        tab.on('pageerror', (error) => progress(`B2: page error: ${error.message}`))
        tab.on('crash', () => progress('B2: the tab crashed'))
        await tab.waitForFunction(() => (globalThis as { bitswapBench?: { ready: boolean } }).bitswapBench?.ready === true, undefined, { timeout: 30_000 })
        type Bench = { raw(address: string): Promise<TabTransfer>; bitswap(address: string, cid: string, blockstore: string): Promise<TabTransfer> }
        const addresses: Record<TabTransport, string> = { 'webrtc-direct': info.webrtcDirect, websockets: info.multiaddr }
        const result: TabBitswapResult = {
          bytes: info.bytes,
          transports: { 'webrtc-direct': { raw: [], bitswap: [], rawFailures: [] }, websockets: { raw: [], bitswap: [], rawFailures: [] } },
        }
        for (let i = 0; i < options.runs; i++) {
          for (const transport of ['webrtc-direct', 'websockets'] as const) {
            options.signal?.throwIfAborted()
            const figures = result.transports[transport]
            const address = addresses[transport]
            const raw = await tab.evaluate((to) => (globalThis as unknown as { bitswapBench: Bench }).bitswapBench.raw(to), address).catch((error: Error) => error)
            if (raw instanceof Error) figures.rawFailures.push(raw.message.split('\n')[0]!)
            else if (raw.bytes !== info.bytes) throw new Error(`the tab's raw stream delivered ${raw.bytes} bytes, not ${info.bytes}`)
            else figures.raw.push(info.bytes / MIB / raw.seconds)
            // Blocks in memory: with its IndexedDB blockstore the bench page closed at the first fetch (headless Chromium here).
            const bitswap = await tab.evaluate(([to, cid]) => (globalThis as unknown as { bitswapBench: Bench }).bitswapBench.bitswap(to!, cid!, 'memory'), [address, info.cid])
            if (bitswap.bytes !== info.bytes) throw new Error(`the tab's bitswap fetch delivered ${bitswap.bytes} bytes, not ${info.bytes}`)
            figures.bitswap.push(info.bytes / MIB / bitswap.seconds)
            const rawText = raw instanceof Error ? 'failed' : `${figures.raw.at(-1)!.toFixed(1)} MiB/s`
            progress(`B2: run ${i + 1}/${options.runs} over ${transport}: raw ${rawText}, bitswap ${figures.bitswap.at(-1)!.toFixed(1)} MiB/s`)
          }
        }
        return result
      } finally {
        await tabs.close()
      }
    } finally {
      await page.stop()
    }
  } finally {
    await stop()
  }
}

/** Runs this file in a loopback-only namespace and returns the JSON it prints. */
function measureInNamespace(options: TabBitswapOptions): Promise<TabBitswapResult> {
  const unshare = process.getuid?.() === 0 ? ['-n'] : ['-r', '-n']
  return new Promise((resolve, reject) => {
    const child = spawn('unshare', [...unshare, 'sh', '-c', `ip link set lo up && exec "${process.execPath}" "${SELF}" ${options.mib} ${options.runs}`], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-8000)
      for (const line of chunk.toString().split('\n')) if (line.startsWith('B2:')) options.progress?.(line)
    })
    const onAbort = () => child.kill('SIGTERM')
    options.signal?.addEventListener('abort', onAbort, { once: true })
    child.on('error', (err) => reject(new Error(`B2 needs unshare (util-linux) to make a loopback-only namespace: ${err.message}`)))
    child.on('close', (code) => {
      options.signal?.removeEventListener('abort', onAbort)
      try {
        const result = JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as TabBitswapResult & { error?: string }
        if (result.error) throw new Error(result.error)
        resolve(result)
      } catch (err) {
        reject(new Error(`B2 measurement failed (exit ${code}): ${(err as Error).message}\n${stderr.slice(-3000)}`))
      }
    })
  })
}

/** B2's runs, measured in a loopback-only namespace (this process's, or a child's). */
export function benchTabBitswap(options: TabBitswapOptions): Promise<TabBitswapResult> {
  return inLoopbackOnlyNamespace() ? measureTabBitswap(options) : measureInNamespace(options)
}

if (import.meta.main) {
  const mib = Number.parseInt(process.argv[2] ?? '64', 10)
  const runs = Number.parseInt(process.argv[3] ?? '3', 10)
  try {
    const result = await measureTabBitswap({ mib, runs, progress: (line) => process.stderr.write(line + '\n') })
    process.stdout.write(JSON.stringify(result) + '\n')
    process.exit(0)
  } catch (err) {
    process.stdout.write(JSON.stringify({ error: (err as Error).stack ?? String(err) }) + '\n')
    process.exit(1)
  }
}

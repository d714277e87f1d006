/**
 * Issue 6, P2: submit→Completed latency of a hello-world WASM job on a browser tab over WebRTC.
 * One headless Chromium tab is the devstack's only compute node; jobs are submitted one at a
 * time with @shoal/client and each is polled (GET /orchestrator/jobs/:id, ~1 ms apart) until
 * Completed. WebRTC must stay on loopback, so the measurement runs in a child process inside a
 * loopback-only network namespace (`unshare -n`); run directly, this file is that child.
 */
import { spawn } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createClient, type ShoalClient } from '@shoal/client'
import { startDevstack } from '../../node-runner/src/devstack/run-devstack.ts'
import { inLoopbackOnlyNamespace, openHeadlessTabs } from '../../node-runner/src/browsers/index.ts'
import { ensureWebBuilt, FIXTURES, hook } from '../browser/scenarios/scenario-kit.ts'
import { percentile, type BenchFigure } from './report.ts'

/** Raw figures of one P2 run. */
export interface BrowserLatency {
  p50: number
  p99: number
  samples: number
  /** The tab's connection to the requester, e.g. webrtc-direct. */
  transport: string
}

/** Options of the P2 measurement. */
export interface BrowserLatencyOptions {
  /** Measured jobs (after WARM_UP unmeasured ones); at least 100 for the figure. */
  jobs: number
  signal?: AbortSignal
  progress?: (line: string) => void
}

const WARM_UP = 10
const SELF = fileURLToPath(import.meta.url)

/** The hello job as `shoal wasm run hello.wasm` builds it (inline module, local publisher). */
async function helloJob(): Promise<object> {
  const wasm = await readFile(join(FIXTURES, 'hello.wasm'))
  return {
    Type: 'batch',
    Count: 1,
    Tasks: [
      {
        Name: 'main',
        Engine: { Type: 'wasm', Params: { EntryModule: '/app/hello.wasm', Entrypoint: '_start', Parameters: [] } },
        Publisher: { Type: 'local' },
        InputSources: [{ Source: { Type: 'inline', Params: { URL: `data:application/wasm;base64,${wasm.toString('base64')}` } }, Target: '/app/hello.wasm' }],
        Network: { Type: 'None' },
      },
    ],
  }
}

/** Submits one job and polls until it is terminal; resolves with the elapsed ms. */
async function timeOneJob(client: ShoalClient, job: object): Promise<number> {
  const started = performance.now()
  const { JobID } = await client.putJob(job, { force: true })
  for (let polls = 0; polls < 30_000; polls++) {
    const view = await client.getJob(JobID)
    const state = String(view.Job.State?.StateType)
    if (state === 'Completed') return performance.now() - started
    if (state === 'Failed' || state === 'Stopped') throw new Error(`job ${JobID} ended ${state}: ${view.Job.State?.Message ?? ''}`)
    await new Promise((resolve) => setTimeout(resolve, 1))
  }
  throw new Error(`job ${JobID} did not complete`)
}

/** Measures P2 in this process, which must sit in a loopback-only network namespace. */
export async function measureBrowserLatency(options: BrowserLatencyOptions): Promise<BrowserLatency> {
  const progress = options.progress ?? (() => {})
  ensureWebBuilt()
  const devstack = await startDevstack({ computes: 0, host: '127.0.0.1', port: 0, browsers: 0 })
  try {
    const tabs = await openHeadlessTabs({ url: `${devstack.url}/contribute`, count: 1, namespaceOk: false })
    try {
      const transport = (await hook(tabs.pages[0], (h) => h.transport())) ?? 'unknown'
      const client = createClient({ baseUrl: devstack.url })
      const job = await helloJob()
      progress(`P2: tab connected over ${transport}; ${WARM_UP} warm-up jobs, then ${options.jobs} measured`)
      for (let i = 0; i < WARM_UP; i++) await timeOneJob(client, job)
      const samples: number[] = []
      for (let i = 0; i < options.jobs; i++) {
        options.signal?.throwIfAborted()
        samples.push(await timeOneJob(client, job))
        if ((i + 1) % 50 === 0) progress(`P2: ${i + 1}/${options.jobs} jobs, p50 so far ${percentile(samples, 50).toFixed(1)} ms`)
      }
      return { p50: percentile(samples, 50), p99: percentile(samples, 99), samples: samples.length, transport }
    } finally {
      await tabs.close()
    }
  } finally {
    await devstack.stop()
  }
}

/** Runs this file in a loopback-only namespace and returns the JSON it prints. */
function measureInNamespace(options: BrowserLatencyOptions): Promise<BrowserLatency> {
  const unshare = process.getuid?.() === 0 ? ['-n'] : ['-r', '-n']
  return new Promise((resolve, reject) => {
    const child = spawn('unshare', [...unshare, 'sh', '-c', `ip link set lo up && exec "${process.execPath}" "${SELF}" ${options.jobs}`], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
      for (const line of chunk.toString().split('\n')) if (line.startsWith('P2:')) options.progress?.(line)
    })
    const onAbort = () => child.kill('SIGTERM')
    options.signal?.addEventListener('abort', onAbort, { once: true })
    child.on('error', (err) => reject(new Error(`P2 needs unshare (util-linux) to make a loopback-only namespace: ${err.message}`)))
    child.on('close', (code) => {
      options.signal?.removeEventListener('abort', onAbort)
      try {
        const result = JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as BrowserLatency & { error?: string }
        if (result.error) throw new Error(result.error)
        resolve(result)
      } catch (err) {
        reject(new Error(`P2 measurement failed (exit ${code}): ${(err as Error).message}\n${stderr.slice(-3000)}`))
      }
    })
  })
}

/** P2 as bench figures: p50 (goal <= 25 ms) and p99 of submit→Completed on a tab over WebRTC. */
export async function benchBrowserLatency(options: BrowserLatencyOptions): Promise<BenchFigure[]> {
  const jobs = Math.max(1, options.jobs)
  const result = inLoopbackOnlyNamespace() ? await measureBrowserLatency({ ...options, jobs }) : await measureInNamespace({ ...options, jobs })
  const notes = `${result.samples} hello.wasm jobs one at a time (after ${WARM_UP} warm-up) on 1 headless Chromium tab over ${result.transport}; completion polled every ~1 ms`
  return [
    { id: 'P2', name: 'browser tab: submit→Completed p50', value: result.p50, unit: 'ms', goal: { value: 25, better: 'lower' }, notes },
    { id: 'P2', name: 'browser tab: submit→Completed p99', value: result.p99, unit: 'ms', notes },
  ]
}

if (import.meta.main) {
  const jobs = Number.parseInt(process.argv[2] ?? '100', 10)
  try {
    const result = await measureBrowserLatency({ jobs, progress: (line) => process.stderr.write(line + '\n') })
    process.stdout.write(JSON.stringify(result) + '\n')
    process.exit(0)
  } catch (err) {
    process.stdout.write(JSON.stringify({ error: (err as Error).stack ?? String(err) }) + '\n')
    process.exit(1)
  }
}

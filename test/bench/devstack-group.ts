/**
 * Issue 5: the whole network on one machine, as real processes (process-cluster.ts): one
 * requester, 3 compute nodes, jobs submitted with @shoal/client over HTTP.
 * P1: submit→Completed latency of a hello-world WASM job (inline module, noop publisher), one
 *     job at a time, beside a direct in-process run of the same module.
 * P3: sustained throughput over many jobs with bounded submissions in flight, and the memory of
 *     the requester process at the end.
 */
import { readFile } from 'node:fs/promises'
import type { ShoalClient } from '@shoal/client'
import { scaled, type BenchContext, type BenchGroup } from './bench-group.ts'
import { CompletionTracker } from './completion-tracker.ts'
import { runWasiDirect } from './minimal-wasi.ts'
import { readMachineCpuSeconds, startProcessCluster, type ProcessCluster } from './process-cluster.ts'
import { baselineOf, percentile, type BenchFigure } from './report.ts'

const HELLO_WASM = new URL('../../packages/wasm/test/fixtures/hello.wasm', import.meta.url)
const COMPUTES = 3
/** A P1 job still running after this long is a failure of the run, not a slow sample. */
const JOB_DEADLINE_MS = 30_000
/** P3 stops submitting and reports what completed after this long. */
const THROUGHPUT_DEADLINE_MS = 5 * 60_000
const IN_FLIGHT = 128
const MB = 1024 * 1024

/** The job `shoal wasm run hello.wasm --publisher noop` would submit, with small resources. */
function helloJob(wasm: Uint8Array): unknown {
  return {
    Name: '',
    Namespace: 'default',
    Type: 'batch',
    Count: 1,
    Tasks: [
      {
        Name: 'main',
        Engine: { Type: 'wasm', Params: { EntryModule: '/app/hello.wasm', Entrypoint: '_start', Parameters: [] } },
        Publisher: { Type: 'noop', Params: {} },
        InputSources: [{ Source: { Type: 'inline', Params: { URL: `data:application/octet-stream;base64,${Buffer.from(wasm).toString('base64')}` } }, Alias: 'hello.wasm', Target: '/app/hello.wasm' }],
        // A hello-world declares what it needs, so a 2-core node runs 20 at once rather than 4 (default 500m).
        Resources: { CPU: '100m', Memory: '64Mb' },
        Network: { Type: 'None' },
        // A burst beyond what the nodes run at once waits its turn (without a QueueTimeout it fails at once).
        Timeouts: { QueueTimeout: 600 },
      },
    ],
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Submits one job and polls it every 1 ms until terminal; returns the state and ms from submit. */
async function runOne(client: ShoalClient, job: unknown, signal: AbortSignal): Promise<{ state: string; ms: number; polls: number }> {
  const started = performance.now()
  const { JobID } = await client.putJob(job, { signal })
  let polls = 0
  while (performance.now() - started < JOB_DEADLINE_MS) {
    await sleep(1)
    polls++
    const { Job } = await client.getJob(JobID, { signal })
    const state = Job.State.StateType
    if (state === 'Completed' || state === 'Failed' || state === 'Stopped') return { state, ms: performance.now() - started, polls }
  }
  throw new Error(`job ${JobID} did not finish within ${JOB_DEADLINE_MS / 1000} s`)
}

/** Direct in-process runs of the module (compiled once): the floor of any job latency. */
function directLatencies(module: WebAssembly.Module, runs: number): number[] {
  const samples: number[] = []
  for (let i = 0; i < runs; i++) {
    const started = performance.now()
    const { exitCode, stdout } = runWasiDirect(module)
    samples.push(performance.now() - started)
    if (exitCode !== 0 || !stdout.includes('hello')) throw new Error(`direct run of hello.wasm failed (exit ${exitCode})`)
  }
  return samples
}

async function measureLatency(context: BenchContext, cluster: ProcessCluster, wasm: Uint8Array): Promise<BenchFigure[]> {
  const job = helloJob(wasm)
  const jobs = scaled(context, 200, 20)
  const warmup = 20
  const samples: number[] = []
  let polls = 0
  for (let i = 0; i < warmup + jobs; i++) {
    const result = await runOne(cluster.client, job, context.signal)
    if (result.state !== 'Completed') throw new Error(`a P1 hello job ended ${result.state}; see the requester's job history`)
    if (i >= warmup) {
      samples.push(result.ms)
      polls += result.polls
    }
    if ((i + 1) % 50 === 0) context.progress(`devstack P1: ${i + 1}/${warmup + jobs} jobs (incl. ${warmup} warm-up), p50 so far ${percentile(samples, 50).toFixed(2)} ms`)
  }
  const module = await WebAssembly.compile(wasm as Uint8Array<ArrayBuffer>)
  directLatencies(module, 50)
  const direct = directLatencies(module, jobs)
  const p50 = percentile(samples, 50)
  const p99 = percentile(samples, 99)
  const how = `${jobs} sequential jobs after ${warmup} warm-up; completion seen by GET /orchestrator/jobs/:id every 1 ms (${(polls / jobs).toFixed(1)} polls/job); baseline: precompiled module, new Instance + _start with a minimal in-memory WASI, this process`
  return [
    {
      id: 'P1',
      name: 'hello WASM job submit→Completed, p50',
      value: p50,
      unit: 'ms',
      goal: { value: 10, better: 'lower' },
      baseline: baselineOf('direct run p50 (ms)', percentile(direct, 50), p50),
      notes: how,
    },
    {
      id: 'P1-p99',
      name: 'hello WASM job submit→Completed, p99',
      value: p99,
      unit: 'ms',
      baseline: baselineOf('direct run p99 (ms)', percentile(direct, 99), p99),
      notes: how,
    },
  ]
}

async function measureThroughput(context: BenchContext, cluster: ProcessCluster, wasm: Uint8Array): Promise<BenchFigure[]> {
  const job = helloJob(wasm)
  const total = scaled(context, 10_000, 500)
  const idle = await cluster.requesterMemory()
  const cpuBefore = await cluster.cpuSeconds()
  const benchCpuBefore = process.cpuUsage()
  const machineBefore = await readMachineCpuSeconds()
  const deadline = AbortSignal.any([context.signal, AbortSignal.timeout(THROUGHPUT_DEADLINE_MS)])
  const tracker = new CompletionTracker({ client: cluster.client, pollers: 8, signal: deadline })
  const states = new Map<string, number>()
  const latencies: number[] = []
  let submitted = 0
  let finished = 0
  let firstError: unknown
  const started = performance.now()
  const progress = setInterval(() => {
    const seconds = (performance.now() - started) / 1000
    context.progress(`devstack P3: ${finished}/${total} finished, ${submitted} submitted, ${(finished / seconds).toFixed(0)} jobs/s, ${(tracker.polls / Math.max(1, finished)).toFixed(2)} polls/job`)
  }, 5_000)
  const submitter = async () => {
    while (submitted < total && !deadline.aborted && firstError === undefined) {
      submitted++
      const t0 = performance.now()
      try {
        const { JobID } = await cluster.client.putJob(job, { signal: deadline })
        const state = await tracker.wait(JobID)
        latencies.push(performance.now() - t0)
        states.set(state, (states.get(state) ?? 0) + 1)
        finished++
      } catch (error) {
        if (!deadline.aborted) firstError ??= error
      }
    }
  }
  try {
    await Promise.all(Array.from({ length: IN_FLIGHT }, submitter))
  } finally {
    clearInterval(progress)
    await tracker.stop()
  }
  const seconds = (performance.now() - started) / 1000
  const end = await cluster.requesterMemory()
  const cpuAfter = await cluster.cpuSeconds()
  const benchCpu = process.cpuUsage(benchCpuBefore)
  const machineAfter = await readMachineCpuSeconds()
  const clusterCpu = cpuAfter.requester - cpuBefore.requester + cpuAfter.computes.reduce((sum, c, i) => sum + c - cpuBefore.computes[i], 0) + (benchCpu.user + benchCpu.system) / 1e6
  const share = (used: number) => `${((used / seconds) * 100).toFixed(0)}%`
  const cpuText = `CPU over the run: requester ${share(cpuAfter.requester - cpuBefore.requester)}, compute nodes ${cpuAfter.computes.map((c, i) => share(c - cpuBefore.computes[i])).join('/')}, bench client ${share((benchCpu.user + benchCpu.system) / 1e6)} (of one core), machine ${share(machineAfter.busy - machineBefore.busy)} busy of ${(((machineAfter.total - machineBefore.total) / seconds) * 100).toFixed(0)}% (others used ${share(Math.max(0, machineAfter.busy - machineBefore.busy - clusterCpu))})`
  if (firstError !== undefined) throw firstError
  const completed = states.get('Completed') ?? 0
  const stateText = [...states].map(([state, n]) => `${n} ${state}`).join(', ')
  const aborted = deadline.aborted ? `; STOPPED after ${THROUGHPUT_DEADLINE_MS / 1000} s with ${finished} of ${total} finished` : ''
  return [
    {
      id: 'P3',
      name: `sustained throughput, ${COMPUTES} compute nodes`,
      value: completed / seconds,
      unit: 'jobs/s',
      goal: { value: 2000, better: 'higher' },
      notes: `${total} hello jobs, ${IN_FLIGHT} in flight, ${seconds.toFixed(1)} s (${stateText})${aborted}; submit→seen p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms; completion seen by ${tracker.polls} GET /jobs/:id (${(tracker.polls / Math.max(1, finished)).toFixed(2)}/job, oldest first, 8 pollers); ${cpuText}`,
    },
    {
      id: 'P3-rss',
      name: 'requester VmRSS after the throughput run',
      value: end.rssBytes / MB,
      unit: 'MiB',
      baseline: baselineOf('idle requester before it (MiB)', idle.rssBytes / MB, end.rssBytes / MB),
      notes: `requester process ${cluster.requesterPid} alone (compute nodes are separate processes); peak VmHWM ${(end.peakRssBytes / MB).toFixed(0)} MiB`,
    },
  ]
}

async function run(context: BenchContext): Promise<BenchFigure[]> {
  const wasm = new Uint8Array(await readFile(HELLO_WASM))
  context.progress(`devstack: starting 1 requester + ${COMPUTES} compute node processes`)
  const cluster = await startProcessCluster({ computes: COMPUTES, signal: context.signal })
  try {
    context.progress(`devstack: ready at ${cluster.url}, requester pid ${cluster.requesterPid}`)
    const latency = await measureLatency(context, cluster, wasm)
    const throughput = await measureThroughput(context, cluster, wasm)
    return [...latency, ...throughput]
  } finally {
    await cluster.stop()
  }
}

/** The `devstack` group. */
export const devstackGroup: BenchGroup = {
  name: 'devstack',
  summary: 'issue 5: P1 submit→Completed latency and P3 throughput + requester RSS (requester and 3 compute nodes as processes)',
  run,
}

/**
 * Issue 13: the edge requester (wrangler dev, workerd, Durable Object SQLite) beside the Node
 * requester (`shoal serve --orchestrator`) in the same run, each with one node-runner compute node
 * (`shoal serve --compute`) joined over the compute WebSocket, as on the edge.
 * P1: submit→Completed latency of a warm hello WASM job, one at a time (p50, p99).
 * P3: sustained throughput of hello jobs with a fixed number in flight.
 * Each edge figure carries the Node figure as its baseline: the ratio is edge/Node.
 */
import { readFile } from 'node:fs/promises'
import type { ShoalClient } from '@shoal/client'
import { killAllEdgeRequesters, killAllShoals, removeTempDirs, startCompute, startEdgeRequester, startRequester, waitForComputeNodes } from '../support/index.ts'
import { scaled, type BenchContext, type BenchGroup } from './bench-group.ts'
import { CompletionTracker } from './completion-tracker.ts'
import { baselineOf, percentile, type BenchFigure } from './report.ts'

const HELLO_WASM = new URL('../../packages/wasm/test/fixtures/hello.wasm', import.meta.url)
const TOKEN = 'bench-edge-token'
/** A P1 job still running after this long is a failure of the run, not a slow sample. */
const JOB_DEADLINE_MS = 30_000
/** P3 stops and reports what completed after this long. */
const THROUGHPUT_DEADLINE_MS = 5 * 60_000
const IN_FLIGHT = 32

/** A hello job with small resources (a 2-core node runs 20 at once) that waits its turn in a burst. */
function helloJob(wasm: Uint8Array): unknown {
  return {
    Type: 'batch',
    Count: 1,
    Tasks: [
      {
        Name: 'main',
        Engine: { Type: 'wasm', Params: { EntryModule: '/app/hello.wasm', Entrypoint: '_start', Parameters: [] } },
        Publisher: { Type: 'noop', Params: {} },
        InputSources: [{ Source: { Type: 'inline', Params: { URL: `data:application/octet-stream;base64,${Buffer.from(wasm).toString('base64')}` } }, Alias: 'hello.wasm', Target: '/app/hello.wasm' }],
        Resources: { CPU: '100m', Memory: '64Mb' },
        Network: { Type: 'None' },
        Timeouts: { QueueTimeout: 600 },
      },
    ],
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Submits one job and polls it every 1 ms until terminal; returns its state and ms from submit. */
async function runOne(client: ShoalClient, job: unknown, signal: AbortSignal): Promise<{ state: string; ms: number }> {
  const started = performance.now()
  const { JobID } = await client.putJob(job, { signal })
  while (performance.now() - started < JOB_DEADLINE_MS) {
    await sleep(1)
    const { Job } = await client.getJob(JobID, { signal })
    const state = Job.State.StateType
    if (state === 'Completed' || state === 'Failed' || state === 'Stopped') return { state, ms: performance.now() - started }
  }
  throw new Error(`job ${JobID} did not finish within ${JOB_DEADLINE_MS / 1000} s`)
}

/** What one target measured. */
interface TargetFigures {
  p50: number
  p99: number
  latencyJobs: number
  throughput: number
  throughputNote: string
}

async function measureTarget(context: BenchContext, label: string, client: ShoalClient, wasm: Uint8Array): Promise<TargetFigures> {
  const job = helloJob(wasm)
  const warmup = scaled(context, 20, 5)
  const jobs = scaled(context, 200, 20)
  const samples: number[] = []
  for (let i = 0; i < warmup + jobs; i++) {
    const result = await runOne(client, job, context.signal)
    if (result.state !== 'Completed') throw new Error(`${label}: a P1 hello job ended ${result.state}`)
    if (i >= warmup) samples.push(result.ms)
  }
  context.progress(`edge ${label} P1: p50 ${percentile(samples, 50).toFixed(2)} ms over ${jobs} jobs`)

  const total = scaled(context, 2000, 200)
  const deadline = AbortSignal.any([context.signal, AbortSignal.timeout(THROUGHPUT_DEADLINE_MS)])
  const tracker = new CompletionTracker({ client, pollers: 8, signal: deadline })
  const states = new Map<string, number>()
  let submitted = 0
  let firstError: unknown
  const started = performance.now()
  const submitter = async () => {
    while (submitted < total && !deadline.aborted && firstError === undefined) {
      submitted++
      try {
        const { JobID } = await client.putJob(job, { signal: deadline })
        const state = await tracker.wait(JobID)
        states.set(state, (states.get(state) ?? 0) + 1)
      } catch (error) {
        if (!deadline.aborted) firstError ??= error
      }
    }
  }
  try {
    await Promise.all(Array.from({ length: IN_FLIGHT }, submitter))
  } finally {
    await tracker.stop()
  }
  if (firstError !== undefined) throw firstError
  const seconds = (performance.now() - started) / 1000
  const completed = states.get('Completed') ?? 0
  const stateText = [...states].map(([state, n]) => `${n} ${state}`).join(', ')
  const aborted = deadline.aborted ? `; STOPPED after ${THROUGHPUT_DEADLINE_MS / 1000} s` : ''
  context.progress(`edge ${label} P3: ${(completed / seconds).toFixed(1)} jobs/s (${stateText})`)
  return {
    p50: percentile(samples, 50),
    p99: percentile(samples, 99),
    latencyJobs: jobs,
    throughput: completed / seconds,
    throughputNote: `${total} hello jobs, ${IN_FLIGHT} in flight, ${seconds.toFixed(1)} s (${stateText})${aborted}`,
  }
}

/** `shoal serve --orchestrator` offering the compute WebSocket, with one node joined over it. */
async function measureNode(context: BenchContext, wasm: Uint8Array): Promise<TargetFigures> {
  const requester = await startRequester({ args: ['--compute-transports', 'websocket', '--join-token', TOKEN], timeoutMs: 60_000 })
  try {
    const node = await startCompute(requester.apiUrl, { args: ['--join-token', TOKEN], timeoutMs: 60_000 })
    await waitForComputeNodes(requester.client, 1, { nodeIds: [node.nodeId], timeoutMs: 60_000 })
    context.progress(`edge: Node requester at ${requester.apiUrl}, compute node ${node.nodeId} joined over WebSocket`)
    return await measureTarget(context, 'Node requester', requester.client, wasm)
  } finally {
    await killAllShoals()
  }
}

/** The edge requester in wrangler dev, with one node joined over its compute WebSocket. */
async function measureEdge(context: BenchContext, wasm: Uint8Array): Promise<TargetFigures> {
  const edge = await startEdgeRequester({ vars: { SHOAL_JOIN_TOKEN: TOKEN } })
  try {
    const node = await startCompute(edge.apiUrl, { args: ['--join-token', TOKEN], timeoutMs: 60_000 })
    await waitForComputeNodes(edge.client, 1, { nodeIds: [node.nodeId], timeoutMs: 60_000 })
    context.progress(`edge: edge requester at ${edge.apiUrl}, compute node ${node.nodeId} joined over WebSocket`)
    return await measureTarget(context, 'edge requester', edge.client, wasm)
  } finally {
    await killAllShoals()
    await edge.stop()
    await killAllEdgeRequesters()
  }
}

async function run(context: BenchContext): Promise<BenchFigure[]> {
  const wasm = new Uint8Array(await readFile(HELLO_WASM))
  try {
    const node = await measureNode(context, wasm)
    const edge = await measureEdge(context, wasm)
    const how = `${edge.latencyJobs} sequential jobs after a warm-up, completion seen by GET /jobs/:id every 1 ms; one compute node joined over WebSocket; baseline: the Node requester (shoal serve --orchestrator) with the same node set-up, this run`
    return [
      { id: 'E-P1', name: 'edge: hello WASM job submit→Completed, p50', value: edge.p50, unit: 'ms', baseline: baselineOf('Node requester p50 (ms)', node.p50, edge.p50), notes: how },
      { id: 'E-P1-p99', name: 'edge: hello WASM job submit→Completed, p99', value: edge.p99, unit: 'ms', baseline: baselineOf('Node requester p99 (ms)', node.p99, edge.p99), notes: how },
      {
        id: 'E-P3',
        name: 'edge: sustained throughput, 1 compute node',
        value: edge.throughput,
        unit: 'jobs/s',
        baseline: baselineOf('Node requester (jobs/s)', node.throughput, edge.throughput),
        notes: `edge: ${edge.throughputNote}; Node: ${node.throughputNote}`,
      },
    ]
  } finally {
    await removeTempDirs()
  }
}

/** The edge requester beside the Node requester: P1 latency and sustained throughput. */
export const edgeGroup: BenchGroup = {
  name: 'edge',
  summary: 'issue 13: P1 latency and throughput, edge requester (wrangler dev) vs Node requester, one node over WebSocket',
  run,
}

/**
 * Issue 15: the cost of verified results. The same WASM job (hello.wasm, inline) submitted to a
 * Requester with 3 in-process ComputeNodes (MemoryNetwork, one real WASM engine with a worker per
 * node), unverified and with Meta shoal.verify/replicas "3": latency submit→Completed one job at a
 * time (the two kinds alternate), and throughput with many jobs in flight.
 */
import { readFile } from 'node:fs/promises'
import type { JobStateType } from '@shoal/models'
import { MemoryNetwork } from '@shoal/protocol'
import { Requester, SqlJobStore } from '@shoal/orchestrator'
import { ComputeNode, InlineStorage, NoopPublisher } from '@shoal/compute'
import { createWasmEngine } from '@shoal/wasm'
import { createNodeSqliteDatabase } from '../../node-runner/src/sqlite/node-sqlite-database.ts'
import { createNodeWorkerFactory } from '../../node-runner/src/worker/index.ts'
import { scaled, type BenchContext, type BenchGroup } from './bench-group.ts'
import { baselineOf, type BenchFigure } from './report.ts'

const NODES = 3

async function setUp() {
  const wasm = createWasmEngine({ workerFactory: createNodeWorkerFactory(), poolSize: NODES })
  const network = new MemoryNetwork()
  const store = new SqlJobStore({ db: createNodeSqliteDatabase(':memory:') })
  const requester = new Requester({ store, listeners: [network.listener('requester')], config: { nodeId: 'n-requester', maxRetries: 0 } })
  await requester.start()
  const nodes: ComputeNode[] = []
  for (let i = 0; i < NODES; i++) {
    const node = new ComputeNode({
      nodeId: `n-bench-${i}`,
      engines: [wasm],
      storages: [new InlineStorage()],
      publishers: [new NoopPublisher()],
      capacity: { CPU: 8, Memory: 8_000_000_000, Disk: 0, GPU: 0 },
      dialer: network.dialer(`n-bench-${i}`),
      requesterAddresses: ['requester'],
    })
    await node.start()
    nodes.push(node)
  }
  for (let i = 0; i < 2000 && (await requester.listNodes()).filter((n) => n.ConnectionState.Status === 'CONNECTED').length < NODES; i++) {
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  const done = new Map<string, (state: JobStateType) => void>()
  requester.addEventListener('job', (event) => {
    const { jobId, state } = (event as CustomEvent<{ jobId: string; state: JobStateType }>).detail
    if (state === 'Completed' || state === 'Failed' || state === 'Stopped') done.get(jobId)?.(state)
  })
  const bytes = new Uint8Array(await readFile(new URL('../../packages/wasm/test/fixtures/hello.wasm', import.meta.url)))
  const url = `data:application/wasm;base64,${Buffer.from(bytes).toString('base64')}`
  let n = 0
  const runJob = async (verified: boolean): Promise<number> => {
    const started = performance.now()
    const spec = {
      Name: `bench-${n++}`,
      Type: 'batch',
      Count: 1,
      ...(verified ? { Meta: { 'shoal.verify/replicas': String(NODES) } } : {}),
      Tasks: [{ Name: 'main', Engine: { Type: 'wasm', Params: { EntryModule: '/app/main.wasm' } }, Publisher: { Type: 'noop' }, InputSources: [{ Source: { Type: 'inline', Params: { URL: url } }, Target: '/app/main.wasm' }] }],
    }
    let resolve!: (state: JobStateType) => void
    const ended = new Promise<JobStateType>((r) => (resolve = r))
    const { JobID } = await requester.submitJob(spec)
    done.set(JobID, resolve)
    const state = ['Completed', 'Failed', 'Stopped'].includes((await store.getJob(JobID)).State.StateType) ? (await store.getJob(JobID)).State.StateType : await ended
    done.delete(JobID)
    if (state !== 'Completed') throw new Error(`bench job ${JobID} ended ${state}: ${(await store.getJob(JobID)).State.Message}`)
    return performance.now() - started
  }
  const stop = async () => {
    for (const node of nodes) await node.stop()
    await requester.stop()
    await wasm.stop?.()
    await store.close()
  }
  return { runJob, stop }
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!

async function run(context: BenchContext): Promise<BenchFigure[]> {
  const cluster = await setUp()
  try {
    context.progress('verify: warm-up')
    await cluster.runJob(false)
    await cluster.runJob(true)
    const rounds = scaled(context, 30, 4)
    const plain: number[] = []
    const verified: number[] = []
    for (let i = 0; i < rounds && !context.signal.aborted; i++) {
      plain.push(await cluster.runJob(false))
      verified.push(await cluster.runJob(true))
    }
    context.progress(`verify: latency p50 unverified ${median(plain).toFixed(0)} ms, verified ${median(verified).toFixed(0)} ms`)
    const batch = scaled(context, 60, 6)
    const rate = async (v: boolean) => {
      const started = performance.now()
      await Promise.all(Array.from({ length: batch }, () => cluster.runJob(v)))
      return batch / ((performance.now() - started) / 1000)
    }
    const plainRate = await rate(false)
    const verifiedRate = await rate(true)
    context.progress(`verify: throughput unverified ${plainRate.toFixed(1)} jobs/s, verified ${verifiedRate.toFixed(1)} jobs/s`)
    return [
      {
        id: 'V1',
        name: 'verified (N=3) job latency p50, submit→Completed',
        value: median(verified),
        unit: 'ms',
        baseline: baselineOf('same job unverified (ms)', median(plain), median(verified)),
        notes: `hello.wasm, ${NODES} in-process nodes over MemoryNetwork, ${rounds} of each kind alternating`,
      },
      {
        id: 'V2',
        name: 'verified (N=3) job throughput',
        value: verifiedRate,
        unit: 'jobs/s',
        baseline: baselineOf('same jobs unverified (jobs/s)', plainRate, verifiedRate),
        notes: `${batch} jobs submitted at once, each kind in turn`,
      },
    ]
  } finally {
    await cluster.stop()
  }
}

/** The `verify` group. */
export const verifyGroup: BenchGroup = {
  name: 'verify',
  summary: 'issue 15: latency and throughput of verified (N=3) jobs vs the same jobs unverified',
  run,
}

/**
 * Scheduler throughput: jobs submitted through a Requester and run to Completed by in-process
 * compute nodes over a MemoryNetwork that finish every execution at once (bid, Running,
 * RunResult). Measures the orchestrator alone: validation, store writes, evaluations, protocol.
 * The store is the caller's (the bench harness passes a SqlJobStore on a file).
 */
import type { JobStore } from '@shoal/interface'
import { MemoryNetwork } from '@shoal/protocol'
import { Requester, type JobStateEventDetail } from '../src/requester.ts'
import { FakeComputeNode } from '../test/helpers/fake-compute-node.ts'

/** Options of benchOrchestrator. */
export interface OrchestratorBenchOptions {
  store: JobStore
  /** Jobs to run (batch, Count 1, noop engine). */
  jobs: number
  /** Compute nodes (default 8). */
  nodes?: number
  /** Submissions in flight at once, as from many API clients (default 256). */
  concurrency?: number
}

/** What benchOrchestrator measured. */
export interface OrchestratorBenchResult {
  jobs: number
  seconds: number
  jobsPerSecond: number
}

/** Submits `jobs` batch jobs and waits until all completed; returns the rate. */
export async function benchOrchestrator(options: OrchestratorBenchOptions): Promise<OrchestratorBenchResult> {
  const network = new MemoryNetwork()
  const requester = new Requester({
    store: options.store,
    listeners: [network.listener('bench-requester')],
    config: { heartbeatIntervalMs: 60_000 },
  })
  await requester.start()
  const nodes: FakeComputeNode[] = []
  for (let i = 0; i < (options.nodes ?? 8); i++) {
    const node = new FakeComputeNode({
      network,
      address: 'bench-requester',
      nodeId: `n-bench-${i}`,
      capacity: { CPU: 1_000_000, Memory: 1e15, Disk: 1e15 },
      heartbeats: false,
    })
    await node.start()
    nodes.push(node)
  }

  let completed = 0
  let failed = 0
  let done!: () => void
  const allDone = new Promise<void>((resolve) => (done = resolve))
  requester.addEventListener('job', (event) => {
    const { state } = (event as CustomEvent<JobStateEventDetail>).detail
    if (state === 'Completed') completed++
    else if (state === 'Failed' || state === 'Stopped') failed++
    if (completed + failed === options.jobs) done()
  })

  const spec = { Type: 'batch', Count: 1, Tasks: [{ Name: 'main', Engine: { Type: 'noop', Params: {} } }] }
  const started = performance.now()
  let next = 0
  const submitter = async () => {
    while (next < options.jobs) {
      next++
      await requester.submitJob(spec)
    }
  }
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 256, options.jobs) }, submitter))
  await allDone
  const seconds = (performance.now() - started) / 1000

  for (const node of nodes) await node.close()
  await requester.stop()
  if (failed > 0) throw new Error(`${failed} of ${options.jobs} bench jobs did not complete`)
  return { jobs: options.jobs, seconds, jobsPerSecond: options.jobs / seconds }
}

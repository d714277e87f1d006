import type { Execution, Job, JobStateType } from '@shoal/models'
import { MemoryNetwork } from '@shoal/protocol'
import { createNodeSqliteDatabase } from '../../../../node-runner/src/sqlite/node-sqlite-database.ts'
import { Requester, type RequesterConfig, type RequesterOptions } from '../../src/requester.ts'
import { SqlJobStore } from '../../src/store/index.ts'
import { FakeComputeNode, type FakeComputeNodeOptions } from './fake-compute-node.ts'
import { ManualClock, settle } from './manual-clock.ts'

/** The address of the harness requester's memory listener. */
export const REQUESTER_ADDRESS = 'requester'

/** A noop job spec with overrides. */
export function noopJob(overrides: Record<string, unknown> = {}, task: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    Name: overrides.Name ?? `job-${Math.random().toString(36).slice(2, 8)}`,
    Type: 'batch',
    Count: 1,
    ...overrides,
    Tasks: [{ Name: 'main', Engine: { Type: 'noop', Params: {} }, ...task }],
  }
}

/** Waits (bounded, by settling queued work) until `check` holds; throws `what` otherwise. */
export async function until(check: () => boolean | Promise<boolean>, what: string, turns = 300): Promise<void> {
  for (let i = 0; i < turns; i++) {
    if (await check()) return
    await settle(1)
  }
  throw new Error(`timed out waiting for ${what}`)
}

/**
 * A requester on a real SqlJobStore (node:sqlite in memory), a manual clock and a memory
 * network, with helpers to add fake compute nodes and read what users see.
 */
export class RequesterHarness {
  readonly clock = new ManualClock()
  readonly network = new MemoryNetwork()
  readonly store: SqlJobStore
  readonly requester: Requester
  readonly nodes: FakeComputeNode[] = []
  private ids = 0

  constructor(config: RequesterConfig = {}, store?: SqlJobStore, extra: Pick<RequesterOptions, 'resultPinner' | 'uploadSigner'> = {}) {
    this.store = store ?? new SqlJobStore({ db: createNodeSqliteDatabase(':memory:'), clock: this.clock })
    this.requester = this.newRequester(config, extra)
  }

  /** A requester on this harness's store, clock and network (for restart tests). */
  newRequester(config: RequesterConfig = {}, extra: Pick<RequesterOptions, 'resultPinner' | 'uploadSigner'> = {}): Requester {
    return new Requester({
      ...extra,
      store: this.store,
      listeners: [this.network.listener(REQUESTER_ADDRESS)],
      clock: this.clock,
      uuid: () => `00000000-0000-4000-8000-${String(++this.ids).padStart(12, '0')}`,
      config: { nodeId: 'n-requester', ...config },
    })
  }

  /** Starts the requester. */
  async start(): Promise<this> {
    await this.requester.start()
    return this
  }

  /** Connects a fake compute node (heartbeats on the manual clock). */
  async addNode(nodeId: string, options: Partial<FakeComputeNodeOptions> = {}): Promise<FakeComputeNode> {
    const node = new FakeComputeNode({ network: this.network, address: REQUESTER_ADDRESS, nodeId, clock: this.clock, ...options })
    await node.start()
    await settle()
    this.nodes.push(node)
    return node
  }

  /** Submits a job spec; returns its ID. */
  async submit(spec: Record<string, unknown>): Promise<string> {
    const { JobID } = await this.requester.submitJob(spec)
    await settle()
    return JobID
  }

  /** The job as stored. */
  job(jobId: string): Promise<Job> {
    return this.store.getJob(jobId)
  }

  /** Waits until the job is in `state`. */
  async waitForState(jobId: string, state: JobStateType): Promise<Job> {
    let last: Job | undefined
    await until(async () => (last = await this.job(jobId)).State.StateType === state, `job ${jobId} to be ${state} (is ${last?.State.StateType}: ${last?.State.Message})`)
    return last!
  }

  /** Every execution of the job. */
  async executions(jobId: string): Promise<Execution[]> {
    return (await this.store.listExecutions({ jobId, limit: 1000 })).Items
  }

  /** The job's history messages, oldest first. */
  async history(jobId: string): Promise<string[]> {
    return (await this.store.getHistory(jobId, { limit: 1000 })).Items.map((h) => h.Event.Message)
  }

  /** Stops nodes, the requester and the store. */
  async stop(): Promise<void> {
    for (const node of this.nodes) await node.close().catch(() => {})
    await this.requester.stop()
    await this.store.close()
  }
}

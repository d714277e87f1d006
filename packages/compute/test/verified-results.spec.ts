/**
 * Verified results (Meta shoal.verify/replicas) with the real requester (scheduler, SQL job
 * store), real ComputeNodes speaking the compute protocol over a MemoryNetwork and the real WASM
 * engine running a module that prints the clock and random bytes. One node lies: its engine is
 * wrapped by this test to change the output (a test-only fault: no build or setting can make a
 * node do this). What a user relies on: a lie never becomes the job's published result.
 */
import { readFile } from 'node:fs/promises'
import { afterEach, describe, expect, it } from 'vitest'
import { ExecutionState, ValidationError, type Execution, type JobHistory, type JobStateType } from '@shoal/models'
import { readTreeIntoMemory, type Engine, type EngineRunResult, type FileTreeNode, type Publisher, type PublishRequest } from '@shoal/interface'
import { MemoryNetwork } from '@shoal/protocol'
import { Requester, SqlJobStore, type RequesterConfig } from '@shoal/orchestrator'
import { createWasmEngine } from '@shoal/wasm'
// Node-only adapters, used by this test only (packages stay runtime-neutral).
import { createNodeSqliteDatabase } from '../../../node-runner/src/sqlite/node-sqlite-database.ts'
import { createNodeWorkerFactory } from '../../../node-runner/src/worker/index.ts'
import { ComputeNode, InlineStorage } from '../src/index.ts'

const ADDRESS = 'requester'
const stops: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop()
})

/** What a node published, as the test's publisher kept it. */
interface Published {
  nodeId: string
  executionId: string
  result: FileTreeNode
}

/** A publisher that keeps what it is given (as `noop`, so every node offers it). */
class RecordingPublisher implements Publisher {
  readonly type = 'noop'
  private readonly into: Published[]
  constructor(into: Published[]) {
    this.into = into
  }
  async publish(request: PublishRequest) {
    const result = await readTreeIntoMemory(request.result, { maxBytes: 1 << 20, tooLarge: () => new Error('too large') })
    this.into.push({ nodeId: request.nodeId, executionId: request.executionId, result })
    return { Type: 'noop', Params: { PublishedBy: request.nodeId } }
  }
}

/** The test-only fault: the same engine, with `lie` appended to stdout. */
function lyingEngine(engine: Engine, lie: string): Engine {
  return {
    type: engine.type,
    mounts: engine.mounts,
    async run(request, options): Promise<EngineRunResult> {
      const result = await engine.run(request, options)
      const stdout = new Uint8Array([...result.stdout, ...new TextEncoder().encode(lie)])
      return { ...result, stdout }
    },
  }
}

const stdoutOf = (tree: FileTreeNode): string => {
  if (tree.kind !== 'dir') throw new Error('result is not a directory')
  const file = tree.entries.get('stdout')
  return file?.kind === 'file' ? new TextDecoder().decode(file.data) : ''
}

async function until(check: () => Promise<boolean>, turns = 4000): Promise<void> {
  for (let i = 0; i < turns; i++) {
    if (await check()) return
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  throw new Error('condition not reached')
}

/** A requester and compute nodes: `lies[id]` set makes that node lie with that text. */
async function cluster(nodes: Array<{ id: string; lie?: string; labels?: Record<string, string> }>, options: { maxRetries?: number; requester?: RequesterConfig } = {}) {
  const wasm = createWasmEngine({ workerFactory: createNodeWorkerFactory(), poolSize: 3 })
  stops.push(async () => void (await wasm.stop?.()))
  const network = new MemoryNetwork()
  const store = new SqlJobStore({ db: createNodeSqliteDatabase(':memory:') })
  const requester = new Requester({
    store,
    listeners: [network.listener(ADDRESS)],
    config: { nodeId: 'n-requester', heartbeatIntervalMs: 200, maxRetries: options.maxRetries ?? 0, ...options.requester },
  })
  await requester.start()
  stops.push(() => requester.stop())
  const published: Published[] = []
  for (const { id, lie, labels } of nodes) {
    const node = new ComputeNode({
      nodeId: id,
      labels,
      engines: [lie === undefined ? wasm : lyingEngine(wasm, lie)],
      storages: [new InlineStorage()],
      publishers: [new RecordingPublisher(published)],
      capacity: { CPU: 2, Memory: 2_000_000_000, Disk: 0, GPU: 0 },
      dialer: network.dialer(id),
      requesterAddresses: [ADDRESS],
      reconnect: { initialDelayMs: 5, maxDelayMs: 50 },
    })
    await node.start()
    stops.push(() => node.stop())
  }
  await until(async () => (await requester.listNodes()).filter((n) => n.ConnectionState.Status === 'CONNECTED').length === nodes.length)
  const waitForJob = async (jobId: string, states: JobStateType[]): Promise<JobStateType> => {
    await until(async () => states.includes((await store.getJob(jobId)).State.StateType))
    return (await store.getJob(jobId)).State.StateType
  }
  const executions = async (jobId: string): Promise<Execution[]> => (await store.listExecutions({ jobId })).Items
  const history = async (jobId: string): Promise<JobHistory[]> => (await store.getHistory(jobId)).Items
  return { requester, store, published, waitForJob, executions, history }
}

const module = async () => {
  const bytes = new Uint8Array(await readFile(new URL('../../wasm/test/fixtures/clock-random.wasm', import.meta.url)))
  return `data:application/wasm;base64,${btoa(String.fromCharCode(...bytes))}`
}

/** The clock-and-random module, verified by `replicas` nodes. */
const verifiedJob = async (replicas: string) => ({
  Name: `verified-${crypto.randomUUID().slice(0, 8)}`,
  Type: 'batch',
  Count: 1,
  Meta: { 'shoal.verify/replicas': replicas },
  Tasks: [
    {
      Name: 'main',
      Engine: { Type: 'wasm', Params: { EntryModule: '/app/main.wasm' } },
      Publisher: { Type: 'noop' },
      InputSources: [{ Source: { Type: 'inline', Params: { URL: await module() } }, Target: '/app/main.wasm' }],
      ResultPaths: [{ Name: 'outputs', Path: '/outputs' }],
    },
  ],
})

describe('verified results', () => {
  it('three replicas, one lying: the result two honest nodes agree on is published once, by one of them; the liar is rejected and named in the history', { timeout: 60_000 }, async () => {
    const { requester, published, waitForJob, executions, history } = await cluster([{ id: 'n-honest-a' }, { id: 'n-honest-b' }, { id: 'n-liar', lie: 'the answer is 42\n' }])
    const { JobID } = await requester.submitJob(await verifiedJob('3'))
    expect(await waitForJob(JobID, ['Completed', 'Failed'])).toBe('Completed')

    // Exactly one publish, by an honest node, of the honest (deterministic: random but agreed) output.
    expect(published).toHaveLength(1)
    expect(['n-honest-a', 'n-honest-b']).toContain(published[0]!.nodeId)
    const stdout = stdoutOf(published[0]!.result)
    // Deterministic mode is on without the job asking: the virtual clock starts at 1700000000 s.
    expect(stdout).toMatch(/^realtime 1700000000\.\d+\nmonotonic \d+\.\d+\nrandom [0-9a-f]{32}\n/)
    expect(stdout).not.toContain('the answer is')

    const all = await executions(JobID)
    expect(all).toHaveLength(3)
    const byNode = new Map(all.map((e) => [e.NodeID, e]))
    const liar = byNode.get('n-liar')!
    expect(liar.ComputeState.StateType).toBe(ExecutionState.Failed)
    expect(liar.ComputeState.Message).toContain('result rejected')
    expect(liar.PublishedResult).toBeNull()
    const accepted = all.filter((e) => e.Verification?.Outcome === 'accepted')
    expect(accepted.map((e) => e.NodeID).sort()).toEqual(['n-honest-a', 'n-honest-b'])
    expect(new Set(accepted.map((e) => e.Verification!.Digest)).size).toBe(1)
    expect(liar.Verification?.Digest).not.toBe(accepted[0]!.Verification!.Digest)
    // What job get downloads: only the published (verified) result.
    const withResult = all.filter((e) => e.PublishedResult !== null)
    expect(withResult).toHaveLength(1)
    expect(withResult[0]!.PublishedResult).toEqual({ Type: 'noop', Params: { PublishedBy: published[0]!.nodeId } })
    expect(withResult[0]!.RunOutput?.Stdout).toBe(stdout)

    // The history says which digest was accepted, who agreed and who disagreed.
    const verdict = (await history(JobID)).find((h) => h.Type === 'JobLevel' && h.Event.Topic === 'Verification')
    expect(verdict?.Event.Message).toContain(`result ${accepted[0]!.Verification!.Digest} agreed by n-honest-a, n-honest-b (2 of 3, quorum 2)`)
    expect(verdict?.Event.Message).toContain(`disagreed: n-liar (${liar.Verification!.Digest})`)
  })

  it('no quorum (two liars telling different lies): nothing is published, the job fails, and the history lists every node with its digest', { timeout: 60_000 }, async () => {
    const { requester, published, waitForJob, executions, history } = await cluster([{ id: 'n-honest' }, { id: 'n-liar-1', lie: 'one\n' }, { id: 'n-liar-2', lie: 'two\n' }])
    const { JobID } = await requester.submitJob(await verifiedJob('3'))
    expect(await waitForJob(JobID, ['Completed', 'Failed'])).toBe('Failed')
    // The held results are dropped: give the nodes a moment to have published, were they (wrongly) asked.
    await requester.idle()
    expect(published).toEqual([])
    const all = await executions(JobID)
    expect(all.map((e) => e.ComputeState.StateType)).toEqual([ExecutionState.Failed, ExecutionState.Failed, ExecutionState.Failed])
    expect(all.every((e) => e.PublishedResult === null)).toBe(true)
    const split = (await history(JobID)).find((h) => h.Type === 'JobLevel' && h.Event.Topic === 'Verification')?.Event.Message ?? ''
    expect(split).toContain('no 2 of 3 replicas agree')
    for (const e of all) expect(split).toContain(`${e.Verification!.Digest} from ${e.NodeID}`)
  })

  it('a liar loses reputation with each rejected result: first it ranks last, then at the floor it gets no work; honest nodes gain it', { timeout: 120_000 }, async () => {
    const { requester, published, waitForJob, executions, store } = await cluster([{ id: 'n-honest-a' }, { id: 'n-honest-b' }, { id: 'n-honest-c' }, { id: 'n-liar', lie: 'lie\n' }])
    const reputation = async (id: string) => (await requester.listNodes()).find((n) => n.Info.NodeID === id)?.Reputation
    const run = async (replicas: string) => {
      const { JobID } = await requester.submitJob(await verifiedJob(replicas))
      const state = await waitForJob(JobID, ['Completed', 'Failed'])
      return { JobID, state, nodes: (await executions(JobID)).map((e) => e.NodeID).sort() }
    }
    // Four replicas on four nodes: the liar is outvoted 3 to 1.
    expect((await run('4')).state).toBe('Completed')
    expect(published.at(-1)!.nodeId).not.toBe('n-liar')
    expect(stdoutOf(published.at(-1)!.result)).not.toContain('lie')
    expect(await reputation('n-liar')).toEqual({ Score: -3, Agreed: 0, Disagreed: 1 })
    expect(await reputation('n-honest-a')).toEqual({ Score: 1, Agreed: 1, Disagreed: 0 })

    // Below zero it ranks after every other node: three replicas go to the honest nodes.
    expect(await run('3')).toMatchObject({ state: 'Completed', nodes: ['n-honest-a', 'n-honest-b', 'n-honest-c'] })

    // Outvoted again, it reaches the floor and gets no work at all, which the job's failure explains.
    expect((await run('4')).state).toBe('Completed')
    expect(await reputation('n-liar')).toEqual({ Score: -6, Agreed: 0, Disagreed: 2 })
    const refused = await run('4')
    expect(refused.state).toBe('Failed')
    expect(refused.nodes).not.toContain('n-liar')
    expect((await store.getJob(refused.JobID)).State.Message).toContain('verified results disagreed with the quorum too often')
    expect(published.every((p) => p.nodeId !== 'n-liar' && !stdoutOf(p.result).includes('lie'))).toBe(true)
    expect((await reputation('n-honest-b'))!.Score).toBeGreaterThan(0)
  })

  it('policy: nodes labelled runtime=browser take verified jobs only; an unverified job runs on the other nodes, or fails saying what to set', { timeout: 60_000 }, async () => {
    const { requester, waitForJob, executions, store } = await cluster([{ id: 'n-server' }, { id: 'n-tab', labels: { runtime: 'browser' } }], {
      requester: { verificationRequiredLabels: { runtime: 'browser' } },
    })
    const unverified = async (count: number) => {
      const spec = await verifiedJob('2')
      return { ...spec, Count: count, Meta: {} }
    }
    const one = (await requester.submitJob(await unverified(1))).JobID
    expect(await waitForJob(one, ['Completed', 'Failed'])).toBe('Completed')
    expect((await executions(one)).map((e) => e.NodeID)).toEqual(['n-server'])
    // Two partitions need two nodes, and the tab may not take an unverified one.
    const two = (await requester.submitJob(await unverified(2))).JobID
    expect(await waitForJob(two, ['Completed', 'Failed'])).toBe('Failed')
    expect((await executions(two)).map((e) => e.NodeID)).not.toContain('n-tab')
    expect((await store.getJob(two)).State.Message).toContain('takes verified jobs only: set Meta "shoal.verify/replicas"')
    // Verified, the same work runs on both.
    const verified = (await requester.submitJob(await verifiedJob('2'))).JobID
    expect(await waitForJob(verified, ['Completed', 'Failed'])).toBe('Completed')
    expect((await executions(verified)).map((e) => e.NodeID).sort()).toEqual(['n-server', 'n-tab'])
  })

  it.each([['1'], ['8'], ['three'], ['2.5']])('Meta shoal.verify/replicas %j is refused with the field and the allowed range', async (value) => {
    const { requester } = await cluster([])
    const error = await requester.submitJob({ ...(await verifiedJob(value)) }).catch((err: unknown) => err)
    expect(error).toBeInstanceOf(ValidationError)
    expect((error as Error).message).toContain('Meta["shoal.verify/replicas"]: must be a whole number of replicas from 2 to 7')
  })
})


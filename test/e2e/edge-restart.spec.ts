// The edge requester (wrangler dev, workerd, Durable Object SQLite persisted with --persist-to)
// killed with SIGKILL while jobs are in flight and started again on the same state: nothing is
// lost, and the object wakes by itself, on its alarm, for the next job deadline.
import { afterAll, describe, expect, it } from 'vitest'
import { ExecutionState, TERMINAL_JOB_STATES, type Job } from '@shoal/models'
import {
  inlineWasmJob,
  killAllEdgeRequesters,
  killAllShoals,
  removeTempDirs,
  startCompute,
  startEdgeRequester,
  waitForComputeNodes,
  waitForJobState,
  waitUntil,
  wasmFixture,
} from '../support/index.ts'

afterAll(async () => {
  await killAllShoals()
  await killAllEdgeRequesters()
  await removeTempDirs()
})

/** A hello job that waits for compute nodes up to `queueTimeoutS` (the edge has none here). */
const waitingJob = (name: string, queueTimeoutS: number) => inlineWasmJob(wasmFixture('hello'), { name, queueTimeoutS })

describe('the edge requester across a workerd kill and restart', () => {
  it('keeps all 20 jobs; wakes on its alarm for the queue deadline with no request; every job ends exactly once', async () => {
    const first = await startEdgeRequester()
    // Ten jobs whose queue deadline comes while workerd is down or just restarted.
    const QUEUE_TIMEOUT_S = 12
    const expiring: string[] = []
    for (let index = 0; index < 10; index++) expiring.push((await first.client.putJob(waitingJob(`expiring-${index}`, QUEUE_TIMEOUT_S))).JobID)
    for (const id of expiring) await waitForJobState(first.client, id, { state: 'Queued' })
    // Ten more, still being evaluated when workerd dies.
    const waiting: string[] = []
    for (let index = 0; index < 10; index++) waiting.push((await first.client.putJob(waitingJob(`waiting-${index}`, 3600))).JobID)
    const expiredBy = Math.max(...(await Promise.all(expiring.map(async (id) => (await first.client.getJob(id)).Job.CreateTime / 1e6)))) + QUEUE_TIMEOUT_S * 1000
    await first.stop('SIGKILL')

    // Ready when the web page answers: static assets never reach the Worker, so nothing starts
    // the requester object but its alarm (set for its earliest timer before the kill). No API
    // request is sent until the queue deadline has passed.
    const second = await startEdgeRequester({ port: first.port, persistDir: first.persistDir, readyPath: '/' })
    await waitUntil(() => second.output().includes('requester started'), {
      what: 'the requester object to start on its alarm, with no request sent to it',
      timeoutMs: Math.max(0, expiredBy - Date.now()) + 60_000,
      intervalMs: 250,
    })
    await waitUntil(() => Date.now() > expiredBy + 5000, { what: 'the queue deadline to pass', timeoutMs: 60_000 })
    const firstRequestAt = Date.now()
    expect(second.output()).not.toMatch(/(GET|PUT|POST|DELETE) \/api\//)

    for (const id of expiring) {
      const { Job: job } = await second.client.getJob(id)
      expect(job.State.StateType, id).toBe('Failed')
      expect(job.State.Message).toMatch(/queue/i)
      // It failed before any request reached the object: on the object's own timers.
      expect(job.ModifyTime / 1e6).toBeLessThan(firstRequestAt)
    }
    for (const id of waiting) expect((await second.client.getJob(id)).Job.State.StateType).toBe('Queued')
    for (const id of waiting) await second.client.stopJob(id, { reason: 'restart test done' })
    for (const id of waiting) expect((await waitForJobState(second.client, id)).State.StateType).toBe('Stopped')

    const listed: Job[] = (await second.client.listJobs({ limit: 100 })).Items
    expect(listed.map((job) => job.ID).sort()).toEqual([...expiring, ...waiting].sort())
    for (const job of listed) {
      expect(TERMINAL_JOB_STATES as readonly string[]).toContain(job.State.StateType)
      // Each job entered a terminal state once, and no execution was ever created for it.
      const history = (await second.client.jobHistory(job.ID, { limit: 1000 } as never)).Items
      const terminal = history.filter((item) => item.Type === 'JobLevel' && (TERMINAL_JOB_STATES as readonly string[]).includes(item.JobState?.New ?? ''))
      expect(terminal, job.Name).toHaveLength(1)
      expect((await second.client.jobExecutions(job.ID)).Items).toEqual([])
    }
    await second.stop()
  }, 300_000)

  it('with a node-runner compute node joined over WebSocket running the 20 jobs: the node rejoins after the restart and every job ends exactly once, none run to completion twice', async () => {
    const TOKEN = 'edge-restart-token'
    const first = await startEdgeRequester({ vars: { SHOAL_JOIN_TOKEN: TOKEN } })
    // One CPU per job on a two-CPU node: two run at a time, the rest wait in the queue.
    const node = await startCompute(first.apiUrl, { args: ['--join-token', TOKEN], capacityCpu: '2', timeoutMs: 60_000 })
    await waitForComputeNodes(first.client, 1, { nodeIds: [node.nodeId], timeoutMs: 60_000 })
    const ids: string[] = []
    // A CPU-bound loop long enough (well under a second to a few seconds) that some run at the kill.
    for (let index = 0; index < 20; index++) {
      ids.push((await first.client.putJob(inlineWasmJob(wasmFixture('compute'), { name: `busy-${index}`, args: ['150000000'], cpu: '1' }))).JobID)
    }
    // Kill once at least one job has finished and others are running: jobs in every phase.
    await waitUntil(
      async () => {
        const states = await Promise.all(ids.map(async (id) => (await first.client.getJob(id)).Job.State.StateType))
        return states.includes('Completed') && states.includes('Running') && states.some((state) => state !== 'Completed')
      },
      { what: 'some jobs completed and some running', timeoutMs: 120_000, intervalMs: 100 },
    )
    await first.stop('SIGKILL')

    const second = await startEdgeRequester({ port: first.port, persistDir: first.persistDir, vars: { SHOAL_JOIN_TOKEN: TOKEN } })
    // The node redials the same URL on its own and is admitted again under its node ID.
    await node.process.waitForLine(/connection to requester .* lost; reconnecting/, 60_000, 'stderr')
    await waitForComputeNodes(second.client, 1, { nodeIds: [node.nodeId], timeoutMs: 120_000 })
    for (const id of ids) {
      const job = await waitForJobState(second.client, id, { timeoutMs: 240_000 })
      expect(job.State.StateType, `${job.Name}: ${job.State.Message ?? ''}`).toBe('Completed')
    }
    const listed: Job[] = (await second.client.listJobs({ limit: 100 })).Items
    expect(listed.map((job) => job.ID).sort()).toEqual([...ids].sort())
    for (const job of listed) {
      const history = (await second.client.jobHistory(job.ID, { limit: 1000 } as never)).Items
      const terminal = history.filter((item) => item.Type === 'JobLevel' && (TERMINAL_JOB_STATES as readonly string[]).includes(item.JobState?.New ?? ''))
      expect(terminal, job.Name).toHaveLength(1)
      const completedInHistory = history.filter((item) => item.Type === 'ExecutionLevel' && item.ExecutionState?.New === ExecutionState.Completed)
      expect(completedInHistory, job.Name).toHaveLength(1)
      const executions = (await second.client.jobExecutions(job.ID)).Items
      expect(executions.filter((execution) => execution.ComputeState.StateType === ExecutionState.Completed), job.Name).toHaveLength(1)
      expect(executions.find((execution) => execution.ComputeState.StateType === ExecutionState.Completed)?.RunOutput?.Stdout, job.Name).toMatch(/^\d+\n$/)
    }
    await second.stop()
  }, 420_000)
})

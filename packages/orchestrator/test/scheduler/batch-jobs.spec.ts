import { afterEach, describe, expect, it } from 'vitest'
import { ExecutionState } from '@shoal/models'
import { RequesterHarness, noopJob, until } from '../helpers/requester-harness.ts'

describe('batch jobs', () => {
  let h: RequesterHarness
  afterEach(async () => h?.stop())

  it('runs Count=3 on 3 nodes with distinct partitions and completes', async () => {
    h = await new RequesterHarness().start()
    for (const id of ['n-a', 'n-b', 'n-c']) await h.addNode(id)
    const jobId = await h.submit(noopJob({ Count: 3 }))
    const job = await h.waitForState(jobId, 'Completed')
    const executions = await h.executions(jobId)
    expect(executions).toHaveLength(3)
    expect(executions.map((e) => e.PartitionIndex).sort()).toEqual([0, 1, 2])
    expect(new Set(executions.map((e) => e.NodeID)).size).toBe(3)
    expect(executions.every((e) => e.ComputeState.StateType === ExecutionState.Completed)).toBe(true)
    expect(executions[0].RunOutput?.Stdout).toMatch(/^partition \d/)
    expect(job.Version).toBe(1)
  })

  it('queues Count=3 on 2 nodes with an explanation, then completes when a third node joins', async () => {
    h = await new RequesterHarness().start()
    await h.addNode('n-a')
    await h.addNode('n-b')
    const jobId = await h.submit(noopJob({ Count: 3 }, { Timeouts: { QueueTimeout: 600 } }))
    await until(async () => (await h.history(jobId)).some((m) => m.startsWith('queued:')), 'a queued explanation')
    const queued = (await h.history(jobId)).find((m) => m.startsWith('queued:'))!
    expect(queued).toContain('of 2 nodes can run it')
    expect(queued).toContain('1 of 3 partitions wait for a node')
    expect((await h.job(jobId)).State.StateType).not.toBe('Completed')

    await h.addNode('n-c')
    await h.waitForState(jobId, 'Completed')
    const executions = await h.executions(jobId)
    expect(executions.map((e) => e.PartitionIndex).sort()).toEqual([0, 1, 2])
    expect(new Set(executions.map((e) => e.NodeID))).toEqual(new Set(['n-a', 'n-b', 'n-c']))
  })
})

import { afterEach, describe, expect, it } from 'vitest'
import { ExecutionState } from '@shoal/models'
import { RequesterHarness, noopJob, until } from '../helpers/requester-harness.ts'

describe('ops, daemon and service jobs', () => {
  let h: RequesterHarness
  afterEach(async () => h?.stop())

  it('runs an ops job once on every matching node, not on later joiners', async () => {
    h = await new RequesterHarness().start()
    for (const id of ['n-a', 'n-b', 'n-c']) await h.addNode(id)
    await h.addNode('n-x', { engines: ['docker'] })
    const jobId = await h.submit(noopJob({ Type: 'ops' }))
    await h.waitForState(jobId, 'Completed')
    await h.addNode('n-d')
    const executions = await h.executions(jobId)
    expect(executions.map((e) => e.NodeID).sort()).toEqual(['n-a', 'n-b', 'n-c'])
    expect(executions.every((e) => e.ComputeState.StateType === ExecutionState.Completed)).toBe(true)
  })

  it('fails an ops job at once when no node can run it', async () => {
    h = await new RequesterHarness().start()
    await h.addNode('n-x', { engines: ['docker'] })
    const jobId = await h.submit(noopJob({ Type: 'ops' }))
    const failed = await h.waitForState(jobId, 'Failed')
    expect(failed.State.Message).toBe('0 of 1 node can run it — 1 lacks engine noop (it offers docker)')
  })

  it('runs a daemon job on every node, including one that joins later', async () => {
    h = await new RequesterHarness().start()
    await h.addNode('n-a', { run: 'hang' })
    await h.addNode('n-b', { run: 'hang' })
    const jobId = await h.submit(noopJob({ Type: 'daemon' }))
    await h.waitForState(jobId, 'Running')
    await until(async () => (await h.executions(jobId)).length === 2, 'two daemon executions')
    const late = await h.addNode('n-c', { run: 'hang' })
    await until(() => late.executionsIn('running').length === 1, 'the late joiner to run the daemon')
    const executions = await h.executions(jobId)
    expect(executions.map((e) => e.NodeID).sort()).toEqual(['n-a', 'n-b', 'n-c'])
    expect((await h.job(jobId)).State.StateType).toBe('Running')
  })

  it('keeps a service job running and replaces a lost partition', async () => {
    h = await new RequesterHarness().start()
    const a = await h.addNode('n-a', { run: 'hang' })
    await h.addNode('n-b', { run: 'hang' })
    const c = await h.addNode('n-c', { run: 'hang', capacity: { CPU: 1 } })
    const jobId = await h.submit(noopJob({ Type: 'service', Count: 2 }))
    await until(async () => (await h.executions(jobId)).filter((e) => e.ComputeState.StateType === ExecutionState.Running).length === 2, 'two running partitions')
    expect(c.executions.size).toBe(0)
    await a.close()
    await until(() => c.executionsIn('running').length === 1, 'the replacement on n-c')
    // The node reports Running; the requester records it with its next commit.
    const running = async () => (await h.executions(jobId)).filter((e) => e.ComputeState.StateType === ExecutionState.Running)
    await until(async () => (await running()).some((e) => e.NodeID === 'n-c'), 'the replacement recorded as running')
    expect((await h.job(jobId)).State.StateType).toBe('Running')
    expect((await running()).map((e) => e.PartitionIndex).sort()).toEqual([0, 1])
  })
})

import { afterEach, describe, expect, it } from 'vitest'
import { ExecutionState } from '@shoal/models'
import { RequesterHarness, noopJob, until } from '../helpers/requester-harness.ts'

describe('node failures', () => {
  let h: RequesterHarness
  afterEach(async () => h?.stop())

  async function runningOn(jobId: string): Promise<string> {
    let nodeId = ''
    await until(async () => {
      const running = (await h.executions(jobId)).find((e) => e.ComputeState.StateType === ExecutionState.Running)
      nodeId = running?.NodeID ?? ''
      return nodeId !== ''
    }, 'a running execution')
    return nodeId
  }

  it('retries on another node at once when a node closes its connection mid-run', async () => {
    h = await new RequesterHarness().start()
    const a = await h.addNode('n-a', { run: 'hang' })
    await h.addNode('n-b', { capacity: { CPU: 2 } })
    const jobId = await h.submit(noopJob())
    expect(await runningOn(jobId)).toBe('n-a')
    await a.close()
    await h.waitForState(jobId, 'Completed')
    const executions = await h.executions(jobId)
    const lost = executions.find((e) => e.NodeID === 'n-a')!
    expect(lost.ComputeState.StateType).toBe(ExecutionState.Failed)
    expect(lost.RunOutput?.ErrorMsg).toContain('closed its connection')
    expect(lost.RunOutput?.ErrorMsg).toContain('while running this execution')
    expect((await h.history(jobId)).some((m) => m.includes('while running this execution') && m.includes('retrying on another node'))).toBe(true)
    expect(executions.find((e) => e.NodeID === 'n-b')?.ComputeState.StateType).toBe(ExecutionState.Completed)
    expect((await h.history(jobId)).some((m) => m.includes('retrying on another node (attempt 2 of 3)'))).toBe(true)
    const nodes = await h.requester.listNodes()
    expect(nodes.find((n) => n.Info.NodeID === 'n-a')?.ConnectionState.Status).toBe('DISCONNECTED')
  })

  it('marks a node disconnected after missed heartbeats and reschedules its work', async () => {
    h = await new RequesterHarness({ heartbeatIntervalMs: 1000, missedHeartbeats: 3 }).start()
    const a = await h.addNode('n-a', { run: 'hang' })
    await h.addNode('n-b', { capacity: { CPU: 2 } })
    const jobId = await h.submit(noopJob())
    expect(await runningOn(jobId)).toBe('n-a')
    await h.clock.advance(5000)
    expect((await h.job(jobId)).State.StateType).toBe('Running')
    a.stopHeartbeats()
    await h.clock.advance(3500)
    await h.waitForState(jobId, 'Completed')
    const lost = (await h.executions(jobId)).find((e) => e.NodeID === 'n-a')!
    expect(lost.RunOutput?.ErrorMsg).toContain('stopped sending heartbeats')
    const states = await h.requester.listNodes()
    expect(states.find((n) => n.Info.NodeID === 'n-a')?.ConnectionState.Status).toBe('DISCONNECTED')
    expect(states.find((n) => n.Info.NodeID === 'n-b')?.ConnectionState.Status).toBe('CONNECTED')
  })

  it('reschedules at once when a node says Goodbye', async () => {
    h = await new RequesterHarness().start()
    const a = await h.addNode('n-a', { run: 'hang' })
    await h.addNode('n-b', { capacity: { CPU: 2 } })
    const jobId = await h.submit(noopJob())
    expect(await runningOn(jobId)).toBe('n-a')
    await a.goodbye('tab closed')
    await h.waitForState(jobId, 'Completed')
    const lost = (await h.executions(jobId)).find((e) => e.NodeID === 'n-a')!
    expect(lost.RunOutput?.ErrorMsg).toContain('said goodbye (tab closed)')
  })

  it('offers the job to another node when a bid is rejected, and says so', async () => {
    h = await new RequesterHarness().start()
    await h.addNode('n-a', { bid: () => ({ accept: false, reason: 'no room for 512 MB' }) })
    await h.addNode('n-b', { capacity: { CPU: 2 } })
    const jobId = await h.submit(noopJob())
    await h.waitForState(jobId, 'Completed')
    const executions = await h.executions(jobId)
    expect(executions.find((e) => e.NodeID === 'n-a')?.ComputeState.StateType).toBe(ExecutionState.AskForBidRejected)
    expect(executions.find((e) => e.NodeID === 'n-b')?.ComputeState.StateType).toBe(ExecutionState.Completed)
    expect((await h.history(jobId)).some((m) => /node n-a declined execution e-\S+: no room for 512 MB; trying another node/.test(m))).toBe(true)
  })

  it('offers a job again to a node that declined it once the node changes (e.g. a tab resumed)', async () => {
    h = await new RequesterHarness().start()
    let paused = true
    const a = await h.addNode('n-a', { bid: () => (paused ? { accept: false, reason: 'node paused by its operator' } : { accept: true }) })
    // With a QueueTimeout the job waits after the decline; without one it would fail at once.
    const jobId = await h.submit(noopJob({}, { Timeouts: { QueueTimeout: 600 } }))
    await h.waitForState(jobId, 'Queued')
    expect((await h.executions(jobId)).map((e) => e.ComputeState.StateType)).toEqual([ExecutionState.AskForBidRejected])
    paused = false
    await a.send({ Type: 'NodeInfoUpdate', NodeInfo: a.nodeInfo() })
    await h.waitForState(jobId, 'Completed')
    expect((await h.executions(jobId)).find((e) => e.ComputeState.StateType === ExecutionState.Completed)?.NodeID).toBe('n-a')
  })

  it('fails the job when every attempt fails, with the last error', async () => {
    h = await new RequesterHarness({ maxRetries: 2 }).start()
    for (const id of ['n-a', 'n-b', 'n-c', 'n-d']) await h.addNode(id, { run: 'fail' })
    const jobId = await h.submit(noopJob())
    const failed = await h.waitForState(jobId, 'Failed')
    expect(failed.State.Message).toBe('failed 3 times, the most allowed (last error: the module trapped: unreachable); fix the cause and run the job again (job rerun)')
    expect(await h.executions(jobId)).toHaveLength(3)
    expect((await h.history(jobId)).some((m) => m.endsWith('giving up after 3 attempts'))).toBe(true)
  })
})

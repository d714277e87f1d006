import { afterEach, describe, expect, it } from 'vitest'
import { ExecutionState } from '@shoal/models'
import { RequesterHarness, noopJob, until } from '../helpers/requester-harness.ts'

describe('queueing and timeouts', () => {
  let h: RequesterHarness
  afterEach(async () => h?.stop())

  it('fails a job no node can run once its QueueTimeout passes, saying why', async () => {
    h = await new RequesterHarness({ queueBackoffMs: 2000 }).start()
    await h.addNode('n-a', { engines: ['wasm'] })
    const jobId = await h.submit(noopJob({}, { Timeouts: { QueueTimeout: 10 } }))
    const queued = await h.waitForState(jobId, 'Queued')
    expect(queued.State.Message).toBe('queued: 0 of 1 node can run it — 1 lacks engine noop (it offers wasm); waiting up to 10 s (QueueTimeout) for nodes to join or free up')
    await h.clock.advance(9000)
    expect((await h.job(jobId)).State.StateType).toBe('Queued')
    await h.clock.advance(1500)
    const failed = await h.waitForState(jobId, 'Failed')
    expect(failed.State.Message).toBe('no node could take the job within its QueueTimeout of 10 s: 0 of 1 node can run it — 1 lacks engine noop (it offers wasm)')
    expect(await h.executions(jobId)).toHaveLength(0)
  })

  it('fails an execution past its ExecutionTimeout, cancels it on the node and retries elsewhere', async () => {
    h = await new RequesterHarness({ maxRetries: 1 }).start()
    const a = await h.addNode('n-a', { run: 'hang' })
    const b = await h.addNode('n-b', { run: 'hang' })
    const jobId = await h.submit(noopJob({}, { Timeouts: { ExecutionTimeout: 5 } }))
    await h.waitForState(jobId, 'Running')
    await h.clock.advance(5000)
    await until(async () => (await h.executions(jobId)).length === 2, 'a retry')
    const first = (await h.executions(jobId)).find((e) => e.ComputeState.StateType === ExecutionState.Failed)!
    expect(first.RunOutput?.ErrorMsg).toContain('timed out after 5 s')
    const firstNode = first.NodeID === 'n-a' ? a : b
    expect(firstNode.receivedOf('CancelExecution').map((m) => m.ExecutionID)).toContain(first.ID)
    const history = await h.history(jobId)
    expect(history.some((m) => m.includes('timed out after 5 s') && m.includes('retrying on another node (attempt 2 of 2)'))).toBe(true)

    await h.clock.advance(5000)
    const failed = await h.waitForState(jobId, 'Failed')
    expect(failed.State.Message).toContain('failed 2 times, the most allowed')
    const executions = await h.executions(jobId)
    expect(new Set(executions.map((e) => e.NodeID))).toEqual(new Set(['n-a', 'n-b']))
  })

  it('fails the job at its TotalTimeout and cancels its executions', async () => {
    h = await new RequesterHarness().start()
    const a = await h.addNode('n-a', { run: 'hang' })
    const jobId = await h.submit(noopJob({}, { Timeouts: { TotalTimeout: 10 } }))
    await h.waitForState(jobId, 'Running')
    await h.clock.advance(9000)
    expect((await h.job(jobId)).State.StateType).toBe('Running')
    await h.clock.advance(1000)
    const failed = await h.waitForState(jobId, 'Failed')
    expect(failed.State.Message).toContain('did not finish within its TotalTimeout of 10 s')
    await until(() => a.receivedOf('CancelExecution').length === 1, 'a CancelExecution')
    const [execution] = await h.executions(jobId)
    expect(execution.ComputeState.StateType).toBe(ExecutionState.Cancelled)
  })

  it('ends an endless job that sets no ExecutionTimeout after the default 10 minutes, saying why', async () => {
    h = await new RequesterHarness({ maxRetries: 0 }).start()
    const a = await h.addNode('n-a', { run: 'hang' })
    const jobId = await h.submit(noopJob())
    await h.waitForState(jobId, 'Running')
    await h.clock.advance(599_000)
    expect((await h.job(jobId)).State.StateType).toBe('Running')
    await h.clock.advance(1000)
    const failed = await h.waitForState(jobId, 'Failed')
    expect(failed.State.Message).toContain('timed out after 10 min (Timeouts.ExecutionTimeout)')
    await until(() => a.receivedOf('CancelExecution').length === 1, 'a CancelExecution')
  })

  it('lets the requester set another default ExecutionTimeout, or none', async () => {
    h = await new RequesterHarness({ maxRetries: 0, defaultExecutionTimeoutS: 0 }).start()
    await h.addNode('n-a', { run: 'hang' })
    const jobId = await h.submit(noopJob())
    await h.waitForState(jobId, 'Running')
    // Past the 10 minutes the default would allow.
    await h.clock.advance(601_000)
    expect((await h.job(jobId)).State.StateType).toBe('Running')
  })

  it('sets no timers for jobs without timeouts', async () => {
    h = await new RequesterHarness().start()
    await h.addNode('n-a', { heartbeats: false, clock: undefined })
    const before = h.clock.pendingTimers
    const jobId = await h.submit(noopJob())
    await h.waitForState(jobId, 'Completed')
    expect(h.clock.pendingTimers).toBe(before)
  })
})

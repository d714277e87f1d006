import { afterEach, describe, expect, it } from 'vitest'
import { ExecutionState, type SpecConfig } from '@shoal/models'
import type { ResultPinContext, ResultPinner } from '../../src/result-pinner.ts'
import { RequesterHarness, noopJob, until } from '../helpers/requester-harness.ts'
import { settle } from '../helpers/manual-clock.ts'

const CID = 'QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o'
const IPFS_RESULT = { Type: 'ipfs', Params: { CID } }

/** A pinner the test resolves or rejects by hand, recording what it was asked to keep. */
class ManualPinner implements ResultPinner {
  readonly calls: { result: SpecConfig; context: ResultPinContext }[] = []
  private settle?: { resolve: () => void; reject: (err: Error) => void }
  handles(result: SpecConfig): boolean {
    return result.Type === 'ipfs'
  }
  pin(result: SpecConfig, context: ResultPinContext): Promise<void> {
    this.calls.push({ result, context })
    return new Promise((resolve, reject) => (this.settle = { resolve, reject }))
  }
  resolve(): void {
    this.settle!.resolve()
  }
  reject(err: Error): void {
    this.settle!.reject(err)
  }
}

describe('results kept by the requester (ResultPinner)', () => {
  let h: RequesterHarness
  afterEach(async () => h?.stop())

  it('an ipfs result counts as Completed only once the requester holds it', async () => {
    const pinner = new ManualPinner()
    h = await new RequesterHarness({}, undefined, { resultPinner: pinner }).start()
    const node = await h.addNode('n-a', { run: 'hang' })
    const jobId = await h.submit(noopJob())
    await until(() => node.executionsIn('running').length === 1, 'the execution running')
    const [execution] = node.executionsIn('running')
    await node.complete(execution.ID, {}, IPFS_RESULT)
    await until(() => pinner.calls.length === 1, 'the pin to start')
    expect(pinner.calls[0].result).toEqual(IPFS_RESULT)
    expect(pinner.calls[0].context).toMatchObject({ jobId, executionId: execution.ID, nodeId: 'n-a' })
    await settle(20)
    expect((await h.store.getExecution(execution.ID)).ComputeState.StateType).not.toBe(ExecutionState.Completed)
    expect(node.receivedOf('ResultAck')).toHaveLength(0)

    pinner.resolve()
    await h.waitForState(jobId, 'Completed')
    const stored = await h.store.getExecution(execution.ID)
    expect(stored.PublishedResult).toEqual(IPFS_RESULT)
    await until(() => node.receivedOf('ResultAck').length === 1, 'the result acknowledged')
  })

  it('a result the requester cannot keep fails the execution, naming the CID and why', async () => {
    const pinner = new ManualPinner()
    h = await new RequesterHarness({ maxRetries: 0 }, undefined, { resultPinner: pinner }).start()
    const node = await h.addNode('n-a', { run: 'hang' })
    const jobId = await h.submit(noopJob())
    await until(() => node.executionsIn('running').length === 1, 'the execution running')
    const [execution] = node.executionsIn('running')
    await node.complete(execution.ID, {}, IPFS_RESULT)
    await until(() => pinner.calls.length === 1, 'the pin to start')
    pinner.reject(new Error('no peer sent block QmT78… within 60 s'))
    const job = await h.waitForState(jobId, 'Failed')
    const stored = await h.store.getExecution(execution.ID)
    expect(stored.ComputeState.StateType).toBe(ExecutionState.Failed)
    expect(stored.ComputeState.Message).toBe(`the requester could not keep the published result (ipfs CID ${CID}): no peer sent block QmT78… within 60 s`)
    expect(job.State.Message).toContain(CID)
    await until(() => node.receivedOf('ResultAck').length === 1, 'the report acknowledged')
  })

  it('results of other publishers are not given to the pinner', async () => {
    const pinner = new ManualPinner()
    h = await new RequesterHarness({}, undefined, { resultPinner: pinner }).start()
    await h.addNode('n-a')
    const jobId = await h.submit(noopJob())
    await h.waitForState(jobId, 'Completed')
    expect(pinner.calls).toHaveLength(0)
  })
})

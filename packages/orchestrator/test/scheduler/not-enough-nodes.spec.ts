import { afterEach, describe, expect, it } from 'vitest'
import { RequesterHarness, noopJob } from '../helpers/requester-harness.ts'

/** The job history as the store keeps it (topics and state changes, not just messages). */
async function historyItems(h: RequesterHarness, jobId: string) {
  return (await h.store.getHistory(jobId, { limit: 1000 })).Items
}

describe('a job no node can run (default QueueTimeout 0, as Bacalhau)', () => {
  let h: RequesterHarness
  afterEach(async () => h?.stop())

  it('accepts a job naming an engine no node offers and fails it at once, naming the engines the nodes offer', async () => {
    h = await new RequesterHarness().start()
    await h.addNode('n-a', { engines: ['wasm', 'noop'] })
    await h.addNode('n-b', { engines: ['wasm'] })
    const jobId = await h.submit(noopJob({}, { Engine: { Type: 'vroomvroom', Params: {} } }))
    const failed = await h.waitForState(jobId, 'Failed')
    expect(failed.State.Message).toBe(
      'not enough nodes to run job: 0 of 2 nodes can run it — 2 lack engine vroomvroom (they offer noop, wasm); ' +
        'set Timeouts.QueueTimeout (--queue-timeout) to let it wait for nodes',
    )
    expect(await h.executions(jobId)).toHaveLength(0)
    // It never sat in Queued: Pending -> Failed.
    const states = (await historyItems(h, jobId)).flatMap((item) => (item.JobState ? [item.JobState.New] : []))
    expect(states).not.toContain('Queued')
    expect(states.at(-1)).toBe('Failed')
  })

  it('fails a docker job at once with what is missing, without a clock tick', async () => {
    h = await new RequesterHarness().start()
    await h.addNode('n-a', { engines: ['wasm', 'noop'] })
    const jobId = await h.submit(noopJob({}, { Engine: { Type: 'docker', Params: { Image: 'busybox', Parameters: ['echo', 'hi'] } } }))
    const failed = await h.waitForState(jobId, 'Failed')
    expect(failed.State.Message).toContain('not enough nodes to run job: 0 of 1 node can run it — 1 lacks engine docker (it offers noop, wasm)')
  })

  it('names the input storage and publisher the nodes offer when those are missing', async () => {
    h = await new RequesterHarness().start()
    await h.addNode('n-a', { engines: ['noop'], storageSources: ['inline', 'urlDownload'], publishers: ['local'] })
    const ipfs = await h.submit(noopJob({}, { InputSources: [{ Source: { Type: 'ipfs', Params: { CID: 'QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o' } }, Target: '/in' }] }))
    expect((await h.waitForState(ipfs, 'Failed')).State.Message).toContain('1 lacks input storage ipfs (it offers inline, urlDownload)')
    const s3 = await h.submit(noopJob({}, { Publisher: { Type: 's3', Params: { Bucket: 'b', Key: 'k' } } }))
    expect((await h.waitForState(s3, 'Failed')).State.Message).toContain('1 lacks publisher s3 (it offers local)')
  })

  it('fails a job wanting more nodes than can take it (Count 3 on 2 nodes) before placing any of it', async () => {
    h = await new RequesterHarness().start()
    await h.addNode('n-a')
    await h.addNode('n-b')
    const jobId = await h.submit(noopJob({ Count: 3 }))
    const failed = await h.waitForState(jobId, 'Failed')
    expect(failed.State.Message).toMatch(/^not enough nodes to run job: 2 of 2 nodes can run it; 1 of 3 partitions wait for a node;/)
    expect(await h.executions(jobId)).toHaveLength(0)
  })

  it('fails at once when no compute node has joined', async () => {
    h = await new RequesterHarness().start()
    const jobId = await h.submit(noopJob())
    expect((await h.waitForState(jobId, 'Failed')).State.Message).toMatch(/^not enough nodes to run job: no compute node has joined yet/)
  })

  it('still queues when the requester sets a default QueueTimeout (operator choice)', async () => {
    h = await new RequesterHarness({ defaultQueueTimeoutS: 60 }).start()
    await h.addNode('n-a', { engines: ['wasm'] })
    const jobId = await h.submit(noopJob())
    expect((await h.waitForState(jobId, 'Queued')).State.Message).toBe(
      'queued: 0 of 1 node can run it — 1 lacks engine noop (it offers wasm); waiting up to 60 s (QueueTimeout) for nodes to join or free up',
    )
    await h.addNode('n-b', { engines: ['noop'] })
    await h.waitForState(jobId, 'Completed')
  })
})

describe('a queued job (with a QueueTimeout)', () => {
  let h: RequesterHarness
  afterEach(async () => h?.stop())

  it('keeps its state message on the current reason as it changes, without a state change in the history', async () => {
    h = await new RequesterHarness().start()
    const jobId = await h.submit(noopJob({}, { Timeouts: { QueueTimeout: 600 } }))
    expect((await h.waitForState(jobId, 'Queued')).State.Message).toBe(
      'queued: no compute node has joined yet; waiting up to 10 min (QueueTimeout) for nodes to join or free up',
    )
    await h.addNode('n-a', { engines: ['wasm'] })
    const job = await h.waitForState(jobId, 'Queued')
    expect(job.State.Message).toBe('queued: 0 of 1 node can run it — 1 lacks engine noop (it offers wasm); waiting up to 10 min (QueueTimeout) for nodes to join or free up')
    const items = await historyItems(h, jobId)
    // One state change to Queued; the new reason is a Queueing event, not a second "State Update".
    expect(items.filter((item) => item.JobState?.New === 'Queued')).toHaveLength(1)
    expect(items.filter((item) => item.Event.Topic === 'Queueing').map((item) => item.Event.Message)).toContain(job.State.Message)
  })
})

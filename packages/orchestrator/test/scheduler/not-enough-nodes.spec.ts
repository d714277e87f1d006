import { afterEach, describe, expect, it } from 'vitest'
import { RequesterHarness, noopJob, until } from '../helpers/requester-harness.ts'

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

  it('says why the nodes have the missing plug-in off, when they advertise it', async () => {
    h = await new RequesterHarness().start()
    const dockerOff = { Kind: 'engine', Type: 'docker', Reason: 'dockerd does not answer at /var/run/docker.sock: connect ENOENT' }
    await h.addNode('n-a', { engines: ['wasm', 'noop'], pluginsOff: [dockerOff] })
    await h.addNode('n-b', { engines: ['wasm', 'noop'], pluginsOff: [dockerOff] })
    await h.addNode('n-c', {
      engines: ['wasm', 'noop'],
      publishers: ['local'],
      pluginsOff: [
        { Kind: 'engine', Type: 'docker', Reason: 'disabled by configuration (compute.disabled-engines)' },
        { Kind: 'publisher', Type: 's3', Reason: 'no AWS credentials found' },
      ],
    })
    const docker = await h.submit(noopJob({}, { Engine: { Type: 'docker', Params: { Image: 'busybox' } } }))
    expect((await h.waitForState(docker, 'Failed')).State.Message).toContain(
      '0 of 3 nodes can run it — 2 lack engine docker (they offer noop, wasm; docker is off there: dockerd does not answer at /var/run/docker.sock: connect ENOENT), ' +
        '1 lacks engine docker (it offers noop, wasm; docker is off there: disabled by configuration (compute.disabled-engines))',
    )
    await h.nodes[0].close()
    await h.nodes[1].close()
    const s3 = await h.submit(noopJob({}, { Publisher: { Type: 's3', Params: { Bucket: 'b', Key: 'k' } } }))
    expect((await h.waitForState(s3, 'Failed')).State.Message).toContain('1 lacks publisher s3 (it offers local; s3 is off there: no AWS credentials found)')
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

describe('a job whose nodes are only busy (QueueTimeout 0)', () => {
  let h: RequesterHarness
  afterEach(async () => h?.stop())

  it('lets a job wait (not fail) while the nodes that could run it are only busy, and runs it when one frees up', async () => {
    h = await new RequesterHarness().start()
    const node = await h.addNode('n-a', { capacity: { CPU: 1 }, run: 'hang' })
    const oneCpu = { Resources: { CPU: '1' } }
    const first = await h.submit(noopJob({}, oneCpu))
    await until(() => node.executionsIn('running').length === 1, 'the first job to run')
    const second = await h.submit(noopJob({}, oneCpu))
    const queued = await h.waitForState(second, 'Queued')
    expect(queued.State.Message).toBe('queued: 0 of 1 node can run it — 1 has 0 CPU free of the 1 CPU required; waiting for a busy node to free up')
    // A job that needs more than the node has at all still fails at once.
    const tooBig = await h.submit(noopJob({}, { Resources: { CPU: '2' } }))
    expect((await h.waitForState(tooBig, 'Failed')).State.Message).toMatch(/^not enough nodes to run job: 0 of 1 node can run it — 1 has 1 CPU in all, less than the 2 CPU required/)

    await node.complete(node.executionsIn('running')[0].ID)
    await h.waitForState(first, 'Completed')
    await until(() => node.executionsIn('running').length === 1, 'the second job to run once the node freed up')
    await node.complete(node.executionsIn('running')[0].ID)
    await h.waitForState(second, 'Completed')
  })

  it('waits for a node that declined only because it was busy (BidResult.Busy), but fails on any other decline', async () => {
    h = await new RequesterHarness().start()
    await h.addNode('n-busy', { bid: () => ({ accept: false, reason: 'all 2 execution slot(s) of this node are busy', busy: true }) })
    const waiting = await h.submit(noopJob())
    const queued = await h.waitForState(waiting, 'Queued')
    expect(queued.State.Message).toContain('1 declined it (all 2 execution slot(s) of this node are busy); waiting for a busy node to free up')
    await h.stop()

    h = await new RequesterHarness().start()
    await h.addNode('n-no', { bid: () => ({ accept: false, reason: 'task asks for network Full; this node allows no network access (None)' }) })
    const refused = await h.submit(noopJob())
    expect((await h.waitForState(refused, 'Failed')).State.Message).toContain('not enough nodes to run job: 0 of 1 node can run it — 1 declined it (task asks for network Full')
  })
})

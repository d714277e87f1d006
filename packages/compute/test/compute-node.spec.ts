import { afterEach, describe, expect, it } from 'vitest'
import { ExecutionError, ExecutionState, StorageError } from '@shoal/models'
import { emptyDirectory, memoryTree, type FileTreeNode, type Logger } from '@shoal/interface'
import { MemoryConnection, MemoryNetwork, PROTOCOL_VERSION, generateNodeKey, verifyHandshakeProof } from '@shoal/protocol'
import { ComputeNode, InlineStorage, NoopEngine, NoopPublisher, PAUSED_REASON, UrlDownloadStorage } from '../src/index.ts'
import {
  FakeRequester,
  RecordingPublisher,
  TestEngine,
  connectedNode,
  deferred,
  fastClock,
  makeExecution,
  makeJob,
  untilAborted,
} from './fake-requester.ts'

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function setup(...args: Parameters<typeof connectedNode>) {
  const env = await connectedNode(...args)
  cleanups.push(env.close)
  return env
}

const text = (node: FileTreeNode | undefined): string => {
  if (node?.kind !== 'file') throw new Error('not a file')
  return new TextDecoder().decode(node.data)
}

describe('handshake and node info', () => {
  it('announces engines, storages, publishers, capacity, labels and the join token', async () => {
    const { handshake, requester } = await setup({
      engines: [new NoopEngine(), new TestEngine()],
      storages: [new InlineStorage(), new UrlDownloadStorage({ fetch: async () => new Response('') })],
      publishers: [new NoopPublisher()],
      labels: { region: 'eu', browser: 'yes' },
      joinToken: 'secret-token',
      capacity: { CPU: 4, Memory: 2_000_000_000, Disk: 0, GPU: 0 },
    })
    expect(handshake.NodeInfo.NodeID).toBe('node-1')
    expect(handshake.NodeInfo.NodeType).toBe('Compute')
    expect(handshake.NodeInfo.Labels).toEqual({ region: 'eu', browser: 'yes' })
    expect(handshake.JoinToken).toBe('secret-token')
    expect(handshake.RunningExecutions).toEqual([])
    // It signs the requester's Challenge with the key it presents.
    expect(
      await verifyHandshakeProof({
        requesterId: 'fake-requester',
        nonce: 'fake-requester-nonce-0123456789',
        nodeId: 'node-1',
        publicKey: handshake.PublicKey,
        signature: handshake.Signature,
      }),
    ).toBe(true)
    const info = handshake.NodeInfo.ComputeNodeInfo!
    expect(info.ExecutionEngines).toEqual(['noop', 'test'])
    expect(info.StorageSources).toEqual(['inline', 'urlDownload'])
    expect(info.Publishers).toEqual(['noop'])
    expect(info.MaxCapacity).toEqual({ CPU: 4, Memory: 2_000_000_000, Disk: 0, GPU: 0 })
    expect(info.AvailableCapacity).toEqual({ CPU: 4, Memory: 2_000_000_000, Disk: 0, GPU: 0 })
    expect(info.QueueUsedCapacity).toEqual({ CPU: 0, Memory: 0, Disk: 0, GPU: 0 })

    const heartbeat = await requester.next('Heartbeat')
    expect(heartbeat.AvailableCapacity.CPU).toBe(4)
  })

  it('does not offer an engine that says it is not installed', async () => {
    const docker = new TestEngine('docker')
    Object.assign(docker, { isInstalled: async () => false })
    const { handshake } = await setup({ engines: [new NoopEngine(), docker] })
    expect(handshake.NodeInfo.ComputeNodeInfo!.ExecutionEngines).toEqual(['noop'])
  })

  it('advertises the plug-ins it left out and why: from its runtime, and engines unusable at start', async () => {
    const docker = new TestEngine('docker')
    Object.assign(docker, {
      isInstalled: async () => {
        throw new Error('dockerd does not answer at /var/run/docker.sock: connect ENOENT')
      },
    })
    const { handshake } = await setup({
      engines: [new NoopEngine(), docker],
      pluginsOff: [{ Kind: 'publisher', Type: 's3', Reason: 'no AWS credentials found' }],
    })
    const info = handshake.NodeInfo.ComputeNodeInfo!
    expect(info.ExecutionEngines).toEqual(['noop'])
    expect(info.PluginsOff).toEqual([
      { Kind: 'publisher', Type: 's3', Reason: 'no AWS credentials found' },
      { Kind: 'engine', Type: 'docker', Reason: 'dockerd does not answer at /var/run/docker.sock: connect ENOENT' },
    ])
  })

  it('sends NodeInfoUpdate when capacity or labels change', async () => {
    const { node, requester } = await setup()
    node.setCapacity({ CPU: 1, Memory: 500_000_000, Disk: 0, GPU: 0 })
    const update = await requester.next('NodeInfoUpdate')
    expect(update.NodeInfo.ComputeNodeInfo!.MaxCapacity).toEqual({ CPU: 1, Memory: 500_000_000, Disk: 0, GPU: 0 })
    node.setLabels({ tier: 'gold' })
    const labels = await requester.next('NodeInfoUpdate')
    expect(labels.NodeInfo.Labels).toEqual({ tier: 'gold' })
  })

  it('says Goodbye on stop({ goodbye: true })', async () => {
    const { node, requester } = await setup()
    await node.stop({ goodbye: true, reason: 'tab closed' })
    const goodbye = await requester.next('Goodbye')
    expect(goodbye.Reason).toBe('tab closed')
    expect(node.status).toBe('stopped')
  })
})

describe('identity', () => {
  it('proves the identity key it is given on every connection, so the requester sees the same node after a restart', async () => {
    const identity = await generateNodeKey()
    const { handshake, requester } = await setup({ identity })
    expect(handshake.PublicKey).toBe(identity.publicKey)
    await requester.drop()
    await requester.start()
    const again = await requester.next('Handshake')
    expect(again.PublicKey).toBe(identity.publicKey)
    expect(await verifyHandshakeProof({ requesterId: 'fake-requester', nonce: 'fake-requester-nonce-0123456789', nodeId: 'node-1', publicKey: again.PublicKey, signature: again.Signature })).toBe(true)
  })
})

describe('bidding', () => {
  it('rejects what it cannot run, with reasons in words and numbers', async () => {
    const { requester } = await setup({
      engines: [new NoopEngine(), new TestEngine('wasm')],
      storages: [new InlineStorage()],
      publishers: [new NoopPublisher()],
      capacity: { CPU: 2, Memory: 1_000_000_000, Disk: 0, GPU: 0 },
      maxJobRequirements: { CPU: 1, Memory: 4_000_000_000, Disk: 0, GPU: 0 },
    })
    const reason = async (task: Parameters<typeof makeJob>[0]) => {
      const result = await requester.askForBid(makeExecution(makeJob({ Resources: { CPU: '1', Memory: '100Mb' }, ...task })))
      expect(result.Accepted).toBe(false)
      return result.Reason
    }
    expect(await reason({ Engine: { Type: 'docker', Params: {} } })).toBe('node lacks engine docker (has: noop, wasm)')
    expect(await reason({ Engine: { Type: 'noop', Params: {} }, InputSources: [{ Source: { Type: 'ipfs', Params: {} }, Target: '/in' }] })).toBe(
      'node lacks storage ipfs for InputSources[0] (has: inline)',
    )
    expect(await reason({ Engine: { Type: 'noop', Params: {} }, Publisher: { Type: 's3', Params: {} } })).toBe('node lacks publisher s3 (has: noop)')
    expect(await reason({ Engine: { Type: 'noop', Params: {} }, Resources: { CPU: '500m', Memory: '2Gb' } })).toBe(
      'needs 2.0 GB memory, 1.0 GB in total on this node',
    )
    expect(await reason({ Engine: { Type: 'noop', Params: {} }, Resources: { CPU: '2', Memory: '1Mb' } })).toBe(
      'needs 2 CPU, 1 CPU is the most this node takes per job',
    )
    expect(await reason({ Engine: { Type: 'noop', Params: {} }, Network: { Type: 'Full' } })).toBe(
      'task asks for network Full; this node allows no network access (None)',
    )
    expect(await reason({ Engine: { Type: 'noop', Params: {} }, Resources: { Memory: 'lots' } })).toContain('Tasks[0].Resources.Memory')
  })

  it('allows the network types its operator allows', async () => {
    const { requester } = await setup({ engines: [new NoopEngine()], allowedNetworks: ['HTTP'] })
    const unset = await requester.askForBid(makeExecution(makeJob({ Engine: { Type: 'noop', Params: {} }, Network: { Type: 'Default' } })))
    expect(unset.Accepted).toBe(true)
    const http = await requester.askForBid(makeExecution(makeJob({ Engine: { Type: 'noop', Params: {} }, Network: { Type: 'HTTP', Domains: ['example.com'] } })))
    expect(http.Accepted).toBe(true)
    const full = await requester.askForBid(makeExecution(makeJob({ Engine: { Type: 'noop', Params: {} }, Network: { Type: 'Full' } })))
    expect(full.Reason).toBe('task asks for network Full; this node allows only None, HTTP')
  })

  it('rejects bids while paused and accepts again after resume', async () => {
    const { node, requester } = await setup({ engines: [new NoopEngine()] })
    node.pause()
    const paused = await requester.askForBid(makeExecution(makeJob({ Engine: { Type: 'noop', Params: {} } })), true)
    expect(paused).toMatchObject({ Accepted: false, Reason: PAUSED_REASON })
    node.resume()
    const resumed = await requester.askForBid(makeExecution(makeJob({ Engine: { Type: 'noop', Params: {} } })), true)
    expect(resumed.Accepted).toBe(true)
  })

  it('rejects when capacity is taken and no queue slot is left, naming free capacity', async () => {
    const engine = new TestEngine('test', (_req, signal) => untilAborted(signal))
    const { requester } = await setup({ engines: [engine], capacity: { CPU: 1, Memory: 1_000_000_000, Disk: 0, GPU: 0 }, limits: { maxQueued: 0 } })
    const first = makeExecution(makeJob({ Resources: { CPU: '1', Memory: '744Mb' } }))
    expect((await requester.askForBid(first)).Accepted).toBe(true)
    await requester.nextFor('ExecutionStateUpdate', first.ID)
    const second = await requester.askForBid(makeExecution(makeJob({ Resources: { CPU: '500m', Memory: '512Mb' } })))
    expect(second.Accepted).toBe(false)
    expect(second.Reason).toBe('needs 0.5 CPU, 0 CPU free; needs 512 MB memory, 256 MB free, and the queue is full')
  })

  it('waits for BidAccepted when WaitForApproval is set, and forgets rejected bids', async () => {
    const engine = new TestEngine()
    const { requester } = await setup({ engines: [engine] })
    const approved = makeExecution(makeJob())
    expect((await requester.askForBid(approved, true)).Accepted).toBe(true)
    const rejected = makeExecution(makeJob())
    expect((await requester.askForBid(rejected, true)).Accepted).toBe(true)
    expect(engine.runs).toHaveLength(0)

    await requester.send({ Type: 'BidRejected', ExecutionID: rejected.ID, Reason: 'placed elsewhere' })
    await requester.send({ Type: 'BidAccepted', ExecutionID: approved.ID, Reason: '' })
    await requester.nextFor('RunResult', approved.ID)
    expect(engine.runs.map((r) => r.executionId)).toEqual([approved.ID])

    // The rejected bid is gone: accepting it now is an error, and it never runs.
    await requester.send({ Type: 'BidAccepted', ExecutionID: rejected.ID, Reason: '' })
    const error = await requester.next('Error')
    expect(error.Message).toContain(`no bid for execution ${rejected.ID}`)
    expect(engine.runs).toHaveLength(1)
  })
  it('drops an approved-pending bid the requester never answers, so it holds no capacity', async () => {
    const { node, requester } = await setup({ clock: fastClock(0.01), bidTimeoutMs: 1000 })
    const execution = makeExecution(makeJob())
    const expired = new Promise<string>((resolve) =>
      node.addEventListener('execution', (e) => {
        if (e.detail.phase === 'cancelled') resolve(e.detail.message)
      }),
    )
    expect((await requester.askForBid(execution, true)).Accepted).toBe(true)
    expect(await expired).toBe('bid expired')
    expect(node.executions()).toEqual([])
    await requester.send({ Type: 'BidAccepted', ExecutionID: execution.ID, Reason: '' })
    expect((await requester.nextFor('ComputeError', execution.ID)).ErrorCode).toBe('NotFound')
  })
})

describe('capacity and queueing', () => {
  it('runs two 1-CPU jobs on a 1-CPU node one after the other', async () => {
    const gates = new Map<string, ReturnType<typeof deferred>>()
    const engine = new TestEngine('test', async (request) => {
      const gate = deferred()
      gates.set(request.executionId, gate)
      await gate.promise
      return { exitCode: 0, stdout: new TextEncoder().encode(request.executionId), stderr: new Uint8Array(), stdoutTruncated: false, stderrTruncated: false, outputs: new Map() }
    })
    const { node, requester } = await setup({ engines: [engine], capacity: { CPU: 1, Memory: 1_000_000_000, Disk: 0, GPU: 0 } })
    const first = makeExecution(makeJob())
    const second = makeExecution(makeJob())
    expect((await requester.askForBid(first)).Accepted).toBe(true)
    const bid = await requester.askForBid(second)
    expect(bid).toMatchObject({ Accepted: true, Reason: 'queued: 0 execution(s) ahead' })
    await requester.nextFor('ExecutionStateUpdate', first.ID)
    expect(node.executions().map((e) => [e.executionId, e.phase])).toEqual([
      [first.ID, 'running'],
      [second.ID, 'queued'],
    ])
    expect(engine.runs).toHaveLength(1)
    const beat = await requester.next('Heartbeat')
    expect(beat.AvailableCapacity.CPU).toBe(0)
    expect(beat.QueueUsedCapacity?.CPU).toBe(1)

    gates.get(first.ID)!.resolve(undefined)
    const firstResult = await requester.nextFor('RunResult', first.ID)
    expect(firstResult.RunOutput.Stdout).toBe(first.ID)
    const running = await requester.nextFor('ExecutionStateUpdate', second.ID)
    expect(running.ComputeState).toBe(ExecutionState.Running)
    expect(requester.received.indexOf(firstResult)).toBeLessThan(requester.received.indexOf(running))
    gates.get(second.ID)!.resolve(undefined)
    expect((await requester.nextFor('RunResult', second.ID)).RunOutput.Stdout).toBe(second.ID)
    expect(engine.runs.map((r) => r.executionId)).toEqual([first.ID, second.ID])
  })
})

describe('execution slots', () => {
  const halfCpuJob = () => makeJob({ Resources: { CPU: '500m', Memory: '100Mb' } })

  it('with every slot running, advertises no free capacity, queues the next bid (declining as busy once the queue is full) and starts it when a slot frees', async () => {
    const gates = new Map<string, ReturnType<typeof deferred>>()
    const engine = new TestEngine('test', async (request) => {
      const gate = deferred()
      gates.set(request.executionId, gate)
      await gate.promise
      return { exitCode: 0, stdout: new Uint8Array(), stderr: new Uint8Array(), stdoutTruncated: false, stderrTruncated: false, outputs: new Map() }
    })
    // 2 CPU admit four 0.5-CPU jobs, but the node runs 2 executions at once and queues 1.
    const { node, requester } = await setup({
      engines: [engine],
      capacity: { CPU: 2, Memory: 4_000_000_000, Disk: 0, GPU: 0 },
      executionSlots: 2,
      limits: { maxQueued: 1 },
    })
    const running = [makeExecution(halfCpuJob()), makeExecution(halfCpuJob())]
    for (const execution of running) {
      expect((await requester.askForBid(execution)).Accepted).toBe(true)
      await requester.nextFor('ExecutionStateUpdate', execution.ID)
    }
    expect(node.nodeInfo().ComputeNodeInfo!.AvailableCapacity).toEqual({ CPU: 0, Memory: 0, Disk: 0, GPU: 0 })
    // Heartbeats from now on say so (earlier ones, sent before the second run began, did not).
    expect((await requester.next('Heartbeat', (beat) => beat.RunningExecutions === 2)).AvailableCapacity.CPU).toBe(0)

    // The third waits in the node's queue (not running: no worker would take it)...
    const third = makeExecution(halfCpuJob())
    expect(await requester.askForBid(third)).toMatchObject({ Accepted: true, Reason: 'queued: all 2 execution slot(s) busy, 0 execution(s) ahead' })
    expect(node.executions().find((e) => e.executionId === third.ID)?.phase).toBe('queued')
    // ...and with the queue full the fourth is declined as busy, so the requester waits for the node.
    const bid = await requester.askForBid(makeExecution(halfCpuJob()))
    expect(bid.Accepted).toBe(false)
    expect(bid.Reason).toBe('all 2 execution slot(s) of this node are busy (it runs that many executions at once); it takes work again when one ends')
    expect(bid.Busy).toBe(true)
    expect(engine.runs).toHaveLength(2)

    gates.get(running[0].ID)!.resolve(undefined)
    await requester.nextFor('RunResult', running[0].ID)
    expect((await requester.nextFor('ExecutionStateUpdate', third.ID)).ComputeState).toBe(ExecutionState.Running)
    expect(engine.runs).toHaveLength(3)
    gates.get(running[1].ID)!.resolve(undefined)
    gates.get(third.ID)!.resolve(undefined)
  })

  it('changing the slots (the tab\'s worker share) starts or holds back work', async () => {
    const engine = new TestEngine('test', (_req, signal) => untilAborted(signal))
    const { node, requester } = await setup({ engines: [engine], capacity: { CPU: 4, Memory: 4_000_000_000, Disk: 0, GPU: 0 }, executionSlots: 1, limits: { maxQueued: 0 } })
    const first = makeExecution(halfCpuJob())
    expect((await requester.askForBid(first)).Accepted).toBe(true)
    await requester.nextFor('ExecutionStateUpdate', first.ID)
    expect((await requester.askForBid(makeExecution(halfCpuJob()))).Accepted).toBe(false)
    node.setExecutionSlots(2)
    expect((await requester.next('NodeInfoUpdate')).NodeInfo.ComputeNodeInfo!.AvailableCapacity.CPU).toBe(3.5)
    expect((await requester.askForBid(makeExecution(halfCpuJob()))).Accepted).toBe(true)
  })
})

describe('running', () => {
  it('prepares inputs, runs the engine, publishes the result directory and reports RunResult', async () => {
    const publisher = new RecordingPublisher()
    const engine = new TestEngine()
    const { requester } = await setup({ engines: [engine], storages: [new InlineStorage()], publishers: [publisher] })
    const job = makeJob(
      {
        Engine: { Type: 'test', Params: { ExitCode: 3, Stderr: 'warning\n', EnvironmentVariables: { FROM_ENGINE: 'yes' } } },
        Publisher: { Type: 'recording', Params: {} },
        Env: { GREETING: 'hello' },
        InputSources: [{ Source: { Type: 'inline', Params: { URL: 'data:text/plain;base64,aGVsbG8gd29ybGQK' } }, Target: '/inputs/greeting.txt' }],
        ResultPaths: [{ Name: 'outputs', Path: '/outputs' }],
      },
      { Count: 3, Type: 'batch' },
    )
    const execution = makeExecution(job, 2)
    await requester.askForBid(execution)

    const running = await requester.nextFor('ExecutionStateUpdate', execution.ID)
    expect(running.ComputeState).toBe(ExecutionState.Running)
    const publishing = await requester.nextFor('ExecutionStateUpdate', execution.ID)
    expect(publishing.ComputeState).toBe(ExecutionState.Publishing)
    const result = await requester.nextFor('RunResult', execution.ID)
    expect(result.RunOutput).toEqual({ Stdout: 'hello world\n', StdoutTruncated: false, stderr: 'warning\n', StderrTruncated: false, ExitCode: 3, ErrorMsg: '' })
    expect(result.PublishedResult).toEqual({ Type: 'recording', Params: { Key: `results/${execution.ID}` } })

    const run = engine.runs[0]
    expect(run.env).toMatchObject({
      GREETING: 'hello',
      FROM_ENGINE: 'yes',
      BACALHAU_JOB_ID: job.ID,
      BACALHAU_EXECUTION_ID: execution.ID,
      BACALHAU_PARTITION_INDEX: '2',
      BACALHAU_PARTITION_COUNT: '3',
      BACALHAU_JOB_TYPE: 'batch',
    })
    expect(run.limits).toMatchObject({ memoryBytes: 100_000_000, outputBytes: 64 * 1024 * 1024, timeoutMs: 0 })

    const published = publisher.requests[0].result
    expect([...published.entries.keys()].sort()).toEqual(['exitCode', 'outputs', 'stderr', 'stdout'])
    expect(text(published.entries.get('stdout'))).toBe('hello world\n')
    expect(text(published.entries.get('stderr'))).toBe('warning\n')
    expect(text(published.entries.get('exitCode'))).toBe('3')
    const outputs = published.entries.get('outputs')
    expect(outputs?.kind === 'dir' && text(outputs.entries.get('inputs_greeting.txt'))).toBe('hello world\n')
  })

  it('keeps the first 2 KiB of each stream in RunOutput and flags truncation, also when the engine hit its cap', async () => {
    const publisher = new RecordingPublisher()
    const long = 'é'.repeat(1500) // 3000 bytes; byte 2048 falls inside a character
    const engine = new TestEngine('test', async () => ({
      exitCode: 0,
      stdout: new TextEncoder().encode(long),
      stderr: new TextEncoder().encode('short'),
      stdoutTruncated: false,
      stderrTruncated: true,
      outputs: new Map([['out', memoryTree(emptyDirectory())]]),
    }))
    const { requester } = await setup({ engines: [engine], publishers: [publisher] })
    const execution = makeExecution(makeJob({ Publisher: { Type: 'recording', Params: {} } }))
    await requester.askForBid(execution)
    const { RunOutput } = await requester.nextFor('RunResult', execution.ID)
    expect(RunOutput.Stdout).toBe('é'.repeat(1024))
    expect(RunOutput.StdoutTruncated).toBe(true)
    expect(RunOutput).toMatchObject({ stderr: 'short', StderrTruncated: true })
    // The published stdout holds the full stream.
    expect(text(publisher.requests[0].result.entries.get('stdout'))).toBe(long)
  })

  it('a task without publisher completes with PublishedResult null', async () => {
    const { requester } = await setup({ engines: [new NoopEngine()] })
    const execution = makeExecution(makeJob({ Engine: { Type: 'noop', Params: {} }, Publisher: { Type: '', Params: {} } }))
    await requester.askForBid(execution)
    const result = await requester.nextFor('RunResult', execution.ID)
    expect(result.PublishedResult).toBeNull()
    expect(result.RunOutput).toMatchObject({ Stdout: '', ExitCode: 0 })
  })
})

describe('failures never look like success', () => {
  const expectFailure = async (requester: FakeRequester, executionId: string) => {
    const error = await requester.nextFor('ComputeError', executionId)
    expect(requester.about(executionId).some((m) => m.Type === 'RunResult')).toBe(false)
    return error
  }

  it('a storage error fails with StorageError and a message naming the URL and the field', async () => {
    const fetch = async () => new Response('nope', { status: 404, statusText: 'Not Found' })
    const { requester } = await setup({ storages: [new UrlDownloadStorage({ fetch })] })
    const execution = makeExecution(makeJob({ InputSources: [{ Source: { Type: 'urlDownload', Params: { URL: 'http://files.example:9/data.csv' } }, Target: '/in' }] }))
    await requester.askForBid(execution)
    const error = await expectFailure(requester, execution.ID)
    expect(error.ErrorCode).toBe('StorageError')
    expect(error.Message).toBe('GET http://files.example:9/data.csv answered 404 Not Found — check the URL in InputSources[0].Source.Params.URL')
  })

  it('an engine error fails with the engine error code and message', async () => {
    const engine = new TestEngine('test', async () => {
      throw new ExecutionError('module has no export _start', { hint: 'set Engine.Params.Entrypoint' })
    })
    const { requester } = await setup({ engines: [engine] })
    const execution = makeExecution(makeJob())
    await requester.askForBid(execution)
    const error = await expectFailure(requester, execution.ID)
    expect(error.ErrorCode).toBe('ExecutionError')
    expect(error.Message).toBe('test engine failed: module has no export _start (set Engine.Params.Entrypoint)')
  })

  it('a publish error fails with PublishError and keeps the run output', async () => {
    const publisher = new RecordingPublisher()
    publisher.failWith = new Error('bucket does not exist')
    const { requester } = await setup({ storages: [new InlineStorage()], publishers: [publisher] })
    const execution = makeExecution(
      makeJob({
        Publisher: { Type: 'recording', Params: {} },
        InputSources: [{ Source: { Type: 'inline', Params: { URL: 'data:,hi' } }, Target: '/in' }],
      }),
    )
    await requester.askForBid(execution)
    const error = await expectFailure(requester, execution.ID)
    expect(error.ErrorCode).toBe('PublishError')
    expect(error.Message).toBe('could not publish results with recording: bucket does not exist')
    expect(error.RunOutput).toMatchObject({ Stdout: 'hi', ErrorMsg: error.Message })
  })

  it('an engine that exceeds ExecutionTimeout is aborted and fails with Timeout', async () => {
    const engine = new TestEngine('test', (_req, signal) => untilAborted(signal))
    const { requester } = await setup({ engines: [engine], clock: fastClock(0.01) })
    const execution = makeExecution(makeJob({ Timeouts: { ExecutionTimeout: 2 } }))
    await requester.askForBid(execution)
    const error = await expectFailure(requester, execution.ID)
    expect(error).toMatchObject({ ErrorCode: 'Timeout', Message: 'execution timed out after 2s' })
    expect(engine.signals[0]?.aborted).toBe(true)
    expect(engine.runs[0].limits.timeoutMs).toBe(2000)
  })
})

describe('cancel', () => {
  it('CancelExecution aborts the engine, frees capacity for queued work and reports no result', async () => {
    const engine = new TestEngine('test', (_req, signal) => untilAborted(signal))
    const { requester, node } = await setup({ engines: [engine], capacity: { CPU: 1, Memory: 1_000_000_000, Disk: 0, GPU: 0 } })
    const first = makeExecution(makeJob())
    const second = makeExecution(makeJob({ Engine: { Type: 'test', Params: {} } }))
    await requester.askForBid(first)
    await requester.askForBid(second)
    await requester.nextFor('ExecutionStateUpdate', first.ID)
    engine.behaviour = async () => ({ exitCode: 0, stdout: new Uint8Array(), stderr: new Uint8Array(), stdoutTruncated: false, stderrTruncated: false, outputs: new Map() })

    await requester.send({ Type: 'CancelExecution', ExecutionID: first.ID, Reason: 'job stopped by user' })
    // The queued execution starts once the cancelled one released its CPU.
    await requester.nextFor('RunResult', second.ID)
    expect(engine.signals[0]?.aborted).toBe(true)
    expect(requester.about(first.ID).map((m) => m.Type)).toEqual(['BidResult', 'ExecutionStateUpdate'])
    expect(node.executions()).toEqual([])
  })

  it('cancelling a queued execution removes it from the queue', async () => {
    const engine = new TestEngine('test', (_req, signal) => untilAborted(signal))
    const { requester, node } = await setup({ engines: [engine], capacity: { CPU: 1, Memory: 1_000_000_000, Disk: 0, GPU: 0 } })
    const first = makeExecution(makeJob())
    const second = makeExecution(makeJob())
    await requester.askForBid(first)
    await requester.askForBid(second)
    await requester.send({ Type: 'CancelExecution', ExecutionID: second.ID, Reason: '' })
    await requester.send({ Type: 'CancelExecution', ExecutionID: first.ID, Reason: '' })
    const beat = await requester.next('Heartbeat', (m) => m.RunningExecutions === 0)
    expect(beat.QueueUsedCapacity?.CPU).toBe(0)
    expect(node.executions()).toEqual([])
    expect(engine.runs.map((r) => r.executionId)).toEqual([first.ID])
  })
})

describe('logs', () => {
  const logEngine = (gate: ReturnType<typeof deferred>, more: ReturnType<typeof deferred>) =>
    new TestEngine('test', async (request) => {
      const enc = new TextEncoder()
      request.onLog?.({ stream: 1, data: enc.encode('line 1\nli') })
      request.onLog?.({ stream: 1, data: enc.encode('ne 2\n') })
      request.onLog?.({ stream: 2, data: enc.encode('oops\n') })
      await more.promise
      request.onLog?.({ stream: 1, data: enc.encode('line 3\n') })
      await gate.promise
      return { exitCode: 0, stdout: enc.encode('line 1\nline 2\nline 3\n'), stderr: enc.encode('oops\n'), stdoutTruncated: false, stderrTruncated: false, outputs: new Map() }
    })

  it('answers LogsRequest with the tail, follows while running and ends with LogsEnd', async () => {
    const gate = deferred()
    const more = deferred()
    const { requester } = await setup({ engines: [logEngine(gate, more)] })
    const execution = makeExecution(makeJob())
    await requester.askForBid(execution)
    await requester.nextFor('ExecutionStateUpdate', execution.ID)

    await requester.send({ Type: 'LogsRequest', RequestID: 'r1', ExecutionID: execution.ID, Follow: true, Tail: 2 })
    const first = await requester.next('LogLine', (m) => m.RequestID === 'r1')
    const second = await requester.next('LogLine', (m) => m.RequestID === 'r1')
    expect([first, second].map((m) => [m.Stream, m.Line])).toEqual([
      [1, 'line 2\n'],
      [2, 'oops\n'],
    ])
    more.resolve(undefined)
    const followed = await requester.next('LogLine', (m) => m.RequestID === 'r1')
    expect([followed.Stream, followed.Line]).toEqual([1, 'line 3\n'])
    gate.resolve(undefined)
    const end = await requester.next('LogsEnd', (m) => m.RequestID === 'r1')
    expect(end.Error).toBe('')

    // After the run: the whole log, without following.
    await requester.nextFor('RunResult', execution.ID)
    await requester.send({ Type: 'LogsRequest', RequestID: 'r2', ExecutionID: execution.ID, Follow: true })
    await requester.next('LogsEnd', (m) => m.RequestID === 'r2')
    expect(requester.received.filter((m) => m.Type === 'LogLine' && m.RequestID === 'r2').map((m) => (m as { Line: string }).Line)).toEqual([
      'line 1\n',
      'line 2\n',
      'oops\n',
      'line 3\n',
    ])
  })

  it('LogsCancel stops following', async () => {
    const gate = deferred()
    const more = deferred()
    const { requester } = await setup({ engines: [logEngine(gate, more)] })
    const execution = makeExecution(makeJob())
    await requester.askForBid(execution)
    await requester.nextFor('ExecutionStateUpdate', execution.ID)
    await requester.send({ Type: 'LogsRequest', RequestID: 'r1', ExecutionID: execution.ID, Follow: true, Tail: 0 })
    await requester.send({ Type: 'LogsCancel', RequestID: 'r1' })
    // A second follower proves the cancelled one would have seen the same lines.
    await requester.send({ Type: 'LogsRequest', RequestID: 'r2', ExecutionID: execution.ID, Follow: true, Tail: 0 })
    more.resolve(undefined)
    gate.resolve(undefined)
    await requester.next('LogsEnd', (m) => m.RequestID === 'r2')
    await requester.nextFor('RunResult', execution.ID)
    const lines = (id: string) => requester.received.filter((m) => (m.Type === 'LogLine' || m.Type === 'LogsEnd') && m.RequestID === id)
    expect(lines('r2').map((m) => m.Type)).toEqual(['LogLine', 'LogsEnd'])
    expect(lines('r1')).toEqual([])
  })

  it('serves logs of an engine that does not stream, and says when logs are unknown', async () => {
    const { requester } = await setup({ storages: [new InlineStorage()] })
    const execution = makeExecution(makeJob({ InputSources: [{ Source: { Type: 'inline', Params: { URL: 'data:,a%0Ab' } }, Target: '/in' }] }))
    await requester.askForBid(execution)
    await requester.nextFor('RunResult', execution.ID)
    await requester.send({ Type: 'LogsRequest', RequestID: 'r1', ExecutionID: execution.ID, Follow: false })
    await requester.next('LogsEnd', (m) => m.RequestID === 'r1')
    expect(requester.received.filter((m) => m.Type === 'LogLine').map((m) => (m as { Line: string }).Line)).toEqual(['a\n', 'b'])

    await requester.send({ Type: 'LogsRequest', RequestID: 'r2', ExecutionID: 'e-unknown', Follow: false })
    const end = await requester.next('LogsEnd', (m) => m.RequestID === 'r2')
    expect(end.Error).toContain('has no logs of execution e-unknown')
  })
})

describe('connection', () => {
  it('reconnects after the requester drops, reports running executions and delivers results produced meanwhile', async () => {
    const gate = deferred()
    const engine = new TestEngine('test', async () => {
      await gate.promise
      return { exitCode: 0, stdout: new TextEncoder().encode('done'), stderr: new Uint8Array(), stdoutTruncated: false, stderrTruncated: false, outputs: new Map() }
    })
    const { requester, node } = await setup({ engines: [engine] })
    const execution = makeExecution(makeJob())
    await requester.askForBid(execution)
    await requester.nextFor('ExecutionStateUpdate', execution.ID)

    const disconnected = new Promise<void>((resolve) =>
      node.addEventListener('status', (e) => {
        if (e.detail.status === 'disconnected') resolve()
      }),
    )
    await requester.drop()
    await disconnected
    gate.resolve(undefined) // finishes while no requester is reachable
    await new Promise<void>((resolve) =>
      node.addEventListener('execution', (e) => {
        if (e.detail.phase === 'completed') resolve()
      }),
    )
    await requester.start()
    const handshake = await requester.next('Handshake')
    // Named although it has ended: its RunResult is still undelivered, and the requester fails
    // every active execution a Handshake leaves out (it would run the job again elsewhere).
    expect(handshake.RunningExecutions).toEqual([execution.ID])
    const result = await requester.nextFor('RunResult', execution.ID)
    expect(result.RunOutput.Stdout).toBe('done')
  })

  it('keeps a result until the requester acknowledges it and sends it again after a reconnect (the requester may have died before storing it)', async () => {
    const { requester } = await setup({ engines: [new NoopEngine()] })
    const noopJob = () => makeJob({ Engine: { Type: 'noop', Params: {} } })
    const unacknowledged = makeExecution(noopJob())
    await requester.askForBid(unacknowledged)
    await requester.nextFor('RunResult', unacknowledged.ID) // delivered, but never acknowledged
    const acknowledged = makeExecution(noopJob())
    await requester.askForBid(acknowledged)
    await requester.nextFor('RunResult', acknowledged.ID)
    await requester.send({ Type: 'ResultAck', ExecutionID: acknowledged.ID })
    // A round trip, so the acknowledgement is handled before the requester goes away.
    await requester.send({ Type: 'LogsRequest', RequestID: 'sync', ExecutionID: 'e-none', Follow: false })
    await requester.next('LogsEnd')
    await requester.drop()

    await requester.start()
    const handshake = await requester.next('Handshake')
    expect(handshake.RunningExecutions).toEqual([unacknowledged.ID])
    const again = await requester.nextFor('RunResult', unacknowledged.ID)
    expect(again.RunOutput.ExitCode).toBe(0)
    expect(requester.about(acknowledged.ID).filter((m) => m.Type === 'RunResult')).toHaveLength(1)

    // Acknowledged now: the next reconnect names it no more.
    await requester.send({ Type: 'ResultAck', ExecutionID: unacknowledged.ID })
    await requester.send({ Type: 'LogsRequest', RequestID: 'sync-2', ExecutionID: 'e-none', Follow: false })
    await requester.next('LogsEnd')
    await requester.drop()
    await requester.start()
    expect((await requester.next('Handshake')).RunningExecutions).toEqual([])
  })

  it('lists running executions in the handshake after a reconnect', async () => {
    const engine = new TestEngine('test', (_req, signal) => untilAborted(signal))
    const { requester } = await setup({ engines: [engine] })
    const execution = makeExecution(makeJob())
    await requester.askForBid(execution)
    await requester.nextFor('ExecutionStateUpdate', execution.ID)
    await requester.drop()
    await requester.start()
    const handshake = await requester.next('Handshake')
    expect(handshake.RunningExecutions).toEqual([execution.ID])
  })

  it('keeps trying while no requester listens, then connects', async () => {
    const requester = new FakeRequester()
    const failures: string[] = []
    const node = new ComputeNode({
      nodeId: 'node-late',
      engines: [new NoopEngine()],
      capacity: { CPU: 1, Memory: 1e9, Disk: 0, GPU: 0 },
      dialer: requester.network.dialer(),
      requesterAddresses: [requester.address],
      reconnect: { initialDelayMs: 1, maxDelayMs: 4, attemptsPerRound: 3 },
      logger: collectingLogger(failures),
    })
    cleanups.push(() => node.stop())
    await node.start()
    // Wait until a whole round of attempts failed (logged), then bring the requester up.
    while (!failures.some((m) => m.startsWith('no requester reachable after 3 attempts'))) await new Promise((r) => setTimeout(r, 1))
    await requester.start()
    const handshake = await requester.next('Handshake')
    expect(handshake.NodeInfo.NodeID).toBe('node-late')
    expect(failures.filter((m) => m.startsWith('could not connect')).length).toBeGreaterThanOrEqual(3)
  })

  it('asks for fresh requester addresses after losing the connection (a restarted requester has a new certhash)', async () => {
    const network = new MemoryNetwork()
    const before = new FakeRequester(network, '/webrtc-direct/certhash/old')
    await before.start()
    const asked: string[][] = []
    const node = new ComputeNode({
      nodeId: 'node-tab',
      engines: [new NoopEngine()],
      capacity: { CPU: 1, Memory: 1e9, Disk: 0, GPU: 0 },
      dialer: network.dialer(),
      requesterAddresses: [before.address],
      refreshAddresses: async () => {
        asked.push([...node.requesterAddresses])
        return ['/webrtc-direct/certhash/new']
      },
      reconnect: { initialDelayMs: 1, maxDelayMs: 4, attemptsPerRound: 3 },
    })
    cleanups.push(() => node.stop())
    await node.start()
    await before.next('Handshake')
    expect(asked).toEqual([])
    await before.drop()
    const after = new FakeRequester(network, '/webrtc-direct/certhash/new')
    await after.start()
    cleanups.push(() => after.drop())
    expect((await after.next('Handshake')).NodeInfo.NodeID).toBe('node-tab')
    expect(asked).toEqual([['/webrtc-direct/certhash/old']])
    expect(node.requesterAddresses).toEqual(['/webrtc-direct/certhash/new'])
  })

  it('answers malformed and unexpected messages with Error and keeps working', async () => {
    const { requester, connections } = await setup({ engines: [new NoopEngine()] })
    const nodeEnd = connections[0] as MemoryConnection
    nodeEnd.deliver('this is not json')
    expect((await requester.next('Error')).Code).toBe('ProtocolError')
    nodeEnd.deliver(JSON.stringify({ Version: PROTOCOL_VERSION, Type: 'AskForBid', ExecutionID: '' }))
    expect((await requester.next('Error')).Message).toContain('malformed AskForBid')
    await requester.send({ Type: 'Heartbeat', Seq: 1, AvailableCapacity: { CPU: 0, Memory: 0, Disk: 0, GPU: 0 }, RunningExecutions: 0 })
    expect((await requester.next('Error')).Message).toBe('unexpected Heartbeat: a requester does not send it to a compute node')
    await requester.send({ Type: 'AskForBid', ExecutionID: 'e-nojob', Execution: { ID: 'e-nojob' } as never, WaitForApproval: false })
    expect((await requester.next('Error')).Message).toContain('carries no Job')
    expect((await requester.nextFor('BidResult', 'e-nojob')).Accepted).toBe(false)

    // Still serving.
    const execution = makeExecution(makeJob({ Engine: { Type: 'noop', Params: {} } }))
    await requester.askForBid(execution)
    expect((await requester.nextFor('RunResult', execution.ID)).RunOutput.ExitCode).toBe(0)
  })

  it('a refused handshake is logged and retried, never treated as connected', async () => {
    const requester = new FakeRequester()
    requester.accept = false
    await requester.start()
    const warnings: string[] = []
    const node = new ComputeNode({
      nodeId: 'node-refused',
      engines: [new NoopEngine()],
      capacity: { CPU: 1, Memory: 1e9, Disk: 0, GPU: 0 },
      dialer: requester.network.dialer(),
      requesterAddresses: [requester.address],
      reconnect: { initialDelayMs: 1, maxDelayMs: 2 },
      logger: collectingLogger(warnings),
    })
    cleanups.push(() => node.stop())
    const statuses: string[] = []
    node.addEventListener('status', (e) => statuses.push(e.detail.status))
    await node.start()
    await requester.next('Handshake')
    await requester.next('Handshake') // a second attempt after the refusal
    expect(warnings.some((m) => m.includes('requester refused this node: not welcome'))).toBe(true)
    expect(statuses).not.toContain('connected')
  })
})

describe('storage errors inside the pipeline keep their meaning', () => {
  it('an inline source with a broken data URL fails with StorageError', async () => {
    const { requester } = await setup({ storages: [new InlineStorage()] })
    const execution = makeExecution(makeJob({ InputSources: [{ Source: { Type: 'inline', Params: { URL: 'data:application/gzip;base64,bm90IGd6aXA=' } }, Target: '/in' }] }))
    await requester.askForBid(execution)
    const error = await requester.nextFor('ComputeError', execution.ID)
    expect(error.ErrorCode).toBe(new StorageError('').code)
    expect(error.Message).toContain('InputSources[0] (inline, for /in)')
    expect(error.Message).toContain('could not be decompressed')
  })
})

function collectingLogger(warnings: string[]): Logger {
  const logger: Logger = { debug() {}, info() {}, warn: (m) => warnings.push(m), error() {}, child: () => logger }
  return logger
}

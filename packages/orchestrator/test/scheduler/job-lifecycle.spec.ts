import { afterEach, describe, expect, it } from 'vitest'
import { BadRequestError, ConflictError, ExecutionState } from '@shoal/models'
import { RequesterHarness, noopJob, until } from '../helpers/requester-harness.ts'
import { settle } from '../helpers/manual-clock.ts'

/** These jobs wait for a node (a QueueTimeout); without one a job no node can run fails at once. */
const WAITS = { Timeouts: { QueueTimeout: 600 } }

describe('stop, update and rerun', () => {
  let h: RequesterHarness
  afterEach(async () => h?.stop())

  it('stops a running job: executions cancelled on their nodes, job Stopped', async () => {
    h = await new RequesterHarness().start()
    const a = await h.addNode('n-a', { run: 'hang' })
    const b = await h.addNode('n-b', { run: 'hang' })
    const jobId = await h.submit(noopJob({ Count: 2 }))
    await h.waitForState(jobId, 'Running')
    await until(() => a.executionsIn('running').length + b.executionsIn('running').length === 2, 'both partitions running')
    const { EvaluationID } = await h.requester.stopJob(jobId, 'no longer needed')
    expect(EvaluationID).toMatch(/^v-/)
    const job = await h.waitForState(jobId, 'Stopped')
    expect(job.State.Message).toBe('no longer needed')
    await until(() => a.receivedOf('CancelExecution').length === 1 && b.receivedOf('CancelExecution').length === 1, 'cancellations')
    const executions = await h.executions(jobId)
    expect(executions.every((e) => e.ComputeState.StateType === ExecutionState.Cancelled)).toBe(true)
    expect(await h.requester.stopJob(jobId)).toEqual({ EvaluationID: '' })
  })

  it('refuses to stop a completed job', async () => {
    h = await new RequesterHarness().start()
    await h.addNode('n-a')
    const jobId = await h.submit(noopJob())
    await h.waitForState(jobId, 'Completed')
    await expect(h.requester.stopJob(jobId)).rejects.toBeInstanceOf(ConflictError)
  })

  it('treats a resubmission of the same Name as a new version that replaces the old executions', async () => {
    h = await new RequesterHarness().start()
    const a = await h.addNode('n-a', { run: (e) => (e.JobVersion === 1 ? 'hang' : 'complete') })
    const spec = noopJob({ Name: 'my-service', Type: 'service' })
    const first = await h.requester.submitJob(spec)
    await h.waitForState(first.JobID, 'Running')
    await expect(h.requester.submitJob(spec)).rejects.toBeInstanceOf(BadRequestError)

    const diff = await h.requester.diffJob({ ...spec, Labels: { tier: 'gold' } })
    expect(diff.Diff).toContain('+ Labels.tier: "gold"')
    const second = await h.requester.submitJob({ ...spec, Labels: { tier: 'gold' } })
    expect(second.JobID).toBe(first.JobID)
    await until(async () => (await h.executions(first.JobID)).some((e) => e.JobVersion === 2), 'an execution of version 2')
    const job = await h.job(first.JobID)
    expect(job.Version).toBe(2)
    expect(job.Labels).toEqual({ tier: 'gold' })
    const old = (await h.executions(first.JobID)).find((e) => e.JobVersion === 1)!
    await until(() => a.receivedOf('CancelExecution').some((m) => m.ExecutionID === old.ID), 'the old execution cancelled')
    expect((await h.store.getExecution(old.ID)).ComputeState.Message).toBe('stopped: the job was updated to version 2')
    expect((await h.store.getJobVersions(first.JobID)).map((v) => v.Version)).toEqual([1, 2])
  })

  it('reruns a completed job as a new version', async () => {
    h = await new RequesterHarness().start()
    await h.addNode('n-a')
    const jobId = await h.submit(noopJob({ Count: 1 }))
    await h.waitForState(jobId, 'Completed')
    const rerun = await h.requester.rerunJob(jobId, 'inputs changed')
    expect(rerun).toMatchObject({ JobID: jobId, JobVersion: 2 })
    await until(async () => (await h.executions(jobId)).length === 2, 'the second execution')
    const job = await h.waitForState(jobId, 'Completed')
    expect(job.Version).toBe(2)
    const executions = await h.executions(jobId)
    expect(executions.map((e) => e.JobVersion).sort()).toEqual([1, 2])
    expect((await h.history(jobId)).some((m) => m.includes('job rerun: inputs changed'))).toBe(true)
  })
})

describe('protocol robustness', () => {
  let h: RequesterHarness
  afterEach(async () => h?.stop())

  it('answers malformed and out-of-order messages with Error and keeps working', async () => {
    h = await new RequesterHarness().start()
    const node = await h.addNode('n-a')
    node.sendRaw('{not json')
    await until(() => node.receivedOf('Error').length === 1, 'an Error for the bad frame')
    expect(node.receivedOf('Error')[0]).toMatchObject({ Code: 'ProtocolError', Message: 'frame is not valid JSON' })

    await node.send({ Type: 'RunResult', ExecutionID: 'e-unknown', RunOutput: { Stdout: '', StdoutTruncated: false, stderr: '', StderrTruncated: false, ExitCode: 0, ErrorMsg: '' }, PublishedResult: null })
    await until(() => node.receivedOf('Error').length === 2, 'an Error for the unknown execution')
    expect(node.receivedOf('Error')[1]).toMatchObject({ Code: 'ProtocolError', Message: 'unknown execution e-unknown', InReplyTo: 'RunResult' })

    await node.send({ Type: 'AskForBid', ExecutionID: 'e-x', Execution: {} as never, WaitForApproval: true })
    await until(() => node.receivedOf('Error').length === 3, 'an Error for a requester-only message')

    const jobId = await h.submit(noopJob())
    await h.waitForState(jobId, 'Completed')
  })

  it('answers a message sent before the Handshake with Error', async () => {
    h = await new RequesterHarness().start()
    const connection = await h.network.dialer('rogue').dial('requester')
    const received: unknown[] = []
    connection.attach({ onMessage: (m) => received.push(m), onClose: () => {} })
    await connection.send({ Type: 'Heartbeat', Seq: 1, AvailableCapacity: { CPU: 1, Memory: 1, Disk: 1, GPU: 0 }, RunningExecutions: 0 })
    await until(() => received.length === 2, 'the Challenge and an Error')
    expect(received[0]).toMatchObject({ Type: 'Challenge', RequesterID: 'n-requester' })
    expect(received[1]).toMatchObject({ Type: 'Error', Code: 'ProtocolError', Message: 'Heartbeat before Handshake: send a Handshake first' })
    await connection.close()
  })
})

describe('logs', () => {
  let h: RequesterHarness
  afterEach(async () => h?.stop())

  it('streams the log lines of an execution from its node', async () => {
    h = await new RequesterHarness().start()
    await h.addNode('n-a', {
      logs: () => [
        { stream: 1, line: 'hello' },
        { stream: 2, line: 'oops' },
        { stream: 1, line: 'bye' },
      ],
    })
    const jobId = await h.submit(noopJob())
    await h.waitForState(jobId, 'Completed')
    const lines = []
    for await (const line of h.requester.logs(jobId)) lines.push(line)
    expect(lines.map((l) => [l.Type, l.Line])).toEqual([
      [1, 'hello'],
      [2, 'oops'],
      [1, 'bye'],
    ])
    const tail = []
    for await (const line of h.requester.logs(jobId, { tail: 1 })) tail.push(line.Line)
    expect(tail).toEqual(['bye'])
  })

  it('finds the execution by the short ID tables print, and names an unknown one', async () => {
    h = await new RequesterHarness().start()
    await h.addNode('n-a', { logs: () => [{ stream: 1, line: 'short id works' }] })
    const jobId = await h.submit(noopJob())
    await h.waitForState(jobId, 'Completed')
    const [execution] = await h.executions(jobId)
    const lines: string[] = []
    for await (const line of h.requester.logs(jobId, { executionId: execution.ID.slice(0, 10) })) lines.push(line.Line)
    expect(lines).toEqual(['short id works'])
    await expect(h.requester.logs(jobId, { executionId: 'e-ffffffff' }).next()).rejects.toThrow(`job ${jobId} has no execution e-ffffffff`)
  })

  it('ends a followed stream when the execution ends', async () => {
    h = await new RequesterHarness().start()
    const node = await h.addNode('n-a', { run: 'hang', logs: () => [{ stream: 1, line: 'started' }] })
    const jobId = await h.submit(noopJob())
    await until(() => node.executionsIn('running').length === 1, 'the execution to run')
    const lines: string[] = []
    const reading = (async () => {
      for await (const line of h.requester.logs(jobId, { follow: true })) lines.push(line.Line)
    })()
    await until(() => lines.length === 1, 'the first line')
    await node.complete(node.executionsIn('running')[0].ID)
    await reading
    expect(lines).toEqual(['started'])
  })

  it('waits, when following a job that has no execution yet, until one runs (job run --follow)', async () => {
    h = await new RequesterHarness().start()
    const jobId = await h.submit(noopJob({}, WAITS))
    await expect(h.requester.logs(jobId).next()).rejects.toThrow(`job ${jobId} has no execution with logs yet`)
    const lines: string[] = []
    const reading = (async () => {
      for await (const line of h.requester.logs(jobId, { follow: true })) lines.push(line.Line)
    })()
    await settle(5)
    expect(lines).toEqual([])
    const node = await h.addNode('n-a', { run: 'hang', logs: () => [{ stream: 1, line: 'late' }] })
    await until(() => lines.length === 1, 'the first line from the node that joined later')
    await node.complete(node.executionsIn('running')[0].ID)
    await reading
    expect(lines).toEqual(['late'])
  })

  it('ends a follow that waits for an execution when the job ends without one, saying so', async () => {
    h = await new RequesterHarness().start()
    const jobId = await h.submit(noopJob({}, WAITS))
    const reading = h.requester.logs(jobId, { follow: true }).next()
    await settle(5)
    await h.requester.stopJob(jobId, 'changed my mind')
    await expect(reading).rejects.toThrow(`job ${jobId} ended (Stopped) without running an execution, so it has no logs`)
  })

  it('stops waiting for an execution when the follower goes away', async () => {
    h = await new RequesterHarness().start()
    const jobId = await h.submit(noopJob({}, WAITS))
    const abort = new AbortController()
    const reading = h.requester.logs(jobId, { follow: true, signal: abort.signal }).next()
    await settle(5)
    abort.abort(new Error('client disconnected'))
    await expect(reading).rejects.toThrow('client disconnected')
  })
})

describe('restart', () => {
  it('picks up unfinished jobs after a restart and fails work on nodes that do not return', async () => {
    const h = await new RequesterHarness({ heartbeatIntervalMs: 1000, missedHeartbeats: 3 }).start()
    const a = await h.addNode('n-a', { run: 'hang' })
    const running = await h.submit(noopJob({}, WAITS))
    await h.waitForState(running, 'Running')
    await h.requester.stop()
    await a.close()
    const queuedSpec = noopJob({}, WAITS)

    const second = h.newRequester({ heartbeatIntervalMs: 1000, missedHeartbeats: 3 })
    await second.start()
    const waiting = (await second.submitJob(queuedSpec)).JobID
    // Not yet lost after the heartbeat timeout: a node gets the restart grace (35 s) to come back.
    await h.clock.advance(3500)
    expect((await h.store.listExecutions({ jobId: running })).Items[0].ComputeState.StateType).toBe(ExecutionState.Running)
    await h.clock.advance(32_000)
    await until(async () => (await h.store.listExecutions({ jobId: running })).Items.some((e) => e.ComputeState.StateType === ExecutionState.Failed), 'the lost execution to fail')
    const lost = (await h.store.listExecutions({ jobId: running })).Items[0]
    expect(lost.RunOutput?.ErrorMsg).toContain('did not reconnect after the requester restarted')

    const b = await h.addNode('n-b')
    await h.waitForState(running, 'Completed')
    await h.waitForState(waiting, 'Completed')
    expect(b.executionsIn('completed')).toHaveLength(2)
    await second.stop()
    await h.store.close()
  })
  it('a job with no QueueTimeout evaluated after a restart waits for a node still within its time to reconnect, and runs when it does', async () => {
    const h = await new RequesterHarness({ heartbeatIntervalMs: 1000, missedHeartbeats: 3 }).start()
    const a = await h.addNode('n-a')
    await h.waitForState(await h.submit(noopJob()), 'Completed')
    await h.requester.stop()
    await a.close()

    const second = h.newRequester({ heartbeatIntervalMs: 1000, missedHeartbeats: 3 })
    await second.start()
    // Its only node was connected when the requester went down: no reason to fail the job yet.
    const jobId = (await second.submitJob(noopJob())).JobID
    await settle(5)
    const waiting = await h.job(jobId)
    expect(waiting.State.StateType).toBe('Queued')
    expect(waiting.State.Message).toContain('expected to reconnect after the requester restarted')
    const back = await h.addNode('n-a', { key: a.key })
    expect(back.handshake?.Accepted).toBe(true)
    await h.waitForState(jobId, 'Completed')
    expect(back.executionsIn('completed')).toHaveLength(1)
    await second.stop()
    await h.store.close()
  })
})

describe('execution progress', () => {
  let h: RequesterHarness
  afterEach(async () => h?.stop())

  it('an update of the state an execution is in replaces its message (Running and Publishing) and adds no history event', async () => {
    h = await new RequesterHarness().start()
    const node = await h.addNode('n-a', { run: 'hang' })
    const jobId = await h.submit(noopJob())
    await h.waitForState(jobId, 'Running')
    await until(() => node.executionsIn('running').length === 1, 'the execution running')
    const [execution] = node.executionsIn('running')
    const message = async () => (await h.store.getExecution(execution.ID)).ComputeState
    await until(async () => (await message()).StateType === ExecutionState.Running, 'Running recorded')
    const historyBefore = await h.history(jobId)

    for (const percent of [10, 20, 30]) {
      await node.send({ Type: 'ExecutionStateUpdate', ExecutionID: execution.ID, ComputeState: ExecutionState.Running, Message: `downloading InputSources[0] (urlDownload http://x/d): ${percent} MiB of 100 MiB (${percent}%)` })
    }
    await until(async () => ((await message()).Message ?? '').endsWith('(30%)'), 'the last figure recorded')
    expect(await message()).toEqual({ StateType: ExecutionState.Running, Message: 'downloading InputSources[0] (urlDownload http://x/d): 30 MiB of 100 MiB (30%)' })

    await node.send({ Type: 'ExecutionStateUpdate', ExecutionID: execution.ID, ComputeState: ExecutionState.Publishing, Message: 'publishing results with local' })
    await until(async () => (await message()).StateType === ExecutionState.Publishing, 'Publishing recorded')
    await node.send({ Type: 'ExecutionStateUpdate', ExecutionID: execution.ID, ComputeState: ExecutionState.Publishing, Message: 'publishing e-1.tar.gz: 1.0 MiB of 4.0 MiB (25%)' })
    await until(async () => (await message()).Message === 'publishing e-1.tar.gz: 1.0 MiB of 4.0 MiB (25%)', 'the publishing figure recorded')
    expect(await h.history(jobId)).toEqual(historyBefore)
  })
})

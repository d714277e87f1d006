import { afterEach, describe, expect, it } from 'vitest'
import { ExecutionState } from '@shoal/models'
import { generateNodeKey } from '@shoal/protocol'
import { RequesterHarness, noopJob, until } from '../helpers/requester-harness.ts'
import { settle } from '../helpers/manual-clock.ts'

describe('a node ID is bound to the key it first joined with', () => {
  let h: RequesterHarness
  afterEach(async () => h?.stop())

  it('refuses a second node that claims a connected node\'s ID with another key: no flapping, labels and work stay', async () => {
    h = await new RequesterHarness().start()
    const original = await h.addNode('n-a', { labels: { owner: 'alice' }, run: 'hang' })
    const jobId = await h.submit(noopJob({}, { Env: { SECRET: 'for alice only' } }))
    await h.waitForState(jobId, 'Running')

    const impostor = await h.addNode('n-a', { labels: { owner: 'mallory' } })
    expect(impostor.handshake).toMatchObject({ Accepted: false, Membership: 'REJECTED' })
    expect(impostor.handshake?.Reason).toContain('node ID n-a belongs to another key')
    expect(impostor.handshake?.Reason).toContain('fresh data dir')
    expect(impostor.receivedOf('AskForBid')).toHaveLength(0)

    // The original node was not replaced: still connected on its connection, its labels kept,
    // its execution still running on it, and it keeps getting work.
    const [state] = await h.requester.listNodes()
    expect(state.ConnectionState.Status).toBe('CONNECTED')
    expect(state.Info.Labels).toEqual({ owner: 'alice' })
    expect(state.Identity).toMatchObject({ PublicKey: original.key!.publicKey, RefusedConnections: 1 })
    expect(state.Identity?.LastRefusal?.Reason).toContain('belongs to another key')
    expect(state.Identity?.LastRefusal?.RemoteAddress).toBe('n-a')
    expect(original.receivedOf('CancelExecution')).toHaveLength(0)
    const [execution] = await h.executions(jobId)
    expect(execution.ComputeState.StateType).toBe(ExecutionState.Running)
    const second = await h.submit(noopJob())
    await until(() => original.receivedOf('AskForBid').some((m) => m.Execution.JobID === second), 'the next job offered to the original node')
  })

  it('keeps the binding across a requester restart: the old key is accepted, another refused', async () => {
    h = await new RequesterHarness().start()
    const first = await h.addNode('n-a')
    await first.close()
    await settle()
    await h.requester.stop()

    const restarted = h.newRequester()
    await restarted.start()
    const impostor = await h.addNode('n-a')
    expect(impostor.handshake?.Accepted).toBe(false)
    expect(impostor.handshake?.Reason).toContain('belongs to another key')
    const back = await h.addNode('n-a', { key: first.key })
    expect(back.handshake).toMatchObject({ Accepted: true, Membership: 'APPROVED' })
    const [state] = await restarted.listNodes()
    expect(state.Identity).toMatchObject({ PublicKey: first.key!.publicKey, RefusedConnections: 1 })
    await restarted.stop()
  })

  it('with a join token and manual approval, a copied ID of an approved node does not connect as APPROVED', async () => {
    h = await new RequesterHarness({ joinToken: 't0ken', manualApproval: true }).start()
    const original = await h.addNode('n-a', { joinToken: 't0ken' })
    expect(original.handshake?.Membership).toBe('PENDING')
    await h.requester.nodeAction('n-a', 'approve')
    await original.close()
    await settle()

    const impostor = await h.addNode('n-a', { joinToken: 't0ken', labels: { owner: 'mallory' } })
    expect(impostor.handshake).toMatchObject({ Accepted: false, Membership: 'REJECTED' })
    // It waits for the approved node to come back (without a QueueTimeout it would fail at once).
    const jobId = await h.submit(noopJob({}, { Timeouts: { QueueTimeout: 600 } }))
    await h.waitForState(jobId, 'Queued')
    expect(impostor.receivedOf('AskForBid')).toHaveLength(0)
    const [state] = await h.requester.listNodes()
    expect(state.Info.Labels).toEqual({})

    const back = await h.addNode('n-a', { joinToken: 't0ken', key: original.key })
    expect(back.handshake).toMatchObject({ Accepted: true, Membership: 'APPROVED' })
    await h.waitForState(jobId, 'Completed')
  })

  it('refuses a node that cannot sign for the key it presents', async () => {
    h = await new RequesterHarness().start()
    const original = await h.addNode('n-a')
    const forger = await h.addNode('n-a', { key: original.key, signWith: await generateNodeKey() })
    expect(forger.handshake).toMatchObject({ Accepted: false })
    expect(forger.handshake?.Reason).toContain('signature does not verify')
    const fresh = await h.addNode('n-b', { signWith: await generateNodeKey() })
    expect(fresh.handshake?.Accepted).toBe(false)
    expect((await h.requester.listNodes()).map((n) => n.Info.NodeID)).toEqual(['n-a'])
  })

  it('frees the ID when the operator deletes the node: a new key may then join with it', async () => {
    h = await new RequesterHarness().start()
    const old = await h.addNode('n-a')
    await old.close()
    await settle()
    await h.requester.nodeAction('n-a', 'delete')
    const replacement = await h.addNode('n-a')
    expect(replacement.handshake?.Accepted).toBe(true)
    const [state] = await h.requester.listNodes()
    expect(state.Identity?.PublicKey).toBe(replacement.key!.publicKey)
  })
})

describe('a node that is not approved gets no work and cannot report any', () => {
  let h: RequesterHarness
  afterEach(async () => h?.stop())

  it('refuses bids, results and log lines from a PENDING node', async () => {
    h = await new RequesterHarness({ manualApproval: true }).start()
    const approved = await h.addNode('n-ok', { run: 'hang' })
    await h.requester.nodeAction('n-ok', 'approve')
    const jobId = await h.submit(noopJob())
    await h.waitForState(jobId, 'Running')
    const [execution] = await h.executions(jobId)

    const pending = await h.addNode('n-pending')
    expect(pending.handshake?.Membership).toBe('PENDING')
    const runOutput = { Stdout: 'forged', StdoutTruncated: false, stderr: '', StderrTruncated: false, ExitCode: 0, ErrorMsg: '' }
    for (const message of [
      { Type: 'BidResult', ExecutionID: execution.ID, Accepted: true, Reason: '' },
      { Type: 'RunResult', ExecutionID: execution.ID, RunOutput: runOutput, PublishedResult: null },
      { Type: 'ComputeError', ExecutionID: execution.ID, ErrorCode: 'ExecutionError', Message: 'forged' },
      { Type: 'LogLine', RequestID: 'r-1', ExecutionID: execution.ID, Stream: 1, Line: 'forged' },
    ] as const) {
      await pending.send(message)
      const error = await pending.next((m) => m.Type === 'Error' && m.InReplyTo === message.Type)
      expect(error).toMatchObject({ Code: 'ProtocolError', Message: `node n-pending is PENDING, not approved: it gets no work and may not send ${message.Type}` })
    }
    expect(pending.receivedOf('ResultAck')).toHaveLength(0)
    expect(pending.receivedOf('AskForBid')).toHaveLength(0)
    expect((await h.store.getExecution(execution.ID)).ComputeState.StateType).toBe(ExecutionState.Running)
    expect(approved.executionsIn('running')).toHaveLength(1)
  })
})

describe('outcomes are acknowledged and applied after a requester restart', () => {
  let h: RequesterHarness
  afterEach(async () => h?.stop())

  it('acknowledges each RunResult and ComputeError once stored', async () => {
    h = await new RequesterHarness().start()
    const node = await h.addNode('n-a', { run: (e) => (e.Job?.Name === 'bad' ? 'fail' : 'complete') })
    const good = await h.submit(noopJob({ Name: 'good' }))
    await h.waitForState(good, 'Completed')
    const [ok] = await h.executions(good)
    await until(() => node.receivedOf('ResultAck').some((m) => m.ExecutionID === ok.ID), 'the RunResult acknowledged')
    // Also a report the requester cannot apply (an unknown execution): acknowledged, so the node stops resending it.
    await node.send({ Type: 'ComputeError', ExecutionID: 'e-unknown', ErrorCode: 'NotFound', Message: 'no such bid' })
    await until(() => node.receivedOf('ResultAck').some((m) => m.ExecutionID === 'e-unknown'), 'the unknown report acknowledged')
  })

  it('applies a result the node finished while the requester was down instead of failing it as lost', async () => {
    h = await new RequesterHarness().start()
    const node = await h.addNode('n-a', { run: 'hang' })
    const jobId = await h.submit(noopJob())
    await h.waitForState(jobId, 'Running')
    const [execution] = await h.executions(jobId)
    // The requester dies (its state stays in the store); the node finishes meanwhile.
    await h.requester.stop()
    await node.close()

    const restarted = h.newRequester()
    await restarted.start()
    const back = await h.addNode('n-a', { key: node.key, runningExecutions: [execution.ID] })
    expect(back.handshake?.Accepted).toBe(true)
    await back.complete(execution.ID, { Stdout: 'done while you were away\n' })
    await h.waitForState(jobId, 'Completed')
    const executions = await h.executions(jobId)
    expect(executions).toHaveLength(1)
    expect(executions[0]).toMatchObject({ ID: execution.ID, ComputeState: { StateType: ExecutionState.Completed } })
    expect(executions[0].RunOutput?.Stdout).toBe('done while you were away\n')
    await until(() => back.receivedOf('ResultAck').some((m) => m.ExecutionID === execution.ID), 'the result acknowledged')
    expect(await h.history(jobId)).not.toContainEqual(expect.stringContaining('reconnected without it'))
    await restarted.stop()
  })
})

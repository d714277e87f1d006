import { afterEach, describe, expect, it } from 'vitest'
import { RequesterHarness, noopJob, until } from '../helpers/requester-harness.ts'

describe('node selection and membership', () => {
  let h: RequesterHarness
  afterEach(async () => h?.stop())

  it('places work only on nodes whose labels meet the constraints', async () => {
    h = await new RequesterHarness().start()
    await h.addNode('n-eu', { labels: { region: 'eu', cores: '8' } })
    await h.addNode('n-us', { labels: { region: 'us', cores: '16' } })
    await h.addNode('n-eu-small', { labels: { region: 'eu', cores: '2' } })
    const jobId = await h.submit(
      noopJob({
        Count: 2,
        Constraints: [
          { Key: 'region', Operator: 'in', Values: ['eu'] },
          { Key: 'cores', Operator: 'gt', Values: ['4'] },
        ],
      }, { Timeouts: { QueueTimeout: 600 } }),
    )
    await until(async () => (await h.history(jobId)).some((m) => m.startsWith('queued:')), 'a queued explanation')
    const queued = (await h.history(jobId)).find((m) => m.startsWith('queued:'))!
    expect(queued).toContain("1 doesn't match constraint region in (eu)")
    expect(queued).toContain("1 doesn't match constraint cores gt 4")
    const executions = await h.executions(jobId)
    expect(executions.map((e) => e.NodeID)).toEqual(['n-eu'])
  })

  it('gives a PENDING node no work until it is approved', async () => {
    h = await new RequesterHarness({ manualApproval: true }).start()
    const node = await h.addNode('n-a')
    expect(node.handshake).toMatchObject({ Accepted: true, Membership: 'PENDING' })
    const jobId = await h.submit(noopJob({}, { Timeouts: { QueueTimeout: 600 } }))
    const queued = await h.waitForState(jobId, 'Queued')
    expect(queued.State.Message).toContain('1 awaits approval')
    expect(node.receivedOf('AskForBid')).toHaveLength(0)

    expect(await h.requester.nodeAction('n-a', 'approve')).toEqual({ Success: true })
    await h.waitForState(jobId, 'Completed')
    expect((await h.requester.listNodes())[0].Membership).toBe('APPROVED')
    await expect(h.requester.nodeAction('n-a', 'approve')).rejects.toMatchObject({ code: 'ConflictNodeState', status: 409 })
    await expect(h.requester.nodeAction('n-zzz', 'approve')).rejects.toMatchObject({ code: 'NotFound', message: 'node not found: n-zzz' })
  })

  it('refuses a node with a wrong or missing join token, accepts the right one', async () => {
    h = await new RequesterHarness({ joinToken: 's3cret' }).start()
    const wrong = await h.addNode('n-wrong', { joinToken: 'guess' })
    expect(wrong.handshake).toMatchObject({ Accepted: false, Membership: 'REJECTED' })
    expect(wrong.handshake?.Reason).toContain('wrong join token')
    const missing = await h.addNode('n-missing')
    expect(missing.handshake?.Accepted).toBe(false)
    expect(missing.handshake?.Reason).toContain('needs a join token')
    const right = await h.addNode('n-right', { joinToken: 's3cret' })
    expect(right.handshake).toMatchObject({ Accepted: true, Membership: 'APPROVED' })
    const nodes = await h.requester.listNodes()
    expect(nodes.map((n) => n.Info.NodeID)).toEqual(['n-right'])
  })

  it('rejecting a node stops its work and refuses it later', async () => {
    h = await new RequesterHarness().start()
    const first = await h.addNode('n-a', { run: 'hang' })
    await h.addNode('n-b', { capacity: { CPU: 2 } })
    const jobId = await h.submit(noopJob())
    await h.waitForState(jobId, 'Running')
    expect(await h.requester.nodeAction('n-a', 'reject', 'misbehaving')).toEqual({ Success: true })
    await h.waitForState(jobId, 'Completed')
    // The same node (its own key) comes back: refused for being rejected.
    const again = await h.addNode('n-a', { key: first.key })
    expect(again.handshake?.Accepted).toBe(false)
    expect(again.handshake?.Reason).toContain('rejected by the operator')
  })
})

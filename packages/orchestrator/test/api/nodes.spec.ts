import { describe, expect, it } from 'vitest'
import { createHarness } from './helpers/api-harness.ts'
import { computeNode } from './helpers/fixtures.ts'

const NODES = '/api/v1/orchestrator/nodes'

async function withNodes() {
  const h = createHarness()
  await h.service.store.putNode(computeNode('n-alpha', { labels: { region: 'eu', gpu: 'yes' }, cpu: 1 }))
  await h.service.store.putNode(computeNode('n-beta', { labels: { region: 'us' }, cpu: 8, Membership: 'PENDING' }))
  await h.service.store.putNode(computeNode('n-gamma', { labels: { region: 'eu' }, cpu: 4, ConnectionState: { Status: 'DISCONNECTED' } }))
  return h
}

const ids = (body: any) => body.Nodes.map((n: any) => n.Info.NodeID)

describe('GET /orchestrator/nodes', () => {
  it('lists nodes under `Nodes` (Bacalhau field name), ordered by ID', async () => {
    const h = await withNodes()
    const { status, body } = await h.json('GET', NODES)
    expect(status).toBe(200)
    expect(ids(body)).toEqual(['n-alpha', 'n-beta', 'n-gamma'])
    expect(body.NextToken).toBe('')
  })

  it("writes Bacalhau's node JSON: QueueCapacity, the deprecated Connection, SupportedProtocols, BacalhauVersion", async () => {
    const h = await withNodes()
    for (const node of [(await h.json('GET', NODES)).body.Nodes[2], (await h.json('GET', `${NODES}/n-gamma`)).body.Node]) {
      expect(node.Connection).toBe('DISCONNECTED')
      expect(node.ConnectionState.Status).toBe('DISCONNECTED')
      expect(node.Info.ComputeNodeInfo.QueueCapacity).toEqual({ CPU: 0, Memory: 0, Disk: 0, GPU: 0 })
      expect(node.Info.ComputeNodeInfo).not.toHaveProperty('QueueUsedCapacity')
      expect(node.Info.SupportedProtocols).toEqual([])
      expect(node.Info.BacalhauVersion).toMatchObject({ GitVersion: '' })
    }
  })

  it('filters by approval, status and labels, and orders by capacity', async () => {
    const h = await withNodes()
    expect(ids((await h.json('GET', `${NODES}?filter-approval=pending`)).body)).toEqual(['n-beta'])
    expect(ids((await h.json('GET', `${NODES}?filter_status=DISCONNECTED`)).body)).toEqual(['n-gamma'])
    expect(ids((await h.json('GET', `${NODES}?labels=region%3Deu`)).body)).toEqual(['n-alpha', 'n-gamma'])
    expect(ids((await h.json('GET', `${NODES}?labels=region%20in%20(eu,us),!gpu`)).body)).toEqual(['n-beta', 'n-gamma'])
    expect(ids((await h.json('GET', `${NODES}?order_by=available_cpu`)).body)).toEqual(['n-beta', 'n-gamma', 'n-alpha'])
    expect(ids((await h.json('GET', `${NODES}?order_by=available_cpu&reverse=true`)).body)).toEqual(['n-alpha', 'n-gamma', 'n-beta'])
  })

  it('bounds label selectors as the job list does: 400 naming the limit past 100 requirements', async () => {
    const h = await withNodes()
    const requirements = Array.from({ length: 101 }, (_, i) => `k${i}!=x`).join(',')
    const { status, body } = await h.json('GET', `${NODES}?labels=${encodeURIComponent(requirements)}`)
    expect(status).toBe(400)
    expect(body).toMatchObject({ Code: 'BadRequest', Message: 'too many label selector requirements: more than 100 in one query' })
  })

  it('pages with limit and next_token', async () => {
    const h = await withNodes()
    const first = await h.json('GET', `${NODES}?limit=2`)
    expect(ids(first.body)).toEqual(['n-alpha', 'n-beta'])
    const second = await h.json('GET', `${NODES}?limit=2&next_token=${first.body.NextToken}`)
    expect(ids(second.body)).toEqual(['n-gamma'])
    expect(second.body.NextToken).toBe('')
  })

  it('filters by integer label comparisons key>N and key<N; 400 for a comparison with a non-integer', async () => {
    const h = await withNodes()
    await h.service.store.putNode(computeNode('n-big', { labels: { cores: '32' } }))
    await h.service.store.putNode(computeNode('n-small', { labels: { cores: '4' } }))
    expect(ids((await h.json('GET', `${NODES}?labels=${encodeURIComponent('cores>8')}`)).body)).toEqual(['n-big'])
    expect(ids((await h.json('GET', `${NODES}?labels=${encodeURIComponent('cores<8')}`)).body)).toEqual(['n-small'])
    const bad = await h.json('GET', `${NODES}?labels=${encodeURIComponent('cores>lots')}`)
    expect(bad).toMatchObject({ status: 400, body: { Code: 'BadRequest' } })
  })

  it('continues from next_token alone with the ordering and page size of the first request', async () => {
    const h = await withNodes()
    await h.service.store.putNode(computeNode('n-delta', { cpu: 2 }))
    const first = await h.json('GET', `${NODES}?limit=2&order_by=available_cpu&reverse=true`)
    expect(ids(first.body)).toEqual(['n-alpha', 'n-delta'])
    const alone = await h.json('GET', `${NODES}?next_token=${first.body.NextToken}`)
    expect(ids(alone.body)).toEqual(['n-gamma', 'n-beta'])
    expect(alone.body.NextToken).toBe('')
  })

  it('answers 400 for bad filters, orderings and tokens', async () => {
    const h = await withNodes()
    for (const query of ['filter-approval=MAYBE', 'filter-status=ASLEEP', 'order_by=age', 'next_token=xyz', 'next_token=eyJvZmZzZXQiOi0xfQ', 'labels=a%20in%20(b']) {
      const { status, body } = await h.json('GET', `${NODES}?${query}`)
      expect(status, query).toBe(400)
      expect(body.Code, query).toBe('BadRequest')
    }
  })
})

describe('GET /orchestrator/nodes/:id', () => {
  it('returns a node by ID or unique prefix', async () => {
    const h = await withNodes()
    expect((await h.json('GET', `${NODES}/n-beta`)).body.Node.Info.NodeID).toBe('n-beta')
    expect((await h.json('GET', `${NODES}/n-g`)).body.Node.Info.NodeID).toBe('n-gamma')
  })

  it('answers 404 for an unknown node and 409 MultipleNodesFound for an ambiguous prefix, as Bacalhau', async () => {
    const h = await withNodes()
    const unknown = await h.json('GET', `${NODES}/n-zeta`)
    expect(unknown.status).toBe(404)
    expect(unknown.body.Code).toBe('NotFound')
    const ambiguous = await h.json('GET', `${NODES}/n-`)
    expect(ambiguous.status).toBe(409)
    expect(ambiguous.body).toMatchObject({ Status: 409, Code: 'MultipleNodesFound', Component: 'NodesManager' })
    expect(ambiguous.body.Message).toMatch(/n-alpha, n-beta, n-gamma/)
    const put = await h.json('PUT', `${NODES}/n-`, { Action: 'approve' })
    expect(put).toMatchObject({ status: 409, body: { Code: 'MultipleNodesFound' } })
  })
})

describe('PUT /orchestrator/nodes/:id', () => {
  it('approves, rejects and deletes nodes', async () => {
    const h = await withNodes()
    const approve = await h.json('PUT', `${NODES}/n-beta`, { Action: 'approve', Message: 'ok' })
    expect(approve).toMatchObject({ status: 200, body: { Success: true } })
    expect(approve.body).not.toHaveProperty('Error')
    expect(h.service.calls.at(-1)).toEqual({ method: 'nodeAction', args: ['n-beta', 'approve', 'ok'] })
    expect((await h.service.store.getNode('n-beta')).Membership).toBe('APPROVED')
    const again = await h.json('PUT', `${NODES}/n-beta`, { Action: 'approve' })
    expect(again.status).toBe(409)
    expect(again.body).toMatchObject({ Code: 'ConflictNodeState', Message: 'node n-beta already approved' })
    await h.json('PUT', `${NODES}/n-gamma`, { Action: 'delete' })
    expect(ids((await h.json('GET', NODES)).body)).toEqual(['n-alpha', 'n-beta'])
  })

  it('answers 400 for an unknown action or bad JSON and 404 for an unknown node', async () => {
    const h = await withNodes()
    const bad = await h.json('PUT', `${NODES}/n-beta`, { Action: 'promote' })
    expect(bad.status).toBe(400)
    expect(bad.body.Message).toBe('Action: must be one of approve, reject, delete')
    expect((await h.json('PUT', `${NODES}/n-beta`, 'nope')).status).toBe(400)
    const empty = await h.json('PUT', `${NODES}/n-beta`, '')
    expect(empty).toMatchObject({ status: 400, body: { Message: 'request body is empty' } })
    expect(empty.body.Hint).toMatch(/"Action": "approve"/)
    expect(empty.body.Hint).not.toMatch(/Job/)
    expect((await h.json('PUT', `${NODES}/n-zeta`, { Action: 'approve' })).status).toBe(404)
    expect(h.service.calls).toEqual([])
  })
})

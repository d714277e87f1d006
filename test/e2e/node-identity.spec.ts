// Node identity across real processes: a node ID copied into another node's data dir does not
// make that node the first one; nodes without the join token, or not approved, get no work.
import { copyFile, mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { ExecutionState, type NodeState } from '@shoal/models'
import {
  inlineWasmJob,
  killAllShoals,
  removeTempDirs,
  runShoal,
  shoalJson,
  startCompute,
  startRequester,
  tempDir,
  waitForJobState,
  waitUntil,
  wasmFixture,
} from '../support/index.ts'

afterEach(async () => {
  await killAllShoals()
  await removeTempDirs()
})

const TOKEN = 'e2e-join-token'

describe('a compute node that copied another node\'s ID', () => {
  it('is refused and shown in node describe, while the original keeps its connection, labels and work; tokenless and pending nodes get nothing', async () => {
    const requester = await startRequester({ args: ['--join-token', TOKEN, '--manual-approval'], timeoutMs: 60_000 })
    const original = await startCompute(requester.wsMultiaddr, { labels: { owner: 'alice' }, args: ['--join-token', TOKEN], timeoutMs: 60_000 })
    const nodeState = async (id: string) => (await requester.client.listNodes()).Nodes.find((n) => n.Info.NodeID === id)
    await waitUntil(async () => (await nodeState(original.nodeId))?.ConnectionState.Status === 'CONNECTED', { what: 'the original node to connect (PENDING)' })
    const approved = await runShoal(['node', 'approve', original.nodeId], { env: requester.env })
    expect(approved.code, approved.stderr).toBe(0)
    const before = (await nodeState(original.nodeId))!
    expect(before.Membership).toBe('APPROVED')

    // Another node-runner whose data dir holds the original's node-id (but its own key).
    const copyDir = await tempDir('shoal-compute-copy-')
    await mkdir(join(copyDir, 'compute'))
    await copyFile(join(original.dataDir, 'compute', 'node-id'), join(copyDir, 'compute', 'node-id'))
    const impostor = await startCompute(requester.wsMultiaddr, { dataDir: copyDir, labels: { owner: 'mallory' }, args: ['--join-token', TOKEN], timeoutMs: 60_000 })
    expect(impostor.nodeId).toBe(original.nodeId)
    await impostor.process.waitForLine(/requester refused this node: node ID \S+ belongs to another key/, 60_000, 'stderr')
    // A node without the token, and one that is only pending.
    const tokenless = await startCompute(requester.wsMultiaddr, { labels: { owner: 'nobody' }, timeoutMs: 60_000 })
    await tokenless.process.waitForLine(/requester refused this node: this requester needs a join token/, 60_000, 'stderr')
    const pending = await startCompute(requester.wsMultiaddr, { labels: { owner: 'pending' }, args: ['--join-token', TOKEN], timeoutMs: 60_000 })
    await waitUntil(async () => (await nodeState(pending.nodeId))?.ConnectionState.Status === 'CONNECTED', { what: 'the pending node to connect' })

    // The refusal is counted and explained on the node; the original was never replaced.
    const described = await shoalJson<NodeState>(['node', 'describe', original.nodeId, '--output', 'json'], { env: requester.env })
    expect(described.Identity?.RefusedConnections).toBeGreaterThanOrEqual(1)
    expect(described.Identity?.LastRefusal?.Reason).toContain('belongs to another key')
    expect(described.Info.Labels).toMatchObject({ owner: 'alice' })
    expect(described.Membership).toBe('APPROVED')
    expect(described.ConnectionState).toMatchObject({ Status: 'CONNECTED', ConnectedSince: before.ConnectionState.ConnectedSince })
    expect((await nodeState(tokenless.nodeId))).toBeUndefined()
    expect((await nodeState(pending.nodeId))?.Membership).toBe('PENDING')

    // Work with a secret in its Env goes to the original only.
    const jobs = await Promise.all(
      Array.from({ length: 4 }, async (_, i) => (await requester.client.putJob(inlineWasmJob(wasmFixture('compute'), { name: `secret-${i}`, args: ['1000'], env: { SECRET: 'for alice' } }))).JobID),
    )
    for (const jobId of jobs) {
      expect((await waitForJobState(requester.client, jobId, { timeoutMs: 30_000 })).State.StateType).toBe('Completed')
      const { Items } = await requester.client.jobExecutions(jobId)
      expect(Items.map((e) => [e.NodeID, e.ComputeState.StateType])).toEqual([[original.nodeId, ExecutionState.Completed]])
    }
    const ranAnything = /execution \S+ completed|bid accepted for/
    expect(impostor.process.stderr).not.toMatch(ranAnything)
    expect(tokenless.process.stderr).not.toMatch(ranAnything)
    expect(pending.process.stderr).not.toMatch(ranAnything)
    expect(original.process.stderr).toMatch(ranAnything)
    expect((await nodeState(original.nodeId))?.ConnectionState.ConnectedSince).toBe(before.ConnectionState.ConnectedSince)
  }, 240_000)
})

// Compute nodes joining over the plain WebSocket transport (GET /api/v1/shoal/compute on the API
// port), across real processes: a requester that offers only WebSocket, as the edge does, and
// node-runner compute nodes given its API URL or its ws:// URL. The handshake rules are the
// same as over libp2p: the join token, manual approval, and a node ID bound to its key.
import { copyFile, mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { ExecutionState, type NodeState } from '@shoal/models'
import type { RequesterPeersResponse } from '@shoal/protocol'
import {
  inlineWasmJob,
  killAllShoals,
  removeTempDirs,
  runShoal,
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

const TOKEN = 'ws-join-token'

describe('compute nodes over WebSocket', () => {
  it('a requester offering only WebSocket lists it, admits a node by its API URL that runs a WASM job, and refuses a copied ID, a wrong token and a missing one', async () => {
    const requester = await startRequester({ args: ['--compute-transports', 'websocket', '--join-token', TOKEN, '--manual-approval'], timeoutMs: 60_000 })
    expect(requester.multiaddrs).toEqual([])
    expect(requester.computeSocketUrl).toBe(`${requester.apiUrl.replace('http:', 'ws:')}/api/v1/shoal/compute`)
    const peers = (await (await fetch(`${requester.apiUrl}/api/v1/shoal/peers`)).json()) as RequesterPeersResponse
    expect(peers).toEqual({ PeerID: '', Multiaddrs: [], Transports: [{ Type: 'websocket', URL: '/api/v1/shoal/compute' }] })

    // Given the API URL, the node asks for the transports and takes the WebSocket.
    const original = await startCompute(requester.apiUrl, { labels: { owner: 'alice' }, args: ['--join-token', TOKEN], timeoutMs: 60_000 })
    const nodeState = async (id: string): Promise<NodeState | undefined> => (await requester.client.listNodes()).Nodes.find((n) => n.Info.NodeID === id)
    await waitUntil(async () => (await nodeState(original.nodeId))?.ConnectionState.Status === 'CONNECTED', { what: 'the node to connect over WebSocket (PENDING)' })
    expect((await nodeState(original.nodeId))?.Membership).toBe('PENDING')
    await original.process.waitForLine(/connected to requester \S+ at http:\/\/127\.0\.0\.1/, 30_000, 'stderr')
    await requester.process.waitForLine(new RegExp(`compute node connected.*nodeId=${original.nodeId}.*transport=websocket\\b`), 30_000, 'stderr')
    const approved = await runShoal(['node', 'approve', original.nodeId], { env: requester.env })
    expect(approved.code, approved.stderr).toBe(0)

    const job = await requester.client.putJob(inlineWasmJob(wasmFixture('compute'), { name: 'over-websocket', args: ['1000'] }))
    expect((await waitForJobState(requester.client, job.JobID, { timeoutMs: 60_000 })).State.StateType).toBe('Completed')
    const { Items } = await requester.client.jobExecutions(job.JobID)
    expect(Items.map((e) => [e.NodeID, e.ComputeState.StateType])).toEqual([[original.nodeId, ExecutionState.Completed]])
    const before = (await nodeState(original.nodeId))!

    // The original's node-id copied into another data dir, with that node's own key, dialing the ws:// URL directly.
    const copyDir = await tempDir('shoal-compute-ws-copy-')
    await mkdir(join(copyDir, 'compute'))
    await copyFile(join(original.dataDir, 'compute', 'node-id'), join(copyDir, 'compute', 'node-id'))
    const impostor = await startCompute(requester.computeSocketUrl!, { dataDir: copyDir, labels: { owner: 'mallory' }, args: ['--join-token', TOKEN], timeoutMs: 60_000 })
    expect(impostor.nodeId).toBe(original.nodeId)
    await impostor.process.waitForLine(/requester refused this node: node ID \S+ belongs to another key/, 60_000, 'stderr')
    const wrongToken = await startCompute(requester.apiUrl, { args: ['--join-token', 'not-the-token'], timeoutMs: 60_000 })
    await wrongToken.process.waitForLine(/requester refused this node: wrong join token/, 60_000, 'stderr')
    const tokenless = await startCompute(requester.computeSocketUrl!, { timeoutMs: 60_000 })
    await tokenless.process.waitForLine(/requester refused this node: this requester needs a join token/, 60_000, 'stderr')

    // The original kept its connection, labels and membership; the others never joined.
    const after = (await nodeState(original.nodeId))!
    expect(after.Info.Labels).toMatchObject({ owner: 'alice' })
    expect(after.Membership).toBe('APPROVED')
    expect(after.ConnectionState.ConnectedSince).toBe(before.ConnectionState.ConnectedSince)
    expect(after.Identity?.LastRefusal?.Reason).toContain('belongs to another key')
    expect(await nodeState(wrongToken.nodeId)).toBeUndefined()
    expect(await nodeState(tokenless.nodeId)).toBeUndefined()
  }, 240_000)

  it('a node given the API URL of a requester offering both transports joins over libp2p', async () => {
    const requester = await startRequester({ timeoutMs: 60_000 })
    const peers = (await (await fetch(`${requester.apiUrl}/api/v1/shoal/peers`)).json()) as RequesterPeersResponse
    expect(peers.Transports).toEqual([
      { Type: 'libp2p', Multiaddrs: requester.multiaddrs },
      { Type: 'websocket', URL: '/api/v1/shoal/compute' },
    ])
    expect(peers.Multiaddrs).toEqual(requester.multiaddrs)
    const compute = await startCompute(requester.apiUrl, { timeoutMs: 60_000 })
    await compute.process.waitForLine(/connected to requester/, 60_000, 'stderr')
    await requester.process.waitForLine(new RegExp(`compute node connected.*nodeId=${compute.nodeId}.*transport=websockets\\b`), 30_000, 'stderr')
  }, 120_000)
})

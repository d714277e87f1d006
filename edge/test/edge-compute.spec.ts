/**
 * Compute nodes join the edge requester: the Worker and its requester Durable Object run in
 * workerd (miniflare, on 127.0.0.1, offline) and node-runner compute nodes (real `shoal serve
 * --compute` processes) connect over the compute WebSocket the object accepts with the
 * hibernation API. The handshake rules hold as on Node: join token, a node ID bound to its key.
 */
import { copyFile, mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Miniflare } from 'miniflare'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createClient, type ShoalClient } from '@shoal/client'
import { ExecutionState } from '@shoal/models'
import type { RequesterPeersResponse } from '@shoal/protocol'
import { inlineWasmJob, killAllShoals, removeTempDirs, startCompute, tempDir, waitForJobState, wasmFixture } from '../../test/support/index.ts'
import { buildTestWorker } from './workerd/build-test-worker.ts'

const TOKEN = 'edge-join-token'
let mf: Miniflare
let apiUrl: string
let client: ShoalClient

beforeAll(async () => {
  const script = await buildTestWorker(fileURLToPath(new URL('../src/worker.ts', import.meta.url)))
  mf = new Miniflare({
    modules: true,
    script,
    compatibilityDate: '2026-07-30',
    host: '127.0.0.1',
    port: 0,
    durableObjects: { REQUESTER: { className: 'RequesterObject', useSQLite: true } },
    bindings: { SHOAL_NETWORK: 'edge-ws-test', SHOAL_JOIN_TOKEN: TOKEN, SHOAL_LOG_LEVEL: 'info' },
  })
  apiUrl = (await mf.ready).toString().replace(/\/$/, '')
  client = createClient({ baseUrl: apiUrl })
})

afterEach(async () => {
  await killAllShoals()
})

afterAll(async () => {
  await mf?.dispose()
  await removeTempDirs()
})

describe('the edge requester in workerd', () => {
  it('offers its compute WebSocket at /api/v1/shoal/peers and refuses a plain GET of it', async () => {
    const peers = (await (await fetch(`${apiUrl}/api/v1/shoal/peers`)).json()) as RequesterPeersResponse
    expect(peers).toEqual({ PeerID: '', Multiaddrs: [], Transports: [{ Type: 'websocket', URL: '/api/v1/shoal/compute' }] })
    const plain = await fetch(`${apiUrl}/api/v1/shoal/compute`)
    expect(plain.status).toBe(426)
  })

  it('a node-runner compute node given the edge URL joins over WebSocket and runs a WASM job; a copied node ID and a wrong token are refused', async () => {
    const node = await startCompute(apiUrl, { args: ['--join-token', TOKEN], timeoutMs: 60_000 })
    await node.process.waitForLine(/connected to requester n-edge-edge-ws-test at http:\/\/127\.0\.0\.1/, 60_000, 'stderr')
    const job = await client.putJob(inlineWasmJob(wasmFixture('hello'), { name: 'on-the-edge' }))
    const done = await waitForJobState(client, job.JobID, { timeoutMs: 60_000 })
    expect(done.State.StateType).toBe('Completed')
    const { Items } = await client.jobExecutions(job.JobID)
    expect(Items.map((e) => [e.NodeID, e.ComputeState.StateType, e.RunOutput?.Stdout])).toEqual([[node.nodeId, ExecutionState.Completed, 'hello from wasm\n']])

    const copyDir = await tempDir('shoal-edge-copy-')
    await mkdir(join(copyDir, 'compute'))
    await copyFile(join(node.dataDir, 'compute', 'node-id'), join(copyDir, 'compute', 'node-id'))
    const impostor = await startCompute(`${apiUrl.replace('http:', 'ws:')}/api/v1/shoal/compute`, { dataDir: copyDir, args: ['--join-token', TOKEN], timeoutMs: 60_000 })
    await impostor.process.waitForLine(/requester refused this node: node ID \S+ belongs to another key/, 60_000, 'stderr')
    const wrongToken = await startCompute(apiUrl, { args: ['--join-token', 'nope'], timeoutMs: 60_000 })
    await wrongToken.process.waitForLine(/requester refused this node: wrong join token/, 60_000, 'stderr')
    const nodes = (await client.listNodes()).Nodes
    expect(nodes.find((n) => n.Info.NodeID === node.nodeId)?.ConnectionState.Status).toBe('CONNECTED')
    expect(nodes.find((n) => n.Info.NodeID === wrongToken.nodeId)).toBeUndefined()
  }, 240_000)
})

// A real requester and a real compute node (node-runner's, over libp2p on loopback) whose docker
// engine cannot work (its dockerd socket does not exist) and whose ipfs publisher is disabled by
// configuration: the node advertises both as off with the reason, `shoal node describe` and
// `shoal agent node` show it, and a docker job fails saying why no node could run it.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse as parseYaml } from 'yaml'
import { createClient, type ShoalClient } from '@shoal/client'
import { silentLogger } from '@shoal/interface'
import type { NodeState } from '@shoal/models'
import { runCli } from '../src/cli/program.ts'
import { startComputeServer, type ComputeServer } from '../src/serve/compute-server.ts'
import { startRequesterServer, type RequesterServer } from '../src/serve/requester-server.ts'
import { preferredDialOrder } from '../src/serve/run-serve.ts'
import { memoryIo } from './cli/cli-harness.ts'

let root: string
let requester: RequesterServer
let compute: ComputeServer
let client: ShoalClient
let socket: string
const savedEnv = { ...process.env }

/** The compute node as the requester lists it, once it is connected (bounded wait). */
async function connectedNode(): Promise<NodeState> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const nodes = await client.listNodes()
    const node = nodes.Nodes.find((n) => n.Info.NodeID === compute.nodeId && n.ConnectionState.Status === 'CONNECTED')
    if (node) return node
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`compute node ${compute.nodeId} never connected`)
}

beforeAll(async () => {
  // No AWS credentials, and the SDK must not ask the instance metadata service (not loopback).
  Object.assign(process.env, { AWS_EC2_METADATA_DISABLED: 'true', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent', AWS_CONFIG_FILE: '/nonexistent' })
  for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_PROFILE', 'AWS_SESSION_TOKEN']) delete process.env[name]
  root = await mkdtemp(join(tmpdir(), 'shoal-compute-plugins-'))
  socket = join(root, 'no-dockerd.sock')
  requester = await startRequesterServer({ dataDir: join(root, 'requester'), host: '127.0.0.1', port: 0, logger: silentLogger })
  compute = await startComputeServer({
    dataDir: join(root, 'compute'),
    requesterAddresses: preferredDialOrder(requester.multiaddrs),
    host: '127.0.0.1',
    capacityCpu: '1',
    capacityMemory: '1Gb',
    diskBudget: '100Mb',
    workers: 1,
    dockerSocketPath: socket,
    disabledPublishers: ['ipfs'],
    logger: silentLogger,
  })
  requester.attachCompute(compute.node)
  client = createClient({ baseUrl: requester.url })
}, 60_000)

afterAll(async () => {
  await compute?.stop({ goodbye: true })
  await requester?.stop()
  process.env = savedEnv
  if (root) await rm(root, { recursive: true, force: true })
})

describe('a compute node says what it offers and why the rest is off', () => {
  it('advertises docker off with the dockerd error, ipfs publishing off by configuration, local off without paths', async () => {
    const node = await connectedNode()
    const info = node.Info.ComputeNodeInfo!
    expect(info.ExecutionEngines).toEqual(['noop', 'wasm'])
    expect(info.Publishers).toEqual(['local', 'noop'])
    expect(info.StorageSources).not.toContain('local')
    expect(info.StorageSources).toEqual(expect.arrayContaining(['inline', 'urlDownload', 'ipfs', 's3PreSigned']))
    const off = Object.fromEntries((info.PluginsOff ?? []).map((p) => [`${p.Kind} ${p.Type}`, p.Reason]))
    expect(off['engine docker']).toContain(`dockerd does not answer at ${socket}`)
    expect(off['engine docker']).toContain('ENOENT')
    expect(off['publisher ipfs']).toBe('disabled by configuration (compute.disabled-publishers)')
    expect(off['storage local']).toBe('no allowed paths configured (compute.allow-listed-local-paths)')
    expect(off['storage s3']).toMatch(/AWS credentials/)
    expect(compute.plugins.filter((p) => !p.on).map((p) => `${p.kind} ${p.type}`)).toEqual(Object.keys(off))
  })

  it('fails a docker job at once, saying the node has docker off and why', async () => {
    await connectedNode()
    const { JobID } = await client.putJob({
      Name: 'docker-nowhere',
      Type: 'batch',
      Tasks: [{ Name: 'main', Engine: { Type: 'docker', Params: { Image: 'busybox', Parameters: ['echo', 'hi'] } } }],
    })
    let job = (await client.getJob(JobID)).Job
    for (let attempt = 0; attempt < 200 && job.State.StateType !== 'Failed'; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 50))
      job = (await client.getJob(JobID)).Job
    }
    expect(job.State.StateType).toBe('Failed')
    expect(job.State.Message).toContain(`0 of 1 node can run it — 1 lacks engine docker (it offers noop, wasm; docker is off there: dockerd does not answer at ${socket}`)
  })

  it('shows it in `shoal node describe` and `shoal agent node`', async () => {
    await connectedNode()
    const describeIo = memoryIo({ realTime: true })
    expect(await runCli(['node', 'describe', compute.nodeId, '--api-url', requester.url], { io: describeIo })).toBe(0)
    const described = parseYaml(describeIo.stdout.text) as NodeState
    expect(described.Info.ComputeNodeInfo?.PluginsOff).toContainEqual({ Kind: 'engine', Type: 'docker', Reason: expect.stringContaining(`dockerd does not answer at ${socket}`) })

    const agentIo = memoryIo({ realTime: true })
    expect(await runCli(['agent', 'node', '--api-url', requester.url, '--output', 'json'], { io: agentIo })).toBe(0)
    const agent = JSON.parse(agentIo.stdout.text) as { NodeType: string; ComputeNodeInfo: { ExecutionEngines: string[]; PluginsOff: { Kind: string; Type: string; Reason: string }[] } }
    expect(agent.NodeType).toBe('Requester')
    expect(agent.ComputeNodeInfo.ExecutionEngines).toEqual(['noop', 'wasm'])
    expect(agent.ComputeNodeInfo.PluginsOff).toContainEqual({ Kind: 'publisher', Type: 'ipfs', Reason: 'disabled by configuration (compute.disabled-publishers)' })
  })
})

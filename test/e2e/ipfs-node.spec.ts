// IPFS on Node, end to end with real processes over loopback: an independent Helia node in this
// test process (plain helia + @helia/unixfs with Kubo's settings, not Shoal's code) adds a
// file; a Node compute node reads it as an upstream-shaped `ipfs` input; a job published to
// ipfs is kept by the requester, so `shoal job get` and the requester's gateway still have it
// after the compute node is gone; bad CIDs fail with the CID named, within a bounded wait.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { withBitswap } from '@helia/bitswap'
import { unixfs } from '@helia/unixfs'
import { withLibp2pLight } from '@helia/libp2p'
import { identify } from '@libp2p/identify'
import { webSockets } from '@libp2p/websockets'
import { MemoryBlockstore } from 'blockstore-core'
import { MemoryDatastore } from 'datastore-core'
import { createHeliaLight } from 'helia'
import { fixedSize } from 'ipfs-unixfs-importer/chunker'
import { balanced } from 'ipfs-unixfs-importer/layout'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  inlineWasmJob,
  killAllShoals,
  removeTempDirs,
  runShoal,
  startCompute,
  startRequester,
  tempDir,
  waitForComputeNodes,
  waitForJobState,
  wasmFixture,
  type ComputeProcess,
  type RequesterProcess,
} from '../support/index.ts'

/** What a default Kubo `ipfs add` gives "hello world\n" (CIDv0, 256 KiB chunks, dag-pb leaves). */
const HELLO_CID = 'QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o'
const KUBO_ADD = { cidVersion: 0, rawLeaves: false, chunker: fixedSize({ chunkSize: 262_144 }), layout: balanced({ maxChildrenPerNode: 174 }) } as const

type TestPeer = Awaited<ReturnType<typeof startTestPeer>>

/** A hermetic Helia node listening on loopback WebSockets, as a user's own IPFS node would be. */
async function startTestPeer() {
  const helia = withBitswap(
    withLibp2pLight(createHeliaLight({ blockstore: new MemoryBlockstore(), datastore: new MemoryDatastore() }), {
      addresses: { listen: ['/ip4/127.0.0.1/tcp/0/ws'] },
      transports: [webSockets()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      services: { identify: identify() },
    }),
  )
  await helia.start()
  const address = helia.libp2p.getMultiaddrs().find((m) => m.toString().includes('/ws'))!.toString()
  return { helia, fs: unixfs(helia), address }
}

let peer: TestPeer
let requester: RequesterProcess
let compute: ComputeProcess

/** The job `shoal job run` takes: cat.wasm over the files given, with extra input sources and a publisher. */
function catJob(args: string[], inputs: unknown[], publisher = 'local'): Record<string, unknown> {
  const job = inlineWasmJob(wasmFixture('cat'), { args, publisher })
  const task = (job.Tasks as Record<string, unknown>[])[0]
  task.InputSources = [...(task.InputSources as unknown[]), ...inputs]
  return job
}

beforeAll(async () => {
  peer = await startTestPeer()
  requester = await startRequester()
  compute = await startCompute(requester.wsMultiaddr, { args: ['--ipfs-peers', peer.address, '--ipfs-read-timeout', '3s'] })
  await waitForComputeNodes(requester.client, 1)
}, 60_000)

afterAll(async () => {
  await compute?.process.stop()
  await requester?.process.stop()
  await peer?.helia.stop()
  await killAllShoals()
  await removeTempDirs()
})

describe('IPFS on Node compute nodes and the requester', () => {
  it('the independent Helia node gives Kubo\'s CID for the file it adds', async () => {
    const cid = await peer.fs.addBytes(new TextEncoder().encode('hello world\n'), KUBO_ADD)
    expect(cid.toString()).toBe(HELLO_CID)
  })

  it('a job reads an upstream-shaped ipfs input another node added', async () => {
    const data = `ipfs input ${crypto.randomUUID()}\n`
    const cid = (await peer.fs.addBytes(new TextEncoder().encode(data), KUBO_ADD)).toString()
    const { JobID } = await requester.client.putJob(catJob(['/data/file.txt'], [{ Target: '/data/file.txt', Source: { Type: 'ipfs', Params: { CID: cid } } }]))
    const job = await waitForJobState(requester.client, JobID, { timeoutMs: 60_000 })
    const executions = await requester.client.jobExecutions(JobID)
    expect(job.State?.StateType, JSON.stringify(executions.Items.map((e) => e.ComputeState))).toBe('Completed')
    expect(executions.Items[0].RunOutput?.Stdout).toBe(data)
  }, 90_000)

  it('an ipfs-published result is kept by the requester: job get and the gateway work after the compute node stops', async () => {
    const data = `published ${crypto.randomUUID()}\n`
    const cid = (await peer.fs.addBytes(new TextEncoder().encode(data), KUBO_ADD)).toString()
    const { JobID } = await requester.client.putJob(catJob(['/data/file.txt'], [{ Target: '/data/file.txt', Source: { Type: 'ipfs', Params: { CID: cid } } }], 'ipfs'))
    const job = await waitForJobState(requester.client, JobID, { timeoutMs: 60_000 })
    expect(job.State?.StateType).toBe('Completed')
    const [execution] = (await requester.client.jobExecutions(JobID)).Items
    expect(execution.PublishedResult?.Type).toBe('ipfs')
    const resultCid = String(execution.PublishedResult?.Params?.CID)
    expect(resultCid).toMatch(/^Qm/)

    // The node that published it is gone: what follows can only come from the requester.
    await compute.process.stop()
    await peer.helia.stop()

    const out = join(await tempDir('shoal-ipfs-get-'), 'result')
    const get = await runShoal(['job', 'get', JobID, '--output-dir', out], { env: requester.env })
    expect(get.stderr + get.stdout).toContain(out)
    expect(get.code).toBe(0)
    expect(await readFile(join(out, 'stdout'), 'utf8')).toBe(data)
    expect(await readFile(join(out, 'exitCode'), 'utf8')).toBe('0')

    const file = await fetch(`${requester.apiUrl}/ipfs/${resultCid}/stdout`)
    expect(file.status).toBe(200)
    expect(await file.text()).toBe(data)
    const car = await fetch(`${requester.apiUrl}/ipfs/${resultCid}?format=car`)
    expect(car.status).toBe(200)
    expect(car.headers.get('content-type')).toContain('application/vnd.ipld.car')

    // A new compute node, for the remaining tests (this one has no --ipfs-peers: only the requester).
    compute = await startCompute(requester.wsMultiaddr, { args: ['--ipfs-read-timeout', '3s'] })
    await waitForComputeNodes(requester.client, 1, { nodeIds: [compute.nodeId] })
  }, 120_000)

  it('a malformed CID is refused, naming the field', async () => {
    const submit = requester.client.putJob(catJob(['/data/file.txt'], [{ Target: '/data/file.txt', Source: { Type: 'ipfs', Params: { CID: 'not-a-cid' } } }]))
    const outcome = await submit.then(
      async ({ JobID }) => {
        const job = await waitForJobState(requester.client, JobID, { timeoutMs: 30_000 })
        return `${job.State?.StateType}: ${job.State?.Message}`
      },
      (err: Error) => `refused: ${err.message}`,
    )
    expect(outcome).toMatch(/^(refused|Failed): /)
    expect(outcome).toContain('Params.CID')
    expect(outcome).toContain('not-a-cid')
  }, 60_000)

  it('a CID nobody provides fails the job within the read timeout, naming the CID', async () => {
    // A CID of bytes no node has.
    const missing = (await unixfs({ blockstore: new MemoryBlockstore() } as never).addBytes(new TextEncoder().encode(crypto.randomUUID()), KUBO_ADD)).toString()
    const { JobID } = await requester.client.putJob(catJob(['/data/file.txt'], [{ Target: '/data/file.txt', Source: { Type: 'ipfs', Params: { CID: missing } } }]))
    const job = await waitForJobState(requester.client, JobID, { timeoutMs: 60_000 })
    expect(job.State?.StateType).toBe('Failed')
    const executions = await requester.client.jobExecutions(JobID)
    const messages = executions.Items.map((e) => e.ComputeState.Message).join('\n')
    expect(messages).toContain(missing)
    expect(messages).toContain('was not found within 3 s')
  }, 90_000)
})

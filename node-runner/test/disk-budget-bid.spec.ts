// A compute node with the node-runner's disk space and `local` storage bids against its disk
// budget: an input bigger than the free budget is refused at bid time, with the reason. The
// requester is the compute package's scripted double over an in-memory network (the protocol
// itself is tested with real libp2p elsewhere); the storage and the space are the real ones.
import { mkdtemp, realpath, rm, truncate, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { connectedNode, makeExecution, makeJob } from '../../packages/compute/test/fake-requester.ts'
import { singleFileTree } from '@shoal/interface'
import { importTree, IpfsStorage } from '@shoal/ipfs'
import { seededChunks } from '../../packages/ipfs/test/seeded-bytes.ts'
import { connect, startTestHelia } from '../../packages/ipfs/test/test-helia.ts'
import { HostVolumeSpace } from '../src/storage/host-volume-space.ts'
import { LocalStorage, parseAllowedPaths } from '../src/storage/local-storage.ts'

let root: string
const closers: (() => Promise<void>)[] = []

beforeEach(async () => {
  root = await realpath(await mkdtemp(join(tmpdir(), 'shoal-bid-')))
})

afterEach(async () => {
  for (const close of closers.splice(0)) await close()
  await rm(root, { recursive: true, force: true })
})

describe('bidding against the disk budget', () => {
  it('refuses a job whose local input is larger than the free disk budget, naming the input, its size and the budget', async () => {
    const data = join(root, 'data')
    await writeFile(data, '')
    await truncate(data, 3_000_000)
    await writeFile(join(root, 'small.txt'), 'small')
    const space = await HostVolumeSpace.open({ directory: join(root, 'volumes'), totalBytes: 2_000_000 })
    const { requester, handshake, close } = await connectedNode({
      space,
      storages: [new LocalStorage({ allowedPaths: parseAllowedPaths([root]) })],
      capacity: { CPU: 2, Memory: 1_000_000_000, Disk: 2_000_000, GPU: 0 },
    })
    closers.push(close)
    expect(handshake.NodeInfo.ComputeNodeInfo?.MaxCapacity.Disk).toBe(2_000_000)

    const input = (path: string) => ({ Source: { Type: 'local', Params: { SourcePath: path } }, Alias: '', Target: '/inputs/data' })
    const big = await requester.askForBid(makeExecution(makeJob({ InputSources: [input(data)] })))
    expect(big.Accepted).toBe(false)
    expect(big.Reason).toBe("InputSources[0] (local for /inputs/data) is 3.0 MB (3000000 bytes), but only 2.0 MB (2000000 bytes) of this node's 2.0 MB disk budget are free")

    const small = await requester.askForBid(makeExecution(makeJob({ InputSources: [input(join(root, 'small.txt'))] })))
    expect(small).toMatchObject({ Accepted: true })
  })

  it('refuses a job whose ipfs input DAG is larger than the free disk budget, naming the CID, its size and the budget', async () => {
    // Real Helia nodes over loopback TCP: the provider added the data (Kubo's layout); the
    // compute node's IpfsStorage learns the size from the root block over bitswap.
    const provider = await startTestHelia()
    const consumer = await startTestHelia()
    closers.push(async () => void (await provider.stop()), async () => void (await consumer.stop()))
    const big = await importTree(singleFileTree(3_000_000, seededChunks(3, 3_000_000)), provider.blockstore)
    const small = await importTree(singleFileTree(6, seededChunks(4, 6)), provider.blockstore)
    await connect(consumer, provider)
    const space = await HostVolumeSpace.open({ directory: join(root, 'volumes'), totalBytes: 2_000_000 })
    const { requester, close } = await connectedNode({
      space,
      storages: [new IpfsStorage(consumer, { readTimeoutMs: 30_000 })],
      capacity: { CPU: 2, Memory: 1_000_000_000, Disk: 2_000_000, GPU: 0 },
    })
    closers.push(close)

    const input = (cid: string) => ({ Source: { Type: 'ipfs', Params: { CID: cid } }, Alias: '', Target: '/inputs/data' })
    const refused = await requester.askForBid(makeExecution(makeJob({ InputSources: [input(big.toString())] })))
    expect(refused.Accepted).toBe(false)
    expect(refused.Reason).toBe(`InputSources[0] (ipfs ${big} for /inputs/data) is 3.0 MB (3000000 bytes), but only 2.0 MB (2000000 bytes) of this node's 2.0 MB disk budget are free`)

    const accepted = await requester.askForBid(makeExecution(makeJob({ InputSources: [input(small.toString())] })))
    expect(accepted).toMatchObject({ Accepted: true })
  })
})

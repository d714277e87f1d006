import { composeTree, memoryTree, fileNode } from '@shoal/interface'
import { unixfs } from '@helia/unixfs'
import { fixedSize } from 'ipfs-unixfs-importer/chunker'
import { balanced } from 'ipfs-unixfs-importer/layout'
import { MemoryBlockstore } from 'blockstore-core'
import type { Job } from '@shoal/models'
import { afterEach, describe, expect, it } from 'vitest'
import { IpfsPublisher, openUnixfsTree, unixfsTree } from '../src/index.ts'
import { seededChunks } from './seeded-bytes.ts'
import { connect, startTestHelia, type TestHelia } from './test-helia.ts'

const text = (s: string) => new TextEncoder().encode(s)
const nodes: TestHelia[] = []
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((node) => node.stop()))
})
async function node(): Promise<TestHelia> {
  const helia = await startTestHelia()
  nodes.push(helia)
  return helia
}

const SIZE = 700_000
const result = () =>
  composeTree(
    new Map([
      ['exitCode', memoryTree(fileNode(text('0')))],
      ['stderr', memoryTree(fileNode(new Uint8Array(0)))],
      ['stdout', memoryTree(fileNode(text('hello world\n')))],
      [
        'outputs',
        {
          root: 'directory' as const,
          size: SIZE,
          async *entries() {
            yield { path: 'big.bin', kind: 'file' as const, size: SIZE, open: seededChunks(11, SIZE) }
            yield { path: 'empty', kind: 'directory' as const, size: 0 }
          },
        },
      ],
    ]),
  )

const job = { ID: 'j-1' } as Job

describe('IpfsPublisher', () => {
  it('publishes a result as upstream does: Type ipfs, Params.CID of `ipfs add -r` of the result directory, pinned', async () => {
    const helia = await node()
    const progress: number[] = []
    const published = await new IpfsPublisher(helia).publish({
      executionId: 'e-1',
      nodeId: 'n-1',
      job,
      spec: { Type: 'ipfs', Params: {} },
      result: result(),
      onProgress: (event) => progress.push((event.detail as { done: number }).done),
    })
    expect(Object.keys(published)).toEqual(['Type', 'Params'])
    expect(published.Type).toBe('ipfs')

    // The same directory added by @helia/unixfs directly with Kubo's settings gets the same CID.
    const big = new Uint8Array(await new Response(seededChunks(11, SIZE)()).arrayBuffer())
    const independent = unixfs({ blockstore: new MemoryBlockstore() } as never)
    let expected = ''
    for await (const entry of independent.addAll(
      [
        { path: 'r/exitCode', content: text('0') },
        { path: 'r/outputs/big.bin', content: big },
        { path: 'r/outputs/empty' },
        { path: 'r/stderr', content: new Uint8Array(0) },
        { path: 'r/stdout', content: text('hello world\n') },
      ],
      { cidVersion: 0, rawLeaves: false, chunker: fixedSize({ chunkSize: 262_144 }), layout: balanced({ maxChildrenPerNode: 174 }) },
    )) {
      if (entry.path === 'r') expected = entry.cid.toString()
    }
    expect(published.Params).toEqual({ CID: expected })
    expect(expected.startsWith('Qm')).toBe(true)
    expect(progress.at(-1)).toBe(SIZE + 1 + 12)

    const { CID } = await import('multiformats/cid')
    const root = CID.parse(expected)
    expect(await helia.pins.isPinned(root)).toBe(true)
    // Garbage collection keeps a pinned result.
    await helia.gc()
    const entries: Array<[string, number]> = []
    for await (const entry of unixfsTree(root, { blockstore: { get: (cid, options) => helia.blockstore.get(cid, { ...options, offline: true }) } }, { root: 'directory' }).entries()) {
      entries.push([entry.path, entry.size])
    }
    expect(entries).toEqual([
      ['exitCode', 1],
      ['outputs', 0],
      ['outputs/big.bin', SIZE],
      ['outputs/empty', 0],
      ['stderr', 0],
      ['stdout', 12],
    ])
  })

  it('a published result is fetched by another node over bitswap', async () => {
    const publisher = await node()
    const published = await new IpfsPublisher(publisher).publish({ executionId: 'e-2', nodeId: 'n-1', job, spec: { Type: 'ipfs', Params: {} }, result: result() })
    const reader = await node()
    await connect(reader, publisher)
    let stdout = ''
    const tree = await openUnixfsTree(String(published.Params.CID), reader)
    expect(tree.root).toBe('directory')
    for await (const entry of tree.entries()) {
      if (entry.path === 'stdout') stdout = await new Response(entry.open!()).text()
      if (entry.path === 'outputs/big.bin') {
        const bytes = new Uint8Array(await new Response(entry.open!()).arrayBuffer())
        const expected = new Uint8Array(await new Response(seededChunks(11, SIZE)()).arrayBuffer())
        expect(bytes).toEqual(expected)
      }
    }
    expect(stdout).toBe('hello world\n')
  })
})

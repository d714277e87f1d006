// `shoal job get` of an ipfs result: the CAR from the requester's gateway (here @shoal/ipfs's real
// gateway handler over an in-memory Helia, called in-process instead of over HTTP) is unpacked
// into the result directory; a block that does not match its CID, or a result past the size
// limit, writes nothing.
import { readFile, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MemoryBlockstore } from 'blockstore-core'
import { MemoryDatastore } from 'datastore-core'
import { createHeliaLight, type Helia } from 'helia'
import { emptyDirectory, fileNode, memoryTree, type DirectoryNode } from '@shoal/interface'
import { importTree, trustlessGateway } from '@shoal/ipfs'
import { downloadResults } from '../../src/cli/result-download.ts'
import { tempDir } from '../../../test/support/temp-dir.ts'

let helia: Helia
let cid: string
let gateway: (request: Request) => Promise<Response>
const big = 'x'.repeat(300_000)

beforeAll(async () => {
  helia = createHeliaLight({ blockstore: new MemoryBlockstore(), datastore: new MemoryDatastore() })
  await helia.start()
  const outputs: DirectoryNode = emptyDirectory()
  outputs.entries.set('big.txt', fileNode(big))
  const root: DirectoryNode = emptyDirectory()
  root.entries.set('stdout', fileNode('hello from ipfs\n'))
  root.entries.set('exitCode', fileNode('0'))
  root.entries.set('outputs', outputs)
  cid = (await importTree(memoryTree(root), helia.blockstore)).toString()
  gateway = trustlessGateway(helia)
})
afterAll(async () => helia?.stop())

/** The gateway's CAR answer, optionally with one byte of its last block flipped. */
function gatewayFetch(tamper = false): typeof fetch {
  return (async (url: string | URL | Request, init?: RequestInit) => {
    const response = await gateway(new Request(String(url), init))
    if (!tamper) return response
    const bytes = new Uint8Array(await response.arrayBuffer())
    bytes[bytes.length - 10] ^= 0xff
    return new Response(bytes, { status: response.status, headers: response.headers })
  }) as typeof fetch
}

const ipfsResult = () => ({ Type: 'ipfs', Params: { CID: cid } })

describe('job get of an ipfs result', () => {
  it('unpacks the result directory from the gateway CAR', async () => {
    const out = join(await tempDir('shoal-ipfs-dl-'), 'job')
    const written = await downloadResults([ipfsResult()], { outputDir: out, fetch: gatewayFetch(), gateway: { url: 'http://requester.test' } })
    expect(written.files).toBe(3)
    expect(await readFile(join(out, 'stdout'), 'utf8')).toBe('hello from ipfs\n')
    expect(await readFile(join(out, 'outputs', 'big.txt'), 'utf8')).toBe(big)
  })

  it('refuses a block that does not match its CID, and writes nothing', async () => {
    const parent = await tempDir('shoal-ipfs-dl-')
    const out = join(parent, 'job')
    await expect(downloadResults([ipfsResult()], { outputDir: out, fetch: gatewayFetch(true), gateway: { url: 'http://requester.test' } })).rejects.toThrow(/does not match its CID/)
    expect(await readdir(parent)).toEqual([])
  })

  it('stops at the size limit, naming the flag', async () => {
    const parent = await tempDir('shoal-ipfs-dl-')
    await expect(downloadResults([ipfsResult()], { outputDir: join(parent, 'job'), fetch: gatewayFetch(), gateway: { url: 'http://requester.test' }, maxBytes: 100_000 })).rejects.toThrow(/--max-result-size/)
    expect(await readdir(parent)).toEqual([])
  })
})

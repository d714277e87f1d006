import { execFileSync } from 'node:child_process'
import { createWriteStream, existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { emptyDirectory, fileNode, memoryTree, singleFileTree, type FileTreeNode } from '@shoal/interface'
import { MemoryBlockstore } from 'blockstore-core'
import { afterAll, describe, expect, it } from 'vitest'
import { importTree, unixfsTree } from '../src/index.ts'
import { seededChunks } from './seeded-bytes.ts'

// Debian's ipfs-cid (`apt-get install ipfs-cid`): an independent Rust implementation of
// `ipfs add`'s default file import (CIDv0, 256 KiB chunks, balanced 174), used as the oracle.
const IPFS_CID = '/usr/bin/ipfs_cid'
const hasIpfsCid = existsSync(IPFS_CID)
const work = mkdtempSync(join(tmpdir(), 'shoal-ipfs-cid-'))
afterAll(() => rmSync(work, { recursive: true, force: true }))

const text = (s: string) => new TextEncoder().encode(s)

async function kuboCidOf(open: () => ReadableStream<Uint8Array>, name: string): Promise<string> {
  const file = join(work, name)
  await open().pipeTo(Writable.toWeb(createWriteStream(file)))
  const out = execFileSync(IPFS_CID, [file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
  return (JSON.parse(out.trim().split('\n').find((line) => line.startsWith('{'))!) as { CIDv0: string }).CIDv0
}

describe('importTree gives the CIDs of a default Kubo ipfs add', () => {
  it('"hello world\\n" is QmT78zSu…', async () => {
    const cid = await importTree(memoryTree(fileNode(text('hello world\n'))), new MemoryBlockstore())
    expect(cid.toString()).toBe('QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o')
  })

  it('an empty directory is QmUNLLsP…, as `ipfs add -r` of an empty dir', async () => {
    const cid = await importTree(memoryTree(emptyDirectory()), new MemoryBlockstore())
    expect(cid.toString()).toBe('QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn')
  })

  it('an empty file is QmbFMke1…, Kubo\'s empty file', async () => {
    const cid = await importTree(memoryTree(fileNode(new Uint8Array(0))), new MemoryBlockstore())
    expect(cid.toString()).toBe('QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH')
  })

  it('a directory gets the CID `ipfs add -r` gives: names sorted, nested, with an empty subdirectory', async () => {
    const dir: FileTreeNode = {
      kind: 'dir',
      entries: new Map<string, FileTreeNode>([
        ['b.txt', fileNode(text('hello world\n'))],
        ['a', { kind: 'dir', entries: new Map<string, FileTreeNode>([['empty', emptyDirectory()]]) }],
      ]),
    }
    const blockstore = new MemoryBlockstore()
    const cid = await importTree(memoryTree(dir), blockstore)
    // The directory links to its children by the CIDs they get alone.
    const { exporter } = await import('ipfs-unixfs-exporter')
    const root = await exporter(cid, blockstore)
    expect(root.type).toBe('directory')
    const names: string[] = []
    const cids: string[] = []
    if (root.type === 'directory') {
      for await (const child of root.entries()) {
        names.push(child.name)
        cids.push(child.cid.toString())
      }
    }
    expect(names).toEqual(['a', 'b.txt'])
    expect(cids[1]).toBe('QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o')
    expect(cid.version).toBe(0)
  })

  const sizes: Array<[string, number]> = [
    ['0 B', 0],
    ['1 B', 1],
    ['256 KiB (one chunk)', 262_144],
    ['256 KiB + 1 (two chunks)', 262_145],
    ['50 MiB (two levels of 174-child nodes)', 50 * 1024 * 1024 + 12_345],
  ]
  for (const [name, size] of sizes) {
    it.skipIf(!hasIpfsCid)(`a ${name} file matches Debian's ipfs_cid (skipped when ipfs-cid is not installed)`, { timeout: 120_000 }, async () => {
      const open = seededChunks(size + 7, size)
      const expected = await kuboCidOf(open, `file-${size}`)
      const cid = await importTree(singleFileTree(size, open), new MemoryBlockstore())
      expect(cid.toString()).toBe(expected)
    })
  }
})

describe('a directory past Kubo\'s 256 KiB HAMT threshold', () => {
  it('is sharded, and unixfsTree still lists it in name order with every entry', async () => {
    // ~46 bytes of link per entry (name + CIDv0 + sizes): 7000 entries pass 256 KiB.
    const names = Array.from({ length: 7000 }, (_, i) => `file-${String((i * 7919) % 7000).padStart(5, '0')}`)
    const entries = new Map<string, FileTreeNode>(names.map((name) => [name, fileNode(text(name))]))
    const blockstore = new MemoryBlockstore()
    const cid = await importTree(memoryTree({ kind: 'dir', entries }), blockstore)
    const { exporter } = await import('ipfs-unixfs-exporter')
    const root = await exporter(cid, blockstore)
    expect(root.type === 'directory' && root.unixfs.type).toBe('hamt-sharded-directory')
    const listed: string[] = []
    for await (const entry of unixfsTree(cid, { blockstore }, { root: 'directory' }).entries()) listed.push(entry.path)
    expect(listed).toEqual([...names].sort())
  })
})

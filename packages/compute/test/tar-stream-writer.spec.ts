// The streamed result archive: the same bytes as the in-memory writer, whatever the tree's source.
import { describe, expect, it } from 'vitest'
import { composeTree, memoryTree, readStreamBytes, type DirectoryNode, type ReadableTree } from '@shoal/interface'
import { extractTarGz, tarGzStream, tarStream, writeTar } from '../src/index.ts'

const encode = (value: string): Uint8Array => new TextEncoder().encode(value)
const all = (stream: ReadableStream<Uint8Array>) => readStreamBytes(stream, 1 << 30, () => new Error('too large'))

const result: DirectoryNode = {
  kind: 'dir',
  entries: new Map([
    ['stdout', { kind: 'file', data: encode('hello\n') }],
    ['outputs', { kind: 'dir', entries: new Map([['a'.repeat(120), { kind: 'file', data: new Uint8Array(1000).fill(7) }], ['empty', { kind: 'dir', entries: new Map() }]]) }],
    ['exactly-512', { kind: 'file', data: new Uint8Array(512).fill(1) }],
  ]),
}

describe('tarStream', () => {
  it('gives the bytes writeTar gives for the same tree (long names, empty dirs, 512-byte files)', async () => {
    expect(await all(tarStream(memoryTree(result)))).toEqual(writeTar(result))
  })

  it('round-trips through gzip and extractTarGz, with composed trees in name order', async () => {
    const tree = composeTree(new Map<string, ReadableTree>([['stdout', memoryTree({ kind: 'file', data: encode('out') })], ['outputs', memoryTree(result)]]))
    const back = await extractTarGz(await all(tarGzStream(tree)))
    expect([...back.entries.keys()]).toEqual(['outputs', 'stdout'])
    expect(back.entries.get('outputs')).toEqual(result)
  })

  it('errors the stream when a file is not the size its entry said', async () => {
    const lying: ReadableTree = {
      root: 'directory',
      async *entries() {
        yield { path: 'f', kind: 'file', size: 10, open: () => new Blob(['only 7!']).stream() }
      },
    }
    await expect(all(tarStream(lying))).rejects.toThrow('f held 7 bytes, not the 10 it had when archiving began')
  })
})

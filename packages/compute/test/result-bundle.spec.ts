import { describe, expect, it } from 'vitest'
import { ValidationError } from '@shoal/models'
import { emptyDirectory, fileNode, type DirectoryNode, type FileTreeNode } from '@shoal/interface'
import { bundleResult, extractTarGz, gunzip, gzip, readTar, writeTar } from '../src/index.ts'

const dir = (entries: Record<string, FileTreeNode>): DirectoryNode => ({ kind: 'dir', entries: new Map(Object.entries(entries)) })

/** A plain-object view of a tree, for comparisons. */
function view(node: FileTreeNode): unknown {
  if (node.kind === 'file') return Array.from(node.data)
  return Object.fromEntries([...node.entries].map(([name, child]) => [name, view(child)]))
}

/** Rewrites the name field of the `index`-th tar header (and its checksum): crafts hostile archives. */
function renameEntry(tar: Uint8Array, index: number, name: string): Uint8Array {
  const out = tar.slice()
  let offset = 0
  for (let seen = 0; ; seen++) {
    const size = parseInt(new TextDecoder().decode(out.subarray(offset + 124, offset + 135)), 8)
    if (seen === index) break
    offset += 512 + Math.ceil(size / 512) * 512
  }
  out.fill(0, offset, offset + 100)
  out.fill(0, offset + 345, offset + 500) // prefix
  out.set(new TextEncoder().encode(name), offset)
  out.fill(0x20, offset + 148, offset + 156)
  let sum = 0
  for (let i = offset; i < offset + 512; i++) sum += out[i]
  out.set(new TextEncoder().encode(sum.toString(8).padStart(6, '0') + '\0 '), offset + 148)
  return out
}

describe('result bundles', () => {
  const random = new Uint8Array(70_000)
  for (let i = 0; i < random.length; i++) random[i] = (i * 2654435761) >>> 24
  const longName = 'a-very-long-directory-name-'.repeat(5)
  const tree = dir({
    stdout: fileNode('hello\n'),
    stderr: fileNode(''),
    exitCode: fileNode('0'),
    outputs: dir({
      'result.bin': { kind: 'file', data: random },
      nested: dir({ deeper: dir({ 'note.txt': fileNode('deep\n') }), empty: emptyDirectory() }),
      [longName]: dir({ ['file-with-a-long-name-'.repeat(6) + '.txt']: fileNode('long') }),
      'ünïcödé.txt': fileNode('utf-8 names'),
    }),
  })

  it('round-trips nested directories, empty directories, binary data and long names', async () => {
    const bundle = await bundleResult(tree)
    expect(Array.from(bundle.subarray(0, 2))).toEqual([0x1f, 0x8b]) // gzip magic
    expect(view(await extractTarGz(bundle))).toEqual(view(tree))
  })

  it('writes the same bytes for the same tree', async () => {
    expect(await bundleResult(tree)).toEqual(await bundleResult(tree))
  })

  it('writes ustar that other readers understand (magic, checksum, long path in pax)', () => {
    const tar = writeTar(dir({ a: fileNode('x') }))
    expect(new TextDecoder().decode(tar.subarray(257, 262))).toBe('ustar')
    expect(tar.byteLength).toBe(512 * 4) // header, one data block, two zero blocks
    expect(view(readTar(tar))).toEqual({ a: [0x78] })
  })

  it('refuses entries that climb out with ".." or are absolute', async () => {
    const tar = writeTar(dir({ a: dir({ b: fileNode('evil') }) }))
    for (const hostile of ['../b', 'a/../../b', '/etc/passwd']) {
      const bundle = await gzip(renameEntry(tar, 1, hostile))
      const error = await extractTarGz(bundle).catch((e) => e)
      expect(error).toBeInstanceOf(ValidationError)
      expect(error.message).toContain(hostile)
    }
  })

  it('rejects corrupt archives, non-gzip data and archives over the size cap', async () => {
    const tar = writeTar(dir({ a: fileNode('12345') }))
    const corrupt = tar.slice()
    corrupt[10] ^= 0xff
    await expect(extractTarGz(await gzip(corrupt))).rejects.toThrow(/bad checksum/)
    await expect(extractTarGz(new TextEncoder().encode('plain text'))).rejects.toThrow(/not a gzip-compressed tar archive/)
    await expect(extractTarGz(await gzip(tar), { maxBytes: 4 })).rejects.toThrow(/more than the 4 bytes allowed/)
  })

  it('gzip and gunzip are inverse', async () => {
    const data = new TextEncoder().encode('x'.repeat(10_000))
    const packed = await gzip(data)
    expect(packed.byteLength).toBeLessThan(data.byteLength)
    expect(await gunzip(packed)).toEqual(data)
  })
})

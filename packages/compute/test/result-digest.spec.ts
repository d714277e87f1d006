import { describe, expect, it } from 'vitest'
import { emptyDirectory, fileNode, type DirectoryNode, type FileTreeNode } from '@shoal/interface'
import { resultDigest } from '../src/result-digest.ts'

const result = (stdout: string, files: Record<string, string> = {}, exitCode = '0'): DirectoryNode => {
  const outputs = emptyDirectory()
  for (const [name, text] of Object.entries(files)) outputs.entries.set(name, fileNode(text))
  return {
    kind: 'dir',
    entries: new Map<string, FileTreeNode>([
      ['stdout', fileNode(stdout)],
      ['stderr', fileNode('')],
      ['exitCode', fileNode(exitCode)],
      ['outputs', outputs],
    ]),
  }
}

describe('resultDigest', () => {
  it('is the same for the same result, whatever order its entries were added in', async () => {
    const a = result('hi\n', { 'x.txt': '1', 'y.txt': '2' })
    const b = result('hi\n', { 'y.txt': '2', 'x.txt': '1' })
    expect(await resultDigest(a)).toMatch(/^sha256:[0-9a-f]{64}$/)
    expect(await resultDigest(a)).toBe(await resultDigest(b))
  })

  it('changes with any byte of stdout, the exit code, a result file, or a file moved to another name', async () => {
    const base = await resultDigest(result('hi\n', { 'x.txt': '1' }))
    expect(await resultDigest(result('hI\n', { 'x.txt': '1' }))).not.toBe(base)
    expect(await resultDigest(result('hi\n', { 'x.txt': '1' }, '1'))).not.toBe(base)
    expect(await resultDigest(result('hi\n', { 'x.txt': '2' }))).not.toBe(base)
    expect(await resultDigest(result('hi\n', { 'z.txt': '1' }))).not.toBe(base)
    expect(await resultDigest(result('hi\n', { 'x.txt': '1', empty: '' }))).not.toBe(base)
  })
})

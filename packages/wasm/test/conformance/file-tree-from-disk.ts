/** Reads a directory on disk into a FileTreeNode (Node-only helper for the conformance runner). */
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { DirectoryNode, FileTreeNode } from '@shoal/interface'

/** The directory at `dir` as a DirectoryNode (regular files and directories only). */
export async function fileTreeFromDisk(dir: string): Promise<DirectoryNode> {
  const entries = new Map<string, FileTreeNode>()
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name)
    if (entry.isDirectory()) entries.set(entry.name, await fileTreeFromDisk(full))
    else if (entry.isFile()) entries.set(entry.name, { kind: 'file', data: new Uint8Array(await readFile(full)) })
  }
  return { kind: 'dir', entries }
}

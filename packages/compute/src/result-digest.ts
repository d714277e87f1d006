import { memoryTree, type FileTreeNode } from '@shoal/interface'

const hex = (bytes: ArrayBuffer): string => [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, '0')).join('')

async function sha256(data: Uint8Array): Promise<string> {
  return hex(await crypto.subtle.digest('SHA-256', data as Uint8Array<ArrayBuffer>))
}

/**
 * The digest two nodes compare to agree on a result: `sha256:<hex>` over a canonical manifest of
 * the result tree (stdout, stderr, exitCode and every ResultPath file, as published), one line
 * per entry in the tree's sorted walk: `<kind> <path> <size> <sha256 of the file's bytes>`.
 * Equal results give equal digests on any node and runtime; any differing byte changes it.
 */
export async function resultDigest(result: FileTreeNode): Promise<string> {
  const lines: string[] = []
  for await (const entry of memoryTree(result).entries()) {
    if (entry.kind === 'directory') {
      lines.push(`d ${JSON.stringify(entry.path)}`)
      continue
    }
    const node = fileAt(result, entry.path)
    lines.push(`f ${JSON.stringify(entry.path)} ${node.byteLength} ${await sha256(node)}`)
  }
  return `sha256:${await sha256(new TextEncoder().encode(lines.join('\n') + '\n'))}`
}

function fileAt(root: FileTreeNode, path: string): Uint8Array {
  let node = root
  for (const part of path === '' ? [] : path.split('/')) {
    if (node.kind !== 'dir') throw new Error(`result entry ${path} is below a file`)
    node = node.entries.get(part)!
  }
  if (node.kind !== 'file') throw new Error(`result entry ${path} is not a file`)
  return node.data
}

/**
 * A runtime-neutral, structured-cloneable file tree: how inputs are handed to engines and how
 * outputs come back. It crosses into Workers by postMessage (Uint8Array buffers may be
 * transferred), works the same in a tab, on the edge and on Node.
 */

/** A regular file. */
export interface FileNode {
  kind: 'file'
  data: Uint8Array
}

/** A directory: name -> child. Names never contain '/'. */
export interface DirectoryNode {
  kind: 'dir'
  entries: Map<string, FileTreeNode>
}

/** A file or a directory. */
export type FileTreeNode = FileNode | DirectoryNode

/** A new empty directory. */
export const emptyDirectory = (): DirectoryNode => ({ kind: 'dir', entries: new Map() })

/** A file holding `data` (a string is UTF-8 encoded). */
export const fileNode = (data: Uint8Array | string): FileNode => ({
  kind: 'file',
  data: typeof data === 'string' ? new TextEncoder().encode(data) : data,
})

/** Total bytes of file contents below `node`. */
export function treeSize(node: FileTreeNode): number {
  if (node.kind === 'file') return node.data.byteLength
  let total = 0
  for (const child of node.entries.values()) total += treeSize(child)
  return total
}

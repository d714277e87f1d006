/**
 * A tree of files read as streams, wherever its bytes are: in memory, in a host directory, in a
 * tab's OPFS, in a block image an engine wrote, or in an IPFS DAG. It is how data moves between
 * storage providers, engines and publishers without being held: a 10 GiB result is one walk of
 * entries, each file one stream.
 */
import type { AbortOptions } from './abort.ts'
import { concatBytes } from './bytes.ts'
import type { DirectoryNode, FileTreeNode } from './file-tree.ts'

/** One file or directory of a {@link ReadableTree}. */
export interface TreeEntry {
  /**
   * Path below the tree's root, components joined by '/', never absolute, never '.' or '..'.
   * '' is the root itself: a tree whose root is a file yields exactly one entry, with path ''.
   */
  path: string
  kind: 'file' | 'directory'
  /**
   * Bytes of a file (0 for a directory). -1 when its producer cannot know it before reading (a
   * download without Content-Length): only VolumeSpace.write takes such entries, and
   * every tree read from a volume has exact sizes (a tar header needs them up front).
   */
  size: number
  /** The contents of a file, streamed. A directory has none. */
  open?(options?: AbortOptions): ReadableStream<Uint8Array>
}

/**
 * A readable tree. `entries()` walks it depth-first, a directory before what it holds, names
 * within a directory in ascending code-unit order, so the same files always come out in the
 * same order (tar archives and UnixFS DAGs built from it are reproducible). The root directory
 * itself is not listed; a file root is listed once with path ''.
 */
export interface ReadableTree {
  /** Whether the root is a file or a directory. */
  readonly root: 'file' | 'directory'
  entries(options?: AbortOptions): AsyncIterable<TreeEntry>
  /** Total bytes of its files, when known without reading them all. */
  readonly size?: number
}

const compareNames = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

/** A stream of one buffer (sliced so a consumer can never write into the tree's bytes). */
function bytesStream(data: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(controller) {
      if (data.byteLength > 0) controller.enqueue(data.slice())
      controller.close()
    },
  })
}

function* walkMemory(node: DirectoryNode, prefix: string): Generator<TreeEntry> {
  for (const name of [...node.entries.keys()].sort(compareNames)) {
    const child = node.entries.get(name)!
    const path = prefix === '' ? name : `${prefix}/${name}`
    if (child.kind === 'file') yield { path, kind: 'file', size: child.data.byteLength, open: () => bytesStream(child.data) }
    else {
      yield { path, kind: 'directory', size: 0 }
      yield* walkMemory(child, path)
    }
  }
}

function memorySize(node: FileTreeNode): number {
  if (node.kind === 'file') return node.data.byteLength
  let total = 0
  for (const child of node.entries.values()) total += memorySize(child)
  return total
}

/** A readable tree over an in-memory file or directory. */
export function memoryTree(node: FileTreeNode): ReadableTree {
  return {
    root: node.kind === 'file' ? 'file' : 'directory',
    size: memorySize(node),
    async *entries() {
      if (node.kind === 'file') yield { path: '', kind: 'file', size: node.data.byteLength, open: () => bytesStream(node.data) }
      else yield* walkMemory(node, '')
    },
  }
}

/** Options of {@link readTreeIntoMemory}. */
export interface ReadTreeOptions extends AbortOptions {
  /** Most file bytes accepted in all; more rejects with `tooLarge()`. */
  maxBytes: number
  tooLarge: () => Error
}

/**
 * A tree read into memory, for engines and providers that can only take bytes (small inputs,
 * the edge). Refuses, as soon as it passes `maxBytes`, a tree bigger than the caller can hold.
 */
export async function readTreeIntoMemory(tree: ReadableTree, options: ReadTreeOptions): Promise<FileTreeNode> {
  if (tree.size !== undefined && tree.size > options.maxBytes) throw options.tooLarge()
  let root: FileTreeNode | undefined = tree.root === 'directory' ? { kind: 'dir', entries: new Map() } : undefined
  let total = 0
  for await (const entry of tree.entries(options)) {
    let data: Uint8Array | undefined
    if (entry.kind === 'file') {
      const chunks: Uint8Array[] = []
      const reader = entry.open!(options).getReader()
      // Bounded: ends with the stream or once maxBytes is passed.
      for (;;) {
        const { done, value } = await reader.read()
        if (done) break
        total += value.byteLength
        if (total > options.maxBytes) {
          await reader.cancel().catch(() => {})
          throw options.tooLarge()
        }
        chunks.push(value)
      }
      data = concatBytes(chunks)
    }
    if (entry.path === '') {
      if (data) root = { kind: 'file', data }
      continue
    }
    const parts = entry.path.split('/')
    let dir = root as DirectoryNode
    for (const part of parts.slice(0, -1)) {
      let next = dir.entries.get(part)
      if (!next) dir.entries.set(part, (next = { kind: 'dir', entries: new Map() }))
      if (next.kind !== 'dir') throw new Error(`tree entry ${entry.path} is below a file`)
      dir = next
    }
    const name = parts[parts.length - 1]!
    if (data) dir.entries.set(name, { kind: 'file', data })
    else if (!dir.entries.has(name)) dir.entries.set(name, { kind: 'dir', entries: new Map() })
  }
  return root ?? { kind: 'file', data: new Uint8Array(0) }
}

/** A tree of one file whose contents are `open()`'s stream (a download, a blob). */
export function singleFileTree(size: number, open: (options?: AbortOptions) => ReadableStream<Uint8Array>): ReadableTree {
  return {
    root: 'file',
    size,
    async *entries() {
      yield { path: '', kind: 'file', size, open }
    },
  }
}

/**
 * A directory tree made of named subtrees, each under its name (a file root becomes a file), e.g.
 * a result: one folder per ResultPath next to the files `stdout`, `stderr` and `exitCode`.
 * Names are listed in the same ascending order as every tree.
 */
export function composeTree(parts: Map<string, ReadableTree>): ReadableTree {
  const sizes = [...parts.values()].map((tree) => tree.size)
  return {
    root: 'directory',
    size: sizes.every((size) => size !== undefined) ? sizes.reduce((a, b) => a! + b!, 0) : undefined,
    async *entries(options) {
      for (const name of [...parts.keys()].sort(compareNames)) {
        const tree = parts.get(name)!
        if (tree.root === 'directory') yield { path: name, kind: 'directory', size: 0 }
        for await (const entry of tree.entries(options)) {
          if (entry.path === '') {
            yield { ...entry, path: name }
            continue
          }
          yield { ...entry, path: `${name}/${entry.path}` }
        }
      }
    },
  }
}

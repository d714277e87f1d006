/**
 * What a job's filesystem holds, worked out on the engine's side: each input read-only at its
 * Target (read-write when the input says so), each ResultPath writable at its Name (as upstream
 * Bacalhau mounts outputs), and lookups of modules inside that tree.
 */
import type { DirectoryNode, EngineRunRequest, FileTreeNode } from '@shoal/interface'
import type { Mount } from './wasi-filesystem.ts'
import { pathComponents } from './wasi-filesystem.ts'

/** The mounts of a job and its output paths by ResultPath Name. */
export interface JobMounts {
  mounts: Mount[]
  outputs: [name: string, path: string][]
  /** The read-write inputs: their Target and absolute mount path. */
  readWrite: [target: string, path: string][]
}

/** Normalises a mount path to `/a/b` form; throws on `..`. */
export function absolutePath(path: string): string {
  return '/' + pathComponents(path).join('/')
}

/** Builds the mounts of `request`; throws an Error naming the conflicting path. */
export function jobMounts(request: EngineRunRequest): JobMounts {
  const mounts: Mount[] = []
  const seen = new Set<string>()
  const readWrite: [string, string][] = []
  for (const input of request.inputs) {
    const path = absolutePath(input.input.Target)
    if (seen.has(path)) throw new Error(`two inputs are mounted at ${path}`)
    seen.add(path)
    if (input.volume.kind !== 'memory') throw new Error(`the input at ${path} is a ${input.volume.kind} volume; this engine mounts only memory volumes`)
    mounts.push({ path, node: input.volume.node, readOnly: !input.readWrite })
    if (input.readWrite) readWrite.push([input.input.Target, path])
  }
  const outputs: [string, string][] = []
  for (const result of request.task.ResultPaths ?? []) {
    const path = absolutePath(result.Name)
    if (seen.has(path)) throw new Error(`ResultPath ${JSON.stringify(result.Name)} conflicts with an input mounted at ${path}`)
    seen.add(path)
    mounts.push({ path, node: { kind: 'dir', entries: new Map() }, readOnly: false })
    outputs.push([result.Name, path])
  }
  return { mounts, outputs, readWrite }
}

/** The node at absolute `path` across the mounts, if any. */
export function findInMounts(mounts: Mount[], path: string): FileTreeNode | undefined {
  const target = pathComponents(path)
  for (const mount of mounts) {
    const base = pathComponents(mount.path)
    if (base.length > target.length || base.some((part, i) => part !== target[i])) continue
    let node: FileTreeNode | undefined = mount.node
    for (const part of target.slice(base.length)) node = node?.kind === 'dir' ? node.entries.get(part) : undefined
    if (node) return node
  }
  return undefined
}

/**
 * The module bytes at `path`: the file itself, or the only `.wasm` file of a directory (as
 * upstream). Returns an explanation instead when there is none.
 */
export function readModule(mounts: Mount[], path: string): { bytes: Uint8Array; path: string } | { problem: string } {
  const node = findInMounts(mounts, path)
  if (!node) return { problem: `nothing is mounted at ${path}` }
  if (node.kind === 'file') return { bytes: node.data, path: absolutePath(path) }
  const wasm = [...(node as DirectoryNode).entries].filter(([name, child]) => child.kind === 'file' && name.endsWith('.wasm'))
  if (wasm.length !== 1) return { problem: `${path} is a directory with ${wasm.length} .wasm files; it needs exactly one` }
  const [name, file] = wasm[0]!
  return { bytes: (file as { data: Uint8Array }).data, path: `${absolutePath(path)}/${name}` }
}

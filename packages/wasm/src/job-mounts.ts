/**
 * What a job's filesystem holds, worked out on the engine's side: each input read-only at its
 * Target (read-write when the input says so), each ResultPath writable at its Name (as upstream
 * Bacalhau mounts outputs), and lookups of modules inside that tree.
 */
import { readStreamBytes } from '@shoal/interface'
import type { DirectoryNode, EngineRunRequest, FileTreeNode, VolumeSpace } from '@shoal/interface'
import type { Mount } from './wasi-filesystem.ts'
import { pathComponents } from './wasi-filesystem.ts'
import type { WorkerVolume } from './worker-volume-access.ts'

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

/**
 * Builds the mounts of `request`; throws an Error naming the conflicting path. Inputs of the
 * `volumeKinds` the workers open are mounted as volumes, read in place.
 */
export function jobMounts(request: EngineRunRequest, volumeKinds: readonly string[] = []): JobMounts {
  const mounts: Mount[] = []
  const seen = new Set<string>()
  const readWrite: [string, string][] = []
  for (const input of request.inputs) {
    const path = absolutePath(input.input.Target)
    if (seen.has(path)) throw new Error(`two inputs are mounted at ${path}`)
    seen.add(path)
    if (input.volume.kind === 'memory') {
      mounts.push({ path, node: input.volume.node, readOnly: !input.readWrite })
    } else if (volumeKinds.includes(input.volume.kind)) {
      mounts.push({ path, volume: input.volume as WorkerVolume, readOnly: !input.readWrite })
    } else {
      throw new Error(`the input at ${path} is a ${input.volume.kind} volume; this engine mounts ${['memory', ...volumeKinds].join(', ')} volumes`)
    }
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

/** The node at absolute `path` across the in-memory mounts, if any. */
export function findInMounts(mounts: Mount[], path: string): FileTreeNode | undefined {
  const target = pathComponents(path)
  for (const mount of mounts) {
    if (!mount.node) continue
    const base = pathComponents(mount.path)
    if (base.length > target.length || base.some((part, i) => part !== target[i])) continue
    let node: FileTreeNode | undefined = mount.node
    for (const part of target.slice(base.length)) node = node?.kind === 'dir' ? node.entries.get(part) : undefined
    if (node) return node
  }
  return undefined
}

/** Most bytes of a module read from a volume: the largest module the engine would compile. */
const MAX_MODULE_BYTES = 1024 * 1024 * 1024
const tooLarge = (path: string) => () => new Error(`the module at ${path} is larger than ${MAX_MODULE_BYTES} bytes`)

/**
 * The module bytes at `path`: the file itself, or the only `.wasm` file of a directory (as
 * upstream). Returns an explanation instead when there is none. Modules in a volume are read
 * through `space` (the engine compiles them, so they are read whole).
 */
export async function readModule(mounts: Mount[], path: string, space: VolumeSpace): Promise<{ bytes: Uint8Array; path: string } | { problem: string }> {
  const node = findInMounts(mounts, path)
  if (node) {
    if (node.kind === 'file') return { bytes: node.data, path: absolutePath(path) }
    const wasm = [...(node as DirectoryNode).entries].filter(([name, child]) => child.kind === 'file' && name.endsWith('.wasm'))
    if (wasm.length !== 1) return { problem: `${path} is a directory with ${wasm.length} .wasm files; it needs exactly one` }
    const [name, file] = wasm[0]!
    return { bytes: (file as { data: Uint8Array }).data, path: `${absolutePath(path)}/${name}` }
  }
  const target = pathComponents(path)
  for (const mount of mounts) {
    if (!mount.volume) continue
    const base = pathComponents(mount.path)
    if (base.length > target.length || base.some((part, i) => part !== target[i])) continue
    const inner = target.slice(base.length).join('/')
    const candidates: { path: string; open: () => ReadableStream<Uint8Array> }[] = []
    let isDirectory = false
    for await (const entry of space.read(mount.volume).entries()) {
      if (entry.path === inner) {
        if (entry.kind === 'file') return { bytes: await readStreamBytes(entry.open!(), MAX_MODULE_BYTES, tooLarge(path)), path: absolutePath(path) }
        isDirectory = true
      }
      const parent = entry.path.includes('/') ? entry.path.slice(0, entry.path.lastIndexOf('/')) : ''
      if (entry.kind === 'file' && parent === inner && entry.path.endsWith('.wasm')) candidates.push({ path: entry.path, open: () => entry.open!() })
    }
    if (!isDirectory && inner !== '') continue
    if (candidates.length !== 1) return { problem: `${path} is a directory with ${candidates.length} .wasm files; it needs exactly one` }
    const found = candidates[0]!
    return { bytes: await readStreamBytes(found.open(), MAX_MODULE_BYTES, tooLarge(path)), path: `${absolutePath(path)}/${found.path.slice(inner === '' ? 0 : inner.length + 1)}` }
  }
  return { problem: `nothing is mounted at ${path}` }
}

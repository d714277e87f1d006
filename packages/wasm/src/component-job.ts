/**
 * WASI preview2 components (beyond Bacalhau, which runs preview1 only): the component is
 * transpiled at run time with jco into JavaScript plus core modules, then instantiated against
 * @bytecodealliance/preview2-shim's browser implementation, configured per job with the same
 * contract as preview1 jobs: args, env, a `/` preopen holding the mounts, stdout/stderr capture.
 * Differences (documented in docs/RUNTIMES.md): the exit code collapses to 0/1 (wasi:cli/exit
 * carries only ok/err), and read-only mounts are not enforced — writes to an input land in the
 * job's scratch copy and are discarded.
 */
import type { CappedOutput, DirectoryNode, FileTreeNode } from '@shoal/interface'
import { pathComponents } from './wasi-filesystem.ts'
import { capModule } from './wasm-binary.ts'
import type { Mount } from './wasi-filesystem.ts'
import type { RandomSource, WasiClock } from './wasi-clock.ts'
import type { WorkerJob } from './worker-protocol.ts'

/** preview2-shim's in-memory file data: a directory maps names to entries. */
type FileData = { dir: Record<string, FileData> } | { source: Uint8Array }

/** Where a component job writes and which time and randomness it sees. */
export interface ComponentJobIo {
  stdout: CappedOutput
  stderr: CappedOutput
  clock: WasiClock
  random: RandomSource
}

/** The transpiled form of one component: its JS module and compiled core modules. */
interface TranspiledComponent {
  instantiate: (
    getCoreModule: (path: string) => WebAssembly.Module,
    imports: Record<string, unknown>,
  ) => Promise<Record<string, any>>
  /** The component's core modules, by file name, as bytes. */
  coreBytes: Map<string, Uint8Array>
  /** Compiled core modules by memory cap. */
  compiled: Map<number, Promise<Map<string, WebAssembly.Module>>>
}

const transpiled = new Map<string, Promise<TranspiledComponent>>()

async function transpile(bytes: Uint8Array): Promise<TranspiledComponent> {
  const key = hex(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>)))
  let entry = transpiled.get(key)
  if (!entry) {
    entry = (async () => {
      const { transpile: generate } = await import('@bytecodealliance/jco/component')
      const output = await generate(bytes, {
        name: 'component',
        instantiation: { tag: 'async' },
        noTypescript: true,
        noNodejsCompat: true,
        base64Cutoff: 0,
      })
      let source: string | undefined
      const coreBytes = new Map<string, Uint8Array>()
      for (const [path, contents] of output.files) {
        if (path === 'component.js') source = new TextDecoder().decode(contents)
        else if (path.endsWith('.wasm')) coreBytes.set(path, contents)
      }
      if (!source) throw new Error('jco produced no JavaScript for the component')
      // The instantiation-mode output has no imports of its own, so it loads from a data: URL in
      // every runtime (Node cannot import blob: URLs).
      const url = `data:text/javascript;base64,${base64(new TextEncoder().encode(source))}`
      const module = await import(/* @vite-ignore */ url)
      return { instantiate: module.instantiate, coreBytes, compiled: new Map() }
    })()
    transpiled.set(key, entry)
    entry.catch(() => transpiled.delete(key))
  }
  return entry
}

/** The component's core modules compiled with their memories and tables held to `capBytes`. */
function coreModules(component: TranspiledComponent, capBytes: number): Promise<Map<string, WebAssembly.Module>> {
  let modules = component.compiled.get(capBytes)
  if (!modules) {
    modules = (async () => {
      const compiled = new Map<string, WebAssembly.Module>()
      for (const [path, bytes] of component.coreBytes) {
        compiled.set(path, await WebAssembly.compile(capModule(bytes, { memoryCapBytes: capBytes }) as Uint8Array<ArrayBuffer>))
      }
      return compiled
    })()
    component.compiled.set(capBytes, modules)
    modules.catch(() => component.compiled.delete(capBytes))
  }
  return modules
}

/** Runs a component job; resolves its exit code (0 or 1) and the ResultPath trees. */
export async function runComponentJob(
  job: WorkerJob,
  io: ComponentJobIo,
): Promise<{ exitCode: number; outputs: [string, DirectoryNode][]; inputs: [string, FileTreeNode][] }> {
  const component = await transpile(job.componentBytes!)
  const modules = await coreModules(component, job.memoryCapBytes)
  const [{ WASIShim }, shim] = await Promise.all([
    import('@bytecodealliance/preview2-shim/instantiation'),
    import('@bytecodealliance/preview2-shim'),
  ])
  const root = buildFileData(job.mounts)
  const stream = (output: CappedOutput) => ({
    write: (contents: Uint8Array) => output.write(contents),
    blockingFlush() {},
    flush() {},
  })
  const clocks = {
    ...shim.clocks,
    monotonicClock: { ...shim.clocks.monotonicClock, now: () => io.clock.monotonic(), resolution: () => io.clock.resolution() },
    wallClock: {
      now: () => {
        const ns = io.clock.realtime()
        return { seconds: ns / 1_000_000_000n, nanoseconds: Number(ns % 1_000_000_000n) }
      },
      resolution: () => ({ seconds: 0n, nanoseconds: Number(io.clock.resolution()) }),
    },
  }
  const randomBytes = (length: number | bigint): Uint8Array => {
    const bytes = new Uint8Array(Number(length))
    io.random(bytes)
    return bytes
  }
  const randomU64 = (): bigint => new DataView(randomBytes(8).buffer).getBigUint64(0, true)
  const random = {
    random: { getRandomBytes: randomBytes, getRandomU64: randomU64 },
    insecure: { getInsecureRandomBytes: randomBytes, getInsecureRandomU64: randomU64 },
    insecureSeed: { insecureSeed: () => [randomU64(), randomU64()] },
  }
  const wasi = new WASIShim({
    arguments: job.args,
    environment: job.env,
    stdout: stream(io.stdout),
    stderr: stream(io.stderr),
    clocks,
    random,
    browserFilesystem: { adapter: new shim.filesystem.InMemoryFilesystemAdapter(), preopens: { '/': root } },
    sandbox: { enableNetwork: false },
  } as any)
  const base = wasi.getImportObject() as Record<string, unknown>
  // Components import versioned interfaces (wasi:cli/stdout@0.2.x); the shim serves every version.
  const imports = new Proxy(base, {
    get: (target, key) => (typeof key === 'string' ? (target[key] ?? target[key.replace(/@[^/]*$/, '')]) : undefined),
  })
  let exitCode = 0
  try {
    const instance = await component.instantiate((path) => {
      const module = modules.get(path)
      if (!module) throw new Error(`component core module ${path} is missing`)
      return module
    }, imports)
    const runInterface = Object.entries(instance).find(([name]) => name === 'run' || name.startsWith('wasi:cli/run'))?.[1]
    if (!runInterface || typeof runInterface.run !== 'function') {
      throw new ComponentRunError(`component exports no wasi:cli/run; exports: ${Object.keys(instance).join(', ') || '(none)'}`)
    }
    await runInterface.run()
  } catch (error) {
    if (error && typeof error === 'object' && (error as { exitError?: boolean }).exitError) {
      exitCode = (error as { code: number }).code
    } else {
      throw error
    }
  }
  const inputs = job.readWrite.map(([target, path]): [string, FileTreeNode] => {
    const node = lookup(root, path)
    return [target, node && 'source' in node ? { kind: 'file', data: fileBytes(node.source) } : exportFileData(node)]
  })
  return { exitCode, outputs: job.outputs.map(([name, path]) => [name, exportFileData(lookup(root, path))]), inputs }
}

/** The component could not be run (no wasi:cli/run export). */
export class ComponentRunError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ComponentRunError'
  }
}

function buildFileData(mounts: Mount[]): { dir: Record<string, FileData> } {
  const root: { dir: Record<string, FileData> } = { dir: {} }
  for (const mount of mounts) {
    const parts = pathComponents(mount.path)
    if (parts.length === 0) {
      if (mount.node?.kind === 'dir') Object.assign(root.dir, toFileData(mount.node).dir)
      continue
    }
    let dir = root
    for (const part of parts.slice(0, -1)) {
      const next = dir.dir[part]
      if (next && 'dir' in next) dir = next
      else dir = dir.dir[part] = { dir: {} }
    }
    dir.dir[parts[parts.length - 1]!] = toFileData(mount.node!)
  }
  return root
}

function toFileData(node: FileTreeNode): any {
  if (node.kind === 'file') return { source: node.data.slice() }
  const dir: Record<string, FileData> = {}
  for (const [name, child] of node.entries) dir[name] = toFileData(child)
  return { dir }
}

function lookup(root: FileData, path: string): FileData | undefined {
  let node: FileData | undefined = root
  for (const part of pathComponents(path)) node = node && 'dir' in node ? node.dir[part] : undefined
  return node
}

function exportFileData(node: FileData | undefined): DirectoryNode {
  const entries = new Map<string, FileTreeNode>()
  if (node && 'dir' in node) {
    for (const name of Object.keys(node.dir).sort()) {
      const child = node.dir[name]!
      if ('dir' in child) entries.set(name, exportFileData(child))
      else if ('source' in child) {
        entries.set(name, { kind: 'file', data: fileBytes(child.source) })
      }
    }
  }
  return { kind: 'dir', entries }
}

/** A copy of a shim file's contents. */
function fileBytes(source: unknown): Uint8Array {
  return typeof source === 'string' ? new TextEncoder().encode(source) : (source as Uint8Array).slice()
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
}

function base64(bytes: Uint8Array): string {
  let binary = ''
  for (let i = 0; i < bytes.byteLength; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return btoa(binary)
}

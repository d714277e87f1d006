/**
 * Runs one WASI preview1 command synchronously on the current thread: builds the filesystem,
 * instantiates import modules then the entry module, calls the entrypoint and returns the exit
 * code. The engine calls it inside a Worker; the conformance runner and benchmarks call it directly.
 */
import { DiskLimitError, WasiFilesystem } from './wasi-filesystem.ts'
import type { Mount, OpenedVolume } from './wasi-filesystem.ts'
import type { BlockImage } from './block-image.ts'
import { createWasiEnvironment, WasiHost, WASIProcExit } from './wasi-host.ts'
import { systemClock, systemRandom } from './wasi-clock.ts'
import type { RandomSource, WasiClock } from './wasi-clock.ts'

/** Import-module names every WASI module may use without an import module. */
export const WASI_MODULE_NAMES: readonly string[] = ['wasi_snapshot_preview1', 'wasi_unstable']

/** A module other modules import from, under each of `names`. */
export interface LinkedModule {
  names: string[]
  module: WebAssembly.Module
}

/** What {@link runWasiCommand} needs. */
export interface WasiCommandInit {
  module: WebAssembly.Module
  /** Instantiated first, in order; each may import from the ones before it. */
  importModules?: LinkedModule[]
  /** Export to call; `_start` by default. */
  entrypoint?: string
  args: string[]
  env: Record<string, string>
  mounts: Mount[]
  stdin?: Uint8Array
  onStdout: (data: Uint8Array) => void
  onStderr: (data: Uint8Array) => void
  clock?: WasiClock
  random?: RandomSource
  /** Bytes the job's writable files may hold together; default unbounded. */
  diskBudgetBytes?: number
  /** The opened volume of each volume mount, by its index in `mounts`. */
  volumes?: Map<number, OpenedVolume>
  /** The job's scratch image: files move there once in-memory files would pass `memoryFileBytes`. */
  image?: BlockImage
  memoryFileBytes?: number
  /** `module` already instantiated (see {@link prepareWasiStandby}); used up by this run. */
  standby?: WasiStandby
}

/** How a command ended. */
export interface WasiCommandResult {
  exitCode: number
  filesystem: WasiFilesystem
}

/** Why a command could not be run to an end; `limit`: it exceeded a budget (disk). */
export type WasiRunFailure = 'link' | 'entrypoint' | 'trap' | 'limit'

/** The command could not be linked, had no entrypoint, or trapped. */
export class WasiRunError extends Error {
  readonly failure: WasiRunFailure
  /** Size of the entry module's linear memory when it failed, in bytes. */
  readonly memoryBytes: number
  constructor(failure: WasiRunFailure, message: string, memoryBytes = 0, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause })
    this.name = 'WasiRunError'
    this.failure = failure
    this.memoryBytes = memoryBytes
  }
}

/** A module's imports and exports, read once per module (the engine and workers reuse modules). */
export interface ModuleShape {
  imports: WebAssembly.ModuleImportDescriptor[]
  exports: WebAssembly.ModuleExportDescriptor[]
  /** Whether every import is a WASI one (no import modules needed). */
  wasiOnly: boolean
}

const shapes = new WeakMap<WebAssembly.Module, ModuleShape>()

/** The imports and exports of `module` (cached; treat the result as read-only). */
export function moduleShape(module: WebAssembly.Module): ModuleShape {
  let shape = shapes.get(module)
  if (!shape) {
    const imports = WebAssembly.Module.imports(module)
    shape = { imports, exports: WebAssembly.Module.exports(module), wasiOnly: imports.every((entry) => WASI_MODULE_NAMES.includes(entry.module)) }
    shapes.set(module, shape)
  }
  return shape
}

/** The first import of `module` that neither WASI nor `providers` satisfies, as a message. */
export function findUnresolvedImport(module: WebAssembly.Module, providers: Map<string, WebAssembly.Module>): string | undefined {
  const shape = moduleShape(module)
  if (shape.wasiOnly) return undefined
  for (const entry of shape.imports) {
    if (WASI_MODULE_NAMES.includes(entry.module)) continue
    const provider = providers.get(entry.module)
    if (!provider) return `module imports ${entry.module}.${entry.name} which no import module provides`
    if (!moduleShape(provider).exports.some((e) => e.name === entry.name)) {
      return `module imports ${entry.module}.${entry.name} but import module ${JSON.stringify(entry.module)} does not export ${JSON.stringify(entry.name)}`
    }
  }
  return undefined
}

/**
 * An entry module instantiated ahead of the job that will run it: fresh linear memory, globals
 * and tables exactly as instantiation leaves them, and a host that serves nothing until the job's
 * environment is attached. Running it later is indistinguishable from instantiating then.
 */
export interface WasiStandby {
  module: WebAssembly.Module
  instance: WebAssembly.Instance
  host: WasiHost
}

/**
 * Instantiates `module` ahead of its next run, taking instantiation (the largest cost of a small
 * command) out of that run's latency. Only for a module that imports nothing but WASI and has no
 * start section, so that instantiating runs none of its code: the caller vouches for both.
 * Returns undefined when instantiation fails; the run itself will then report why.
 */
export function prepareWasiStandby(module: WebAssembly.Module): WasiStandby | undefined {
  if (!moduleShape(module).wasiOnly) return undefined
  const host = new WasiHost({ args: [], env: [], fds: [], clock: systemClock, random: systemRandom })
  const imports: WebAssembly.Imports = {}
  for (const name of WASI_MODULE_NAMES) imports[name] = host.imports
  try {
    const instance = new WebAssembly.Instance(module, imports)
    host.bind(instance)
    return { module, instance, host }
  } catch {
    return undefined
  }
}

/** Runs the command; resolves its exit code (any value), throws {@link WasiRunError} otherwise. */
export function runWasiCommand(init: WasiCommandInit): WasiCommandResult {
  const clock = init.clock ?? systemClock
  const filesystem = new WasiFilesystem({ now: () => clock.realtime(), budgetBytes: init.diskBudgetBytes, image: init.image, memoryLimitBytes: init.memoryFileBytes })
  for (const [index, mount] of init.mounts.entries()) filesystem.mount(mount, index, init.volumes?.get(index))
  const environment = createWasiEnvironment({
    args: init.args,
    env: init.env,
    filesystem,
    stdin: init.stdin,
    onStdout: init.onStdout,
    onStderr: init.onStderr,
    clock,
    random: init.random ?? systemRandom,
  })
  const imports: WebAssembly.Imports = {}
  const providers = new Map<string, WebAssembly.Module>()
  const instantiate = (module: WebAssembly.Module): { instance: WebAssembly.Instance; host: WasiHost } => {
    const unresolved = findUnresolvedImport(module, providers)
    if (unresolved) throw new WasiRunError('link', unresolved)
    const host = new WasiHost(environment)
    const moduleImports: WebAssembly.Imports = { ...imports }
    for (const name of WASI_MODULE_NAMES) moduleImports[name] = host.imports
    let instance: WebAssembly.Instance
    try {
      instance = new WebAssembly.Instance(module, moduleImports)
    } catch (error) {
      if (error instanceof WASIProcExit) throw error
      if (error instanceof DiskLimitError) throw new WasiRunError('limit', error.message, 0, error)
      const failure = error instanceof WebAssembly.LinkError ? 'link' : 'trap'
      throw new WasiRunError(failure, `instantiating the module failed: ${messageOf(error)}`, 0, error)
    }
    host.bind(instance)
    return { instance, host }
  }

  for (const linked of init.importModules ?? []) {
    const { instance } = instantiate(linked.module)
    for (const name of linked.names) {
      imports[name] = instance.exports as WebAssembly.ModuleImports
      providers.set(name, linked.module)
    }
  }
  const entrypoint = init.entrypoint || '_start'
  const exports = moduleShape(init.module).exports
  const exported = exports.find((e) => e.name === entrypoint)
  if (!exported || exported.kind !== 'function') {
    throw new WasiRunError('entrypoint', `module has no ${exported ? 'function ' : ''}export ${JSON.stringify(entrypoint)}; exports: ${exports.map((e) => e.name).join(', ') || '(none)'}`)
  }
  let host: WasiHost | undefined
  const standby = init.standby?.module === init.module && !init.importModules?.length ? init.standby : undefined
  try {
    if (standby) standby.host.attach(environment)
    const entry = standby ?? instantiate(init.module)
    host = entry.host
    ;(entry.instance.exports[entrypoint] as () => unknown)()
    return { exitCode: 0, filesystem }
  } catch (error) {
    if (error instanceof WASIProcExit) return { exitCode: error.code, filesystem }
    if (error instanceof WasiRunError) throw error
    if (error instanceof DiskLimitError) throw new WasiRunError('limit', error.message, host?.memory?.buffer.byteLength ?? 0, error)
    throw new WasiRunError('trap', messageOf(error), host?.memory?.buffer.byteLength ?? 0, error)
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

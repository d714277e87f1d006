/**
 * Runs one WASI preview1 command synchronously on the current thread: builds the filesystem,
 * instantiates import modules then the entry module, calls the entrypoint and returns the exit
 * code. The engine calls it inside a Worker; the conformance runner and benchmarks call it directly.
 */
import { WasiFilesystem } from './wasi-filesystem.ts'
import type { Mount } from './wasi-filesystem.ts'
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
}

/** How a command ended. */
export interface WasiCommandResult {
  exitCode: number
  filesystem: WasiFilesystem
}

/** Why a command could not be run to an end. */
export type WasiRunFailure = 'link' | 'entrypoint' | 'trap'

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

/** The first import of `module` that neither WASI nor `providers` satisfies, as a message. */
export function findUnresolvedImport(module: WebAssembly.Module, providers: Map<string, WebAssembly.Module>): string | undefined {
  for (const entry of WebAssembly.Module.imports(module)) {
    if (WASI_MODULE_NAMES.includes(entry.module)) continue
    const provider = providers.get(entry.module)
    if (!provider) return `module imports ${entry.module}.${entry.name} which no import module provides`
    if (!WebAssembly.Module.exports(provider).some((e) => e.name === entry.name)) {
      return `module imports ${entry.module}.${entry.name} but import module ${JSON.stringify(entry.module)} does not export ${JSON.stringify(entry.name)}`
    }
  }
  return undefined
}

/** Runs the command; resolves its exit code (any value), throws {@link WasiRunError} otherwise. */
export function runWasiCommand(init: WasiCommandInit): WasiCommandResult {
  const clock = init.clock ?? systemClock
  const filesystem = new WasiFilesystem(() => clock.realtime())
  for (const mount of init.mounts) filesystem.mount(mount)
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
  const exportNames = WebAssembly.Module.exports(init.module).map((e) => e.name)
  const exported = WebAssembly.Module.exports(init.module).find((e) => e.name === entrypoint)
  if (!exported || exported.kind !== 'function') {
    throw new WasiRunError('entrypoint', `module has no ${exported ? 'function ' : ''}export ${JSON.stringify(entrypoint)}; exports: ${exportNames.join(', ') || '(none)'}`)
  }
  let host: WasiHost | undefined
  try {
    const entry = instantiate(init.module)
    host = entry.host
    ;(entry.instance.exports[entrypoint] as () => unknown)()
    return { exitCode: 0, filesystem }
  } catch (error) {
    if (error instanceof WASIProcExit) return { exitCode: error.code, filesystem }
    if (error instanceof WasiRunError) throw error
    throw new WasiRunError('trap', messageOf(error), host?.memory?.buffer.byteLength ?? 0, error)
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/**
 * The `wasm` engine: runs a task's WASI module in a Worker, identically in a browser tab, on the
 * edge and on Node (the runtime injects the WorkerFactory). Preview1 core modules run on Shoal's
 * WASI host (wasi-host.ts); preview2 components run through jco (component-job.ts).
 */
import type { AbortOptions, Engine, EngineRunRequest, EngineRunResult, LongTimeout, VolumeSpace, WorkerErrorEvent, WorkerFactory } from '@shoal/interface'
import { clearLongTimeout, setLongTimeout } from '@shoal/interface'
import { AbortError, ExecutionError, TimeoutError } from '@shoal/models'
import type { Task } from '@shoal/models'
import { jobMounts, readModule } from './job-mounts.ts'
import type { JobMounts } from './job-mounts.ts'
import { outputTree } from './output-tree.ts'
import type { OutputSources } from './output-tree.ts'
import { compileWithCap, createModuleCache, sha256Hex } from './module-cache.ts'
import type { CompiledModule, CompiledModuleCache, CompileStats } from './module-cache.ts'
import { decodeWasmEngineParams } from './wasm-engine-params.ts'
import type { WasmEngineParams } from './wasm-engine-params.ts'
import { detectWasmBinaryKind, formatBytes, hasStartSection, MemoryCapError, ModuleLimitError, WASM_PAGE_BYTES } from './wasm-binary.ts'
import { findUnresolvedImport, moduleShape, WASI_MODULE_NAMES } from './wasi-command.ts'
import { WasiSignatureError } from './wasi-import-signatures.ts'
import type { Mount } from './wasi-filesystem.ts'
import type { WorkerVolume } from './worker-volume-access.ts'
import { WorkerPool } from './worker-pool.ts'
import type { PooledWorker } from './worker-pool.ts'
import { SentModules } from './worker-module-cache.ts'
import { LogRelay } from './log-relay.ts'
import { createResultChannelBuffer, ResultChannel } from './result-channel.ts'
import type { EngineToWorker, WorkerDoneMessage, WorkerFailedMessage, WorkerJob, WorkerToEngine } from './worker-protocol.ts'

/** Options of {@link createWasmEngine}. */
export interface WasmEngineOptions {
  /** Starts workers in this runtime (Web Worker, worker_threads wrapper, ...). */
  workerFactory: WorkerFactory
  /** The worker script; defaults to this package's engine-worker.ts. */
  workerUrl?: URL
  /** Jobs that run at once (one per worker). Default 2. */
  poolSize?: number
  /** Linear memory cap when a job sets none (Resources.Memory). Default 1 GiB. */
  defaultMemoryCapBytes?: number
  /** Budget of a job's written files when it sets no Resources.Disk (in the worker's memory, or in its scratch image). Default 1 GiB. */
  defaultDiskCapBytes?: number
  /**
   * Run WasmGC modules. Their objects live on the worker's JS heap, outside Resources.Memory: only
   * turn this on where each worker has a heap limit (node-runner's worker factory sets one).
   * Default false: such modules are refused.
   */
  allowWasmGc?: boolean
  /** Where compiled modules are kept between jobs; `false` compiles every time. Default: 64 in memory. */
  compileCache?: CompiledModuleCache | false
  /**
   * Volume kinds this runtime's workers open in place (node-runner: `host`, tabs: `opfs`): the
   * worker bootstrap installs a WorkerVolumeAccess for them with setWorkerVolumeAccess. Inputs of
   * other kinds are staged by the runner. Default none: every input arrives in memory.
   */
  volumeKinds?: readonly WorkerVolume['kind'][]
  /**
   * Bytes of files a job keeps in its worker's memory when it has a scratch image: a file that
   * would take the job past it moves into the image (see docs/ARCHITECTURE.md, "The data
   * plane"). Default {@link DEFAULT_MEMORY_FILE_BYTES}.
   */
  memoryFileBytes?: number
}

/** Counters an operator (or a test) can read. */
export interface WasmEngineStats {
  compileCacheHits: number
  compileCacheMisses: number
  /** Workers alive now. */
  workers: number
}

/** The `wasm` Engine, plus its counters. */
export interface WasmEngine extends Engine {
  readonly type: 'wasm'
  stats(): WasmEngineStats
}

/** 1 GiB: the memory cap of a job that sets none. */
export const DEFAULT_MEMORY_CAP_BYTES = 1024 * 1024 * 1024
/** 1 GiB: the budget of the files a job writes when it sets no Resources.Disk. */
export const DEFAULT_DISK_CAP_BYTES = 1024 * 1024 * 1024
/** 32 MiB: the files a job keeps in its worker's memory before they move into its scratch image. */
export const DEFAULT_MEMORY_FILE_BYTES = 32 * 1024 * 1024
/** The largest memory a 32-bit WebAssembly module can address: 4 GiB. */
const MAX_MEMORY32_BYTES = 65536 * WASM_PAGE_BYTES
const MAX_LINKED_MODULES = 64

/** Creates the `wasm` engine. Call `stop()` to terminate its workers. */
export function createWasmEngine(options: WasmEngineOptions): WasmEngine {
  const defaultCap = options.defaultMemoryCapBytes ?? DEFAULT_MEMORY_CAP_BYTES
  const defaultDisk = options.defaultDiskCapBytes ?? DEFAULT_DISK_CAP_BYTES
  const volumeKinds = [...new Set(options.volumeKinds ?? [])]
  const memoryFileBytes = options.memoryFileBytes ?? DEFAULT_MEMORY_FILE_BYTES
  const cache = options.compileCache === false ? undefined : (options.compileCache ?? createModuleCache())
  const compileStats: CompileStats = { hits: 0, misses: 0 }
  const pool = new WorkerPool({
    workerFactory: options.workerFactory,
    workerUrl: options.workerUrl ?? new URL('./engine-worker.ts', import.meta.url),
    size: Math.max(1, options.poolSize ?? 2),
  })
  let nextJobId = 1

  const compile = async (bytes: Uint8Array, what: string, capBytes: number): Promise<CompiledModule> => {
    try {
      return await compileWithCap(bytes, capBytes, cache, compileStats, options.allowWasmGc ?? false)
    } catch (error) {
      if (error instanceof MemoryCapError) {
        throw new ExecutionError(`out of memory: ${what} ${error.message} (Resources.Memory)`, {
          component: 'wasm',
          hint: `raise the task's Resources.Memory above ${formatBytes(error.declaredBytes)} or build the module with a smaller initial memory`,
        })
      }
      if (error instanceof WasiSignatureError) {
        throw new ExecutionError(`${what} ${error.message}`, {
          component: 'wasm',
          hint: 'the module was built against another WASI: rebuild it for wasm32-wasi (WASI preview1), or fix the import declaration',
        })
      }
      if (error instanceof ModuleLimitError) {
        throw new ExecutionError(`refused: ${what}: ${error.message}`, {
          component: 'wasm',
          cause: error,
          details: { code: error.code },
          hint: moduleLimitHint(error),
        })
      }
      throw new ExecutionError(`${what} is not a valid WebAssembly module: ${messageOf(error)}`, {
        component: 'wasm',
        cause: error,
        hint: 'check that the input holds a .wasm file built for wasm32-wasi (WASI preview1) or a WASI preview2 component',
      })
    }
  }

  const prepareJob = async (request: EngineRunRequest, params: WasmEngineParams, mounts: Mount[], capBytes: number) => {
    const entry = await readModule(mounts, params.EntryModule, request.space)
    if ('problem' in entry) {
      throw new ExecutionError(`entry module ${params.EntryModule} not found: ${entry.problem}`, {
        component: 'wasm',
        hint: `set Engine.Params.EntryModule to the Target of an input source (targets: ${request.inputs.map((i) => i.input.Target).join(', ') || 'none'})`,
      })
    }
    const kind = detectWasmBinaryKind(entry.bytes)
    if (kind === 'invalid') {
      throw new ExecutionError(`entry module ${entry.path} is not a WebAssembly module: it does not start with the "\\0asm" header of version 1 or a component`, {
        component: 'wasm',
        hint: 'point Engine.Params.EntryModule at a .wasm file',
      })
    }
    if (kind === 'component') {
      if (params.ImportModules.length > 0) {
        throw new ExecutionError('import modules are not supported for WASI preview2 components', { component: 'wasm', hint: 'compose the component with its dependencies instead' })
      }
      return { kind, componentBytes: entry.bytes, importModules: [] as LinkedCompiledModule[] }
    }
    const module = await compile(entry.bytes, `entry module ${entry.path}`, capBytes)
    const linked = await linkImportModules(module.module, params, mounts, request.space, (bytes, what) => compile(bytes, what, capBytes))
    const exports = moduleShape(module.module).exports
    const target = exports.find((e) => e.name === params.Entrypoint)
    if (!target || target.kind !== 'function') {
      throw new ExecutionError(
        `module has no ${target ? 'function ' : ''}export ${JSON.stringify(params.Entrypoint)}; exports: ${exports.map((e) => e.name).join(', ') || '(none)'}`,
        { component: 'wasm', hint: 'set Engine.Params.Entrypoint to one of the exported functions (WASI commands export _start)' },
      )
    }
    let startSection = startSections.get(module.module)
    if (startSection === undefined) startSections.set(module.module, (startSection = hasStartSection(entry.bytes)))
    return { kind, module, importModules: linked, standby: linked.length === 0 && !startSection && moduleShape(module.module).wasiOnly }
  }

  const run = async (request: EngineRunRequest, { signal }: AbortOptions = {}): Promise<EngineRunResult> => {
    if (signal?.aborted) throw new AbortError('the job was cancelled before it started', { component: 'wasm' })
    const { params, problems } = decodeWasmEngineParams(request.task)
    if (problems.length > 0) throw new ExecutionError(problems.join('; '), { component: 'wasm' })
    let mounts: ReturnType<typeof jobMounts>
    try {
      mounts = jobMounts(request, volumeKinds)
    } catch (error) {
      throw new ExecutionError(`cannot build the job's filesystem: ${messageOf(error)}`, { component: 'wasm', cause: error })
    }
    const capBytes = Math.min(request.limits.memoryBytes > 0 ? request.limits.memoryBytes : defaultCap, MAX_MEMORY32_BYTES)
    const prepared = await prepareJob(request, params, mounts.mounts, capBytes)
    const disk = await scratchImage(request, mounts)
    const env: Record<string, string> = { ...request.env, ...params.EnvironmentVariables }
    for (const [key, value] of Object.entries(request.env)) if (key.startsWith('BACALHAU_')) env[key] = value
    const job: PreparedJob = {
      kind: prepared.kind,
      module: prepared.module,
      componentBytes: prepared.componentBytes,
      importModules: prepared.importModules,
      entrypoint: params.Entrypoint,
      args: ['', ...params.Parameters],
      env,
      mounts: mounts.mounts,
      outputs: mounts.outputs,
      readWrite: mounts.readWrite,
      outputBytes: Math.max(0, request.limits.outputBytes),
      streamLogs: request.onLog !== undefined,
      memoryCapBytes: capBytes,
      diskBudgetBytes: disk.budgetBytes,
      image: disk.image,
      memoryFileBytes,
      standby: prepared.standby ?? false,
      deterministic: request.deterministic && {
        epochNs: BigInt(Math.trunc(request.deterministic.epochNs)),
        seed: (await sha256Bytes(request.deterministic.seed)).subarray(0, 16),
      },
    }
    const sources: OutputSources = { space: request.space, image: disk.image, mountVolume: (index) => mounts.mounts[index]?.volume }
    return runInWorker(pool, nextJobId++, job, request, capBytes, signal, sources)
  }

  /**
   * Where the job's writable files go. In memory, as before, unless the job has somewhere to
   * write (a ResultPath or a read-write input), its budget exceeds what it may keep in memory and
   * the workers can open files of the node's space: then the engine creates a scratch image in
   * the space and takes the job's disk budget from it.
   */
  const scratchImage = async (request: EngineRunRequest, mounts: JobMounts): Promise<{ budgetBytes: number; image?: WorkerVolume }> => {
    const budgetSet = (request.limits.diskBytes ?? 0) > 0
    let budgetBytes = budgetSet ? request.limits.diskBytes! : defaultDisk
    const writable = mounts.outputs.length > 0 || mounts.readWrite.length > 0
    const readWriteVolume = mounts.mounts.find((mount) => mount.volume && !mount.readOnly)
    const spaceKind = request.space.kind as WorkerVolume['kind'] | 'memory'
    const imageable = spaceKind !== 'memory' && volumeKinds.includes(spaceKind)
    if (!writable || (budgetBytes <= memoryFileBytes && !readWriteVolume) || !imageable) {
      if (readWriteVolume) {
        throw new ExecutionError(`the read-write input at ${readWriteVolume.path} needs a scratch image for the job's writes, and this node's ${request.space.kind} space cannot give its WASM workers one`, {
          component: 'wasm',
          hint: 'mount the input read-only, or run the job on a node whose space its WASM workers can open (node-runner: host; tabs: opfs)',
        })
      }
      return { budgetBytes }
    }
    if (!request.space.reserve(request.executionId, budgetBytes)) {
      const usage = request.space.usage()
      if (budgetSet || readWriteVolume) {
        throw new ExecutionError(
          `the job's disk budget does not fit on this node: Resources.Disk is ${formatBytes(budgetBytes)} but only ${formatBytes(usage.freeBytes)} of the node's ${formatBytes(usage.totalBytes)} disk budget are free`,
          { component: 'wasm', hint: "lower the task's Resources.Disk, or run the job on a node with more free disk" },
        )
      }
      // No Resources.Disk: the job gets what the node has free, in memory when that is little.
      budgetBytes = usage.freeBytes
      if (budgetBytes <= memoryFileBytes || !request.space.reserve(request.executionId, budgetBytes)) return { budgetBytes: Math.min(defaultDisk, Math.max(budgetBytes, memoryFileBytes)) }
    }
    const image = await request.space.createFile(request.executionId, 'wasm-scratch')
    return { budgetBytes, image: image as WorkerVolume }
  }

  return {
    type: 'wasm',
    mounts: ['memory', ...volumeKinds],
    validate: (task: Task) => decodeWasmEngineParams(task).problems,
    run,
    isInstalled: async () => typeof WebAssembly === 'object',
    stop: () => pool.stop(),
    stats: () => ({ compileCacheHits: compileStats.hits, compileCacheMisses: compileStats.misses, workers: pool.size }),
  }
}

/** A compiled import module and the names it is linked under. */
interface LinkedCompiledModule {
  names: string[]
  compiled: CompiledModule
}

/** A job before it has a worker: the modules themselves, turned into references per worker. */
type PreparedJob = Omit<WorkerJob, 'module' | 'importModules'> & { module?: CompiledModule; importModules: LinkedCompiledModule[] }

/** Compiles the import modules (listed, then any the modules name by path) in dependency order. */
async function linkImportModules(
  entry: WebAssembly.Module,
  params: WasmEngineParams,
  mounts: Mount[],
  space: VolumeSpace,
  compile: (bytes: Uint8Array, what: string) => Promise<CompiledModule>,
): Promise<LinkedCompiledModule[]> {
  // The common case: a WASI command that imports nothing else.
  if (params.ImportModules.length === 0 && moduleShape(entry).wasiOnly) return []
  const byName = new Map<string, WebAssembly.Module>()
  const linked: { names: string[]; module: WebAssembly.Module; compiled: CompiledModule }[] = []
  const add = async (target: string) => {
    const found = await readModule(mounts, target, space)
    if ('problem' in found) {
      throw new ExecutionError(`import module ${target} not found: ${found.problem}`, {
        component: 'wasm',
        hint: 'list in Engine.Params.ImportModules only Targets of input sources holding .wasm modules',
      })
    }
    if (detectWasmBinaryKind(found.bytes) !== 'module') {
      throw new ExecutionError(`import module ${target} is not a WebAssembly core module`, { component: 'wasm' })
    }
    const compiled = await compile(found.bytes, `import module ${target}`)
    const module = compiled.module
    // Upstream names an import module by its path in the job's filesystem; accept it with and
    // without the leading slash, as given and as resolved to the .wasm inside a directory.
    const names = [...new Set([target, found.path].flatMap((p) => [p, p.replace(/^\/+/, ''), '/' + p.replace(/^\/+/, '')]))]
    linked.push({ names, module, compiled })
    for (const name of names) byName.set(name, module)
  }
  for (const target of params.ImportModules) await add(target)
  // Modules imported by path without being listed are loaded from the mounts too (as upstream).
  for (let i = 0; i <= linked.length && linked.length < MAX_LINKED_MODULES; i++) {
    const module = i === linked.length ? entry : linked[i]!.module
    for (const { module: name } of moduleShape(module).imports) {
      if (WASI_MODULE_NAMES.includes(name) || byName.has(name)) continue
      // A file, or a directory holding one .wasm file (an inline tar.gz input), as upstream's loader resolves names.
      const found = await readModule(mounts, '/' + name.replace(/^\/+/, ''), space)
      if (!('problem' in found) && detectWasmBinaryKind(found.bytes) === 'module') await add(name)
    }
    if (i === linked.length) break
  }
  // Order so that every module comes after the modules it imports from.
  const ordered: LinkedCompiledModule[] = []
  const available = new Map<string, WebAssembly.Module>()
  const pending = [...linked]
  while (pending.length > 0) {
    const index = pending.findIndex((candidate) => findUnresolvedImport(candidate.module, available) === undefined)
    if (index < 0) {
      const problem = findUnresolvedImport(pending[0]!.module, byName) ?? 'the import modules import each other in a cycle'
      throw new ExecutionError(`import module ${pending[0]!.names[0]}: ${problem}`, { component: 'wasm' })
    }
    const [next] = pending.splice(index, 1)
    ordered.push({ names: next!.names, compiled: next!.compiled })
    for (const name of next!.names) available.set(name, next!.module)
  }
  const unresolved = findUnresolvedImport(entry, available)
  if (unresolved) {
    throw new ExecutionError(unresolved, {
      component: 'wasm',
      hint: 'add the module that provides it to Engine.Params.ImportModules (by its input Target), or rebuild without that import',
    })
  }
  return ordered
}

/** Whether a compiled module runs a start function when instantiated (read from its bytes once). */
const startSections = new WeakMap<WebAssembly.Module, boolean>()

/** What the engine keeps per pooled worker (dropped with the worker). */
interface WorkerState {
  /** The compiled modules it holds. */
  modules: SentModules
  /** Its result channel, where memory can be shared; posted with its first job. */
  channel: ResultChannel | undefined
  channelPosted: boolean
}

const workerStates = new WeakMap<PooledWorker, WorkerState>()

function workerState(pooled: PooledWorker): WorkerState {
  let state = workerStates.get(pooled)
  if (!state) {
    const buffer = createResultChannelBuffer()
    state = { modules: new SentModules(), channel: buffer && new ResultChannel(buffer), channelPosted: false }
    workerStates.set(pooled, state)
  }
  return state
}

/** The run message for `pooled`: modules it already holds travel by key only. */
function runMessage(state: WorkerState, id: number, prepared: PreparedJob): EngineToWorker {
  const sent = state.modules
  const job: WorkerJob = {
    ...prepared,
    module: prepared.module && sent.ref(prepared.module),
    importModules: prepared.importModules.map((linked) => ({ names: linked.names, module: sent.ref(linked.compiled) })),
  }
  const inUse = new Set(prepared.importModules.map((linked) => linked.compiled.key))
  if (prepared.module) inUse.add(prepared.module.key)
  const message: EngineToWorker = { type: 'run', id, job, forget: sent.evict(inUse) }
  if (state.channel && !state.channelPosted) message.resultChannel = state.channel.buffer
  return message
}

function runInWorker(
  pool: WorkerPool,
  id: number,
  job: PreparedJob,
  request: EngineRunRequest,
  capBytes: number,
  signal: AbortSignal | undefined,
  sources: OutputSources,
): Promise<EngineRunResult> {
  return pool.acquire({ signal }).then(
    (pooled) =>
      new Promise<EngineRunResult>((resolve, reject) => {
        const worker = pooled.worker
        const state = workerState(pooled)
        const channel = state.channel
        let timer: LongTimeout | undefined
        let settled = false
        const logs = request.onLog && new LogRelay(request.onLog)
        const finish = (outcome: () => void, healthy: boolean) => {
          if (settled) return
          settled = true
          channel?.release()
          clearLongTimeout(timer)
          signal?.removeEventListener('abort', onAbort)
          pooled.job = undefined
          if (healthy) pool.release(pooled)
          else pool.discard(pooled)
          // The caller gets every log chunk before the outcome.
          if (logs) void logs.drained().then(outcome)
          else outcome()
        }
        const onMessage = (data: unknown) => {
          const message = data as WorkerToEngine
          if (!message || !('id' in message) || message.id !== id) return
          if (message.type === 'log') {
            logs?.push({ stream: message.stream, data: message.data })
          } else if (message.type === 'done') {
            onDone(message)
          } else if (message.type === 'failed') {
            finish(() => reject(failureError(message, capBytes)), message.failure !== 'internal')
          }
        }
        const onDone = (message: WorkerDoneMessage) => {
          const result: EngineRunResult = {
            exitCode: message.exitCode,
            stdout: message.stdout,
            stderr: message.stderr,
            stdoutTruncated: message.stdoutTruncated,
            stderrTruncated: message.stderrTruncated,
            outputs: new Map(message.outputs.map(([name, tree]) => [name, outputTree(tree, sources)])),
            ...(message.inputs.length > 0 ? { inputs: new Map(message.inputs.map(([target, tree]) => [target, outputTree(tree, sources)])) } : {}),
          }
          finish(() => resolve(result), true)
        }
        const checkChannel = () => {
          const message = settled ? undefined : channel?.take(id)
          if (message) onDone(message)
        }
        const onError = (event: WorkerErrorEvent) => {
          const detail = event.message ?? messageOf(event.error)
          if (event.reason === 'out-of-memory') {
            const error = new ExecutionError(
              `memory limit exceeded: the job's WASM worker reached its heap limit (${detail}) and was stopped; only this job failed`,
              { component: 'wasm', cause: event.error, hint: "raise the task's Resources.Memory, or make the program allocate less (tables, host buffers)" },
            )
            finish(() => reject(error), false)
            return
          }
          finish(() => reject(new ExecutionError(`the WASM worker crashed: ${detail}`, { component: 'wasm', cause: event.error })), false)
        }
        const onAbort = () =>
          finish(() => reject(new AbortError('the job was cancelled; its WASM worker was stopped', { component: 'wasm' })), false)
        pooled.job = { onMessage, onError }
        signal?.addEventListener('abort', onAbort, { once: true })
        if (request.limits.timeoutMs > 0) {
          // Any ExecutionTimeout: a plain setTimeout past 24.8 days would fire at once.
          timer = setLongTimeout(
            () =>
              finish(
                () =>
                  reject(
                    new TimeoutError(`the job ran longer than its ${formatDuration(request.limits.timeoutMs)} execution timeout and was stopped`, {
                      component: 'wasm',
                      hint: 'raise Timeouts.ExecutionTimeout, or make the program finish sooner',
                    }),
                  ),
                false,
              ),
            request.limits.timeoutMs,
          )
        }
        try {
          const message = runMessage(state, id, job)
          channel?.arm(id)
          worker.postMessage(message)
          state.channelPosted ||= message.resultChannel !== undefined
        } catch (error) {
          finish(() => reject(new ExecutionError(`cannot hand the job to a WASM worker: ${messageOf(error)}`, { component: 'wasm', cause: error })), false)
          return
        }
        // A small job is often finished by now; otherwise wait for the channel (or a message).
        checkChannel()
        if (!settled) channel?.whenChanged(checkChannel)
      }),
  )
}

/** The error for a job the worker could not run to an end. */
function failureError(message: WorkerFailedMessage, capBytes: number): ExecutionError {
  const cap = formatBytes(capBytes)
  if (message.failure === 'trap') {
    if (message.memoryBytes >= capBytes - capBytes / 16) {
      return new ExecutionError(`out of memory: the module tried to grow linear memory beyond the ${cap} cap (Resources.Memory); it then trapped: ${message.message}`, {
        component: 'wasm',
        hint: 'raise the task\'s Resources.Memory, or make the program use less memory',
        details: { memoryBytes: message.memoryBytes, capBytes },
      })
    }
    if (message.memoryBytes > capBytes / 2) {
      return new ExecutionError(
        `the module trapped (${message.message}) with ${formatBytes(message.memoryBytes)} of linear memory in use out of a ${cap} cap (Resources.Memory): it may have run out of memory`,
        { component: 'wasm', details: { memoryBytes: message.memoryBytes, capBytes } },
      )
    }
    return new ExecutionError(`the module trapped: ${message.message}`, { component: 'wasm', hint: 'a trap is a crash inside the program (e.g. abort, unreachable, out-of-bounds access): see its stderr' })
  }
  if (message.failure === 'limit') {
    return new ExecutionError(message.message, { component: 'wasm', hint: "raise the task's Resources.Disk, or make the program write less" })
  }
  if (message.failure === 'internal') return new ExecutionError(`the WASM worker failed: ${message.message}`, { component: 'wasm' })
  return new ExecutionError(message.message, { component: 'wasm' })
}

function moduleLimitHint(error: ModuleLimitError): string {
  if (error.code === 'gc-types') return 'build the program for linear memory (wasm32-wasi, without -mgc / a GC target)'
  if (error.code === 'table-too-large') return "raise the task's Resources.Memory, or declare a smaller table"
  return 'build the program as a single-memory WASI module (wasm32-wasi)'
}

async function sha256Bytes(text: string): Promise<Uint8Array> {
  const hex = await sha256Hex(new TextEncoder().encode(text))
  return Uint8Array.from(hex.match(/../g)!, (h) => parseInt(h, 16))
}

function formatDuration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

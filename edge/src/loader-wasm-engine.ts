/**
 * The `wasm` engine of edge compute nodes. workerd compiles no WASM bytes received at run time
 * and has no Worker constructor, so each job runs in a worker loaded through the Worker Loader
 * binding: its modules are the bundled job host (job-host-worker.ts: the WASM engine's worker-job
 * code and WASI host, as in tabs and on Node) and the job's module as `job.wasm`, which the loader
 * compiles when it loads the worker. The loaded worker has no network (`globalOutbound: null`).
 *
 * Limits: Resources.Memory caps the module's linear memory (capModule, as everywhere); the disk
 * budget holds in the job's in-memory filesystem; ExecutionTimeout is enforced from outside (the
 * engine stops waiting and fails the job). Stopping the loaded worker's CPU is up to the platform:
 * in production `limits.cpuMs` ends it; locally workerd enforces no CPU limit and a job that
 * loops forever blocks the whole workerd process (docs/EDGE.md).
 */
import type { AbortOptions, Engine, EngineRunRequest, EngineRunResult, LongTimeout } from '@shoal/interface'
import { clearLongTimeout, setLongTimeout } from '@shoal/interface'
import { AbortError, ExecutionError, TimeoutError, type Task } from '@shoal/models'
import {
  capModule,
  decodeWasmEngineParams,
  DEFAULT_DISK_CAP_BYTES,
  DEFAULT_MEMORY_CAP_BYTES,
  DEFAULT_MEMORY_FILE_BYTES,
  detectWasmBinaryKind,
  jobMounts,
  MemoryCapError,
  ModuleLimitError,
  outputTree,
  readModule,
  type WorkerFailedMessage,
  type WorkerJob,
  type WorkerToEngine,
} from '@shoal/wasm'

/** What the Worker Loader is given for one loaded worker (the slice of WorkerCode used here). */
export interface LoadedWorkerCode {
  compatibilityDate: string
  mainModule: string
  modules: Record<string, string | { wasm: ArrayBuffer }>
  /** `null`: the loaded worker cannot open any connection. */
  globalOutbound: null
  /** Enforced in production only (not by local workerd). */
  limits?: { cpuMs?: number }
}

/** The loaded worker's entrypoint (job-host-worker.ts), reached over Workers RPC. */
export interface JobHostEntrypoint {
  run(job: WorkerJob): Promise<WorkerToEngine[]>
}

/** The Worker Loader binding (`env.LOADER`, wrangler.jsonc `worker_loaders`). */
export interface WorkerLoader {
  get(id: string, code: () => LoadedWorkerCode | Promise<LoadedWorkerCode>): { getEntrypoint(): JobHostEntrypoint }
}

/** Options of {@link createLoaderWasmEngine}. */
export interface LoaderWasmEngineOptions {
  loader: WorkerLoader
  /** Source of the bundled job host (edge/build/job-host.txt). */
  hostSource: string
  /** compatibility_date of the loaded workers. */
  compatibilityDate: string
  /** Linear memory cap of a job that sets no Resources.Memory (default 1 GiB; a Worker has 128 MB in production). */
  defaultMemoryCapBytes?: number
  /** Budget of a job's written files without Resources.Disk (default 1 GiB). */
  defaultDiskCapBytes?: number
}

/** The largest memory a 32-bit WebAssembly module can address: 4 GiB. */
const MAX_MEMORY32_BYTES = 4 * 1024 * 1024 * 1024

/** Creates the edge's `wasm` engine over a Worker Loader binding. */
export function createLoaderWasmEngine(options: LoaderWasmEngineOptions): Engine {
  const defaultCap = options.defaultMemoryCapBytes ?? DEFAULT_MEMORY_CAP_BYTES
  const defaultDisk = options.defaultDiskCapBytes ?? DEFAULT_DISK_CAP_BYTES

  const run = async (request: EngineRunRequest, { signal }: AbortOptions = {}): Promise<EngineRunResult> => {
    if (signal?.aborted) throw new AbortError('the job was cancelled before it started', { component: 'wasm' })
    const { params, problems } = decodeWasmEngineParams(request.task)
    if (problems.length > 0) throw new ExecutionError(problems.join('; '), { component: 'wasm' })
    if (params.ImportModules.length > 0) {
      throw new ExecutionError('import modules are not supported on edge compute nodes (Engine.Params.ImportModules)', {
        component: 'wasm',
        hint: 'link the modules into one before submitting, or run the job on a node-runner or browser node (e.g. a Constraint on runtime!=edge)',
      })
    }
    let mounts: ReturnType<typeof jobMounts>
    try {
      mounts = jobMounts(request, [])
    } catch (error) {
      throw new ExecutionError(`cannot build the job's filesystem: ${messageOf(error)}`, { component: 'wasm', cause: error })
    }
    const entry = await readModule(mounts.mounts, params.EntryModule, request.space)
    if ('problem' in entry) {
      throw new ExecutionError(`entry module ${params.EntryModule} not found: ${entry.problem}`, {
        component: 'wasm',
        hint: `set Engine.Params.EntryModule to the Target of an input source (targets: ${request.inputs.map((i) => i.input.Target).join(', ') || 'none'})`,
      })
    }
    const kind = detectWasmBinaryKind(entry.bytes)
    if (kind === 'component') {
      throw new ExecutionError('WASI preview2 components do not run on edge compute nodes: jco compiles WASM at run time, which workerd refuses', {
        component: 'wasm',
        hint: 'run the component on a node-runner or browser node, or build the program as a WASI preview1 module',
      })
    }
    if (kind === 'invalid') {
      throw new ExecutionError(`entry module ${entry.path} is not a WebAssembly module: it does not start with the "\\0asm" header of version 1`, {
        component: 'wasm',
        hint: 'point Engine.Params.EntryModule at a .wasm file',
      })
    }
    const capBytes = Math.min(request.limits.memoryBytes > 0 ? request.limits.memoryBytes : defaultCap, MAX_MEMORY32_BYTES)
    let capped: Uint8Array
    try {
      capped = capModule(entry.bytes, { memoryCapBytes: capBytes })
    } catch (error) {
      if (error instanceof MemoryCapError) {
        throw new ExecutionError(`out of memory: entry module ${entry.path} ${error.message} (Resources.Memory)`, { component: 'wasm', hint: "raise the task's Resources.Memory" })
      }
      if (error instanceof ModuleLimitError) {
        throw new ExecutionError(`refused: entry module ${entry.path}: ${error.message}`, { component: 'wasm', details: { code: error.code } })
      }
      throw new ExecutionError(`entry module ${entry.path} is not a valid WebAssembly module: ${messageOf(error)}`, { component: 'wasm', cause: error })
    }
    const env: Record<string, string> = { ...request.env, ...params.EnvironmentVariables }
    for (const [key, value] of Object.entries(request.env)) if (key.startsWith('BACALHAU_')) env[key] = value
    const job: WorkerJob = {
      kind: 'module',
      importModules: [],
      entrypoint: params.Entrypoint,
      args: ['', ...params.Parameters],
      env,
      mounts: mounts.mounts,
      outputs: mounts.outputs,
      readWrite: mounts.readWrite,
      outputBytes: Math.max(0, request.limits.outputBytes),
      streamLogs: false,
      memoryCapBytes: capBytes,
      diskBudgetBytes: (request.limits.diskBytes ?? 0) > 0 ? request.limits.diskBytes! : defaultDisk,
      memoryFileBytes: DEFAULT_MEMORY_FILE_BYTES,
      standby: false,
      deterministic: request.deterministic && {
        epochNs: BigInt(Math.trunc(request.deterministic.epochNs)),
        seed: (await sha256(new TextEncoder().encode(request.deterministic.seed))).subarray(0, 16),
      },
    }
    const timeoutMs = request.limits.timeoutMs
    // One loaded worker per module and CPU limit: a repeat job reuses it (get() of a loaded id is cheap).
    const cpuMs = timeoutMs > 0 ? Math.min(timeoutMs, 300_000) : undefined
    const id = `shoal-job-${hex(await sha256(capped))}-${cpuMs ?? 'none'}`
    const wasm = capped.slice().buffer
    const host = options.loader.get(id, () => ({
      compatibilityDate: options.compatibilityDate,
      mainModule: 'main.js',
      modules: { 'main.js': options.hostSource, 'job.wasm': { wasm } },
      globalOutbound: null,
      ...(cpuMs !== undefined ? { limits: { cpuMs } } : {}),
    }))
    const messages = await outsideLimits(host.getEntrypoint().run(job), timeoutMs, signal)
    for (const message of messages) if (message.type === 'log') request.onLog?.({ stream: message.stream, data: message.data })
    const outcome = messages.find((message) => message.type === 'done' || message.type === 'failed')
    if (outcome === undefined) throw new ExecutionError('the edge job host returned no outcome', { component: 'wasm' })
    if (outcome.type === 'failed') throw failureError(outcome, capBytes)
    if (outcome.type !== 'done') throw new ExecutionError('the edge job host returned no outcome', { component: 'wasm' })
    const sources = { space: request.space, mountVolume: () => undefined }
    return {
      exitCode: outcome.exitCode,
      stdout: outcome.stdout,
      stderr: outcome.stderr,
      stdoutTruncated: outcome.stdoutTruncated,
      stderrTruncated: outcome.stderrTruncated,
      outputs: new Map(outcome.outputs.map(([name, tree]) => [name, outputTree(tree, sources)])),
      ...(outcome.inputs.length > 0 ? { inputs: new Map(outcome.inputs.map(([target, tree]) => [target, outputTree(tree, sources)])) } : {}),
    }
  }

  return {
    type: 'wasm',
    mounts: ['memory'],
    validate: (task: Task) => decodeWasmEngineParams(task).problems,
    run,
    isInstalled: async () => true,
    stop: async () => {},
  }
}

/**
 * The loaded worker's answer, unless the ExecutionTimeout passes or the job is cancelled first:
 * then the job fails with that reason at once. The loaded worker is not stopped by this (workerd
 * offers no way to); in production its limits.cpuMs ends it.
 */
function outsideLimits<T>(running: Promise<T>, timeoutMs: number, signal: AbortSignal | undefined): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let timer: LongTimeout | undefined
    const settle = (fn: () => void) => {
      clearLongTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
      fn()
    }
    const onAbort = () => settle(() => reject(new AbortError('the job was cancelled; the edge compute node stopped waiting for its loaded worker', { component: 'wasm' })))
    // Cancelled while the job was being prepared: the abort event has already fired.
    if (signal?.aborted) return onAbort()
    signal?.addEventListener('abort', onAbort, { once: true })
    if (timeoutMs > 0) {
      timer = setLongTimeout(
        () =>
          settle(() =>
            reject(
              new TimeoutError(`the job ran longer than its ${formatDuration(timeoutMs)} execution timeout and was stopped`, {
                component: 'wasm',
                hint: 'raise Timeouts.ExecutionTimeout, or make the program finish sooner',
              }),
            ),
          ),
        timeoutMs,
      )
    }
    running.then(
      (value) => settle(() => resolve(value)),
      (error) => settle(() => reject(new ExecutionError(`the edge job host failed: ${messageOf(error)}`, { component: 'wasm', cause: error }))),
    )
  })
}

/** The error of a job the loaded worker could not run to an end. */
function failureError(message: WorkerFailedMessage, capBytes: number): ExecutionError {
  if (message.failure === 'trap' && message.memoryBytes >= capBytes - capBytes / 16) {
    return new ExecutionError(`out of memory: the module tried to grow linear memory beyond its cap (Resources.Memory); it then trapped: ${message.message}`, {
      component: 'wasm',
      hint: "raise the task's Resources.Memory, or make the program use less memory",
    })
  }
  if (message.failure === 'trap') return new ExecutionError(`the module trapped: ${message.message}`, { component: 'wasm', hint: 'a trap is a crash inside the program: see its stderr' })
  if (message.failure === 'limit') return new ExecutionError(message.message, { component: 'wasm', hint: "raise the task's Resources.Disk, or make the program write less" })
  if (message.failure === 'internal') return new ExecutionError(`the edge job host failed: ${message.message}`, { component: 'wasm' })
  return new ExecutionError(message.message, { component: 'wasm' })
}

async function sha256(bytes: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>))
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
}

function formatDuration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

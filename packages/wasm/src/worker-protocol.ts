/**
 * Messages between the engine (on the page / main thread) and its WASM workers. Everything here is
 * structured-cloneable: WebAssembly.Module, Map, Uint8Array and bigint all cross postMessage.
 */
import type { Mount } from './wasi-filesystem.ts'
import type { WorkerVolume } from './worker-volume-access.ts'

/** A compiled core module by content key; the module itself only when the worker does not hold it yet. */
export interface WorkerModuleRef {
  key: string
  module?: WebAssembly.Module
}

/** A compiled core module and the import-module names it is linked under. */
export interface WorkerLinkedModule {
  names: string[]
  module: WorkerModuleRef
}

/** What a worker needs to run one job. */
export interface WorkerJob {
  /** `module`: WASI preview1 core module; `component`: WASI preview2 component (bytes, run through jco). */
  kind: 'module' | 'component'
  module?: WorkerModuleRef
  componentBytes?: Uint8Array
  importModules: WorkerLinkedModule[]
  entrypoint: string
  args: string[]
  env: Record<string, string>
  mounts: Mount[]
  /** Absolute paths of the ResultPath mounts, by ResultPath Name. */
  outputs: [name: string, path: string][]
  /** Read-write inputs whose final contents go back to the engine: Target and absolute path. */
  readWrite: [target: string, path: string][]
  /** Bytes of stdout and of stderr kept (and streamed); the rest is counted and dropped. */
  outputBytes: number
  /** Whether the engine wants log batches while the job runs. */
  streamLogs: boolean
  deterministic?: { epochNs: bigint; seed: Uint8Array }
  /** Bytes the job's writable files may hold together (in memory and in the scratch image). */
  diskBudgetBytes: number
  /**
   * The job's scratch image, a file the worker opens read-write through its WorkerVolumeAccess:
   * files that would take the job's in-memory files past `memoryFileBytes` move into it.
   * Absent: every file stays in memory.
   */
  image?: WorkerVolume
  /** Bytes of in-memory files a job with an image keeps before files move into it. */
  memoryFileBytes: number
  /** Linear memory cap; core modules arrive already capped, components are capped in the worker. */
  memoryCapBytes: number
  /**
   * Whether the worker may instantiate the entry module ahead of its next job once this one is
   * done (it imports only WASI and has no start section, so instantiating runs none of its code).
   */
  standby: boolean
}

/**
 * A file of a job's outputs (or read-write inputs) as the worker hands it back: its bytes when
 * it was in memory; its block list in the scratch image (block `n` at byte `n *
 * IMAGE_BLOCK_BYTES`, -1 reads as zeros); or, for a file of a volume the job never changed, the
 * volume (`mount`, its index in the job's mounts) and path to read it from.
 */
export type OutputFile =
  | { kind: 'file'; data: Uint8Array }
  | { kind: 'blocks'; size: number; blocks: number[] }
  | { kind: 'source'; size: number; mount: number; path: string }

/** A directory of a job's outputs. */
export interface OutputDirectory {
  kind: 'dir'
  entries: Map<string, OutputNode>
}

/** A file or directory of a job's outputs. */
export type OutputNode = OutputFile | OutputDirectory

/**
 * Engine -> worker: run `job`, after dropping the modules keyed in `forget`. `resultChannel`
 * comes with a worker's first job where memory can be shared (result-channel.ts).
 */
export type EngineToWorker = { type: 'run'; id: number; job: WorkerJob; forget: string[]; resultChannel?: SharedArrayBuffer }

/** A batch of output produced while running. */
export interface WorkerLogMessage {
  type: 'log'
  id: number
  stream: 1 | 2
  data: Uint8Array
}

/** The job ran to an end (any exit code). */
export interface WorkerDoneMessage {
  type: 'done'
  id: number
  exitCode: number
  stdout: Uint8Array
  stderr: Uint8Array
  stdoutTruncated: boolean
  stderrTruncated: boolean
  outputs: [name: string, tree: OutputDirectory][]
  /** Final contents of the read-write inputs, by Target. */
  inputs: [target: string, tree: OutputNode][]
}

/** The job could not be run to an end. */
export interface WorkerFailedMessage {
  type: 'failed'
  id: number
  failure: 'link' | 'entrypoint' | 'trap' | 'limit' | 'internal'
  message: string
  /** The entry module's linear memory size when it failed. */
  memoryBytes: number
  stdout: Uint8Array
  stderr: Uint8Array
}

/** Worker -> engine. `ready` is sent once the worker's script has loaded. */
export type WorkerToEngine = { type: 'ready' } | WorkerLogMessage | WorkerDoneMessage | WorkerFailedMessage

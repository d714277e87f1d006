/**
 * Messages between the engine (on the page / main thread) and its WASM workers. Everything here is
 * structured-cloneable: WebAssembly.Module, Map, Uint8Array and bigint all cross postMessage.
 */
import type { DirectoryNode, FileTreeNode } from '@shoal/interface'
import type { Mount } from './wasi-filesystem.ts'

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
  /** Bytes the job's writable files may hold together (its in-memory filesystem). */
  diskBudgetBytes: number
  /** Linear memory cap; core modules arrive already capped, components are capped in the worker. */
  memoryCapBytes: number
  /**
   * Whether the worker may instantiate the entry module ahead of its next job once this one is
   * done (it imports only WASI and has no start section, so instantiating runs none of its code).
   */
  standby: boolean
}

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
  outputs: [name: string, tree: DirectoryNode][]
  /** Final contents of the read-write inputs, by Target. */
  inputs: [target: string, tree: FileTreeNode][]
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

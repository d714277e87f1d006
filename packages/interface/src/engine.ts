import type { Job, Task, InputSource, SpecConfig } from '@shoal/models'
import type { AbortOptions } from './abort.ts'
import type { ReadableTree } from './readable-tree.ts'
import type { Volume, VolumeKind, VolumeSpace } from './volume.ts'

/** An input after its storage provider prepared it: the spec and where its bytes are. */
export interface PreparedInput {
  input: InputSource
  /**
   * A file or a directory, mounted read-only at `input.Target` (or read-write for `local` :rw),
   * of a kind the engine listed in {@link Engine.mounts} (the runner stages it when not).
   */
  volume: Volume
  /** Mount writable; the engine returns the final contents in {@link EngineRunResult.inputs}. */
  readWrite?: boolean
}

/** Limits an engine enforces on one run. */
export interface ExecutionLimits {
  /** Wall clock; the run is stopped and fails when exceeded. 0 = none. */
  timeoutMs: number
  /** Linear memory cap in bytes. */
  memoryBytes: number
  /** Bytes the job's files may hold together (Resources.Disk); 0 = the engine's default. */
  diskBytes?: number
  /** Cap of each of stdout and stderr kept in full, in bytes; more is dropped and flagged truncated. */
  outputBytes: number
}

/** Deterministic mode: same inputs give byte-identical outputs on any node. */
export interface DeterminismOptions {
  /** Seed of the pseudo-random generator behind random_get. */
  seed: string
  /** Virtual clock start, Unix nanoseconds. */
  epochNs: number
}

/** A log line streamed while a job runs (1 = stdout, 2 = stderr). */
export interface LogChunk {
  stream: 1 | 2
  data: Uint8Array
}

/** Everything an engine needs to run one execution. */
export interface EngineRunRequest {
  executionId: string
  job: Job
  task: Task
  partitionIndex: number
  inputs: PreparedInput[]
  /** The node's storage for this execution's data (owner: executionId), e.g. for a scratch image. */
  space: VolumeSpace
  /** Environment given to the task, BACALHAU_* variables included. */
  env: Record<string, string>
  limits: ExecutionLimits
  deterministic?: DeterminismOptions
  /** Called as output is produced, for `logs --follow`. */
  onLog?: (chunk: LogChunk) => void
}

/** What a run produced. A non-zero exit code is a result, not an error. */
export interface EngineRunResult {
  exitCode: number
  stdout: Uint8Array
  stderr: Uint8Array
  stdoutTruncated: boolean
  stderrTruncated: boolean
  /**
   * One directory per ResultPath Name, with what the task wrote there, readable until the
   * runner releases the execution's space.
   */
  outputs: Map<string, ReadableTree>
  /** Final contents of each read-write input, by its Target (absent when there are none). */
  inputs?: Map<string, ReadableTree>
}

/**
 * An execution engine (wasm, docker, noop). `run` resolves with the result of a run that ended
 * (any exit code) and rejects with an ExecutionError/TimeoutError/AbortError when the engine
 * could not run it to an end.
 */
export interface Engine {
  readonly type: string
  /** Kinds of input volume it mounts as they are; others are staged into the node's space. Default: memory. */
  readonly mounts?: readonly VolumeKind[]
  /** Problems with a task this engine would refuse, as messages; [] when fine. */
  validate?(task: Task): string[]
  run(request: EngineRunRequest, options?: AbortOptions): Promise<EngineRunResult>
  /** Whether the engine can run here now (e.g. dockerd reachable). */
  isInstalled?(): Promise<boolean>
  stop?(): Promise<void>
}

/** Engines by type. */
export type EngineProvider = Map<string, Engine>

/** Convenience: an engine's result Publisher spec, e.g. for testing. */
export type PublishedResult = SpecConfig

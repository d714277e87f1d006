import {
  AbortError,
  ExecutionError,
  ExecutionState,
  ShoalError,
  TimeoutError,
  type Execution,
  type Job,
  type Resources,
  type RunCommandResult,
  type SpecConfig,
  type Task,
  verificationReplicas,
} from '@shoal/models'
import { readTreeIntoMemory } from '@shoal/interface'
import type {
  FileTreeNode,
  BytesProgress,
  Clock,
  DeterminismOptions,
  Engine,
  EngineRunResult,
  Logger,
  PreparedInput,
  ProgressEvent,
  Publisher,
  StorageProvider,
  Volume,
  VolumeKind,
  VolumeSpace,
} from '@shoal/interface'
import type { ExecutionLogStore } from './execution-log-store.ts'
import { spaceFullError } from './memory-volume-space.ts'
import { resultDigest } from './result-digest.ts'
import { resultTree } from './result-directory.ts'
import { runOutputOf } from './run-output.ts'

/** How an execution ended. Cancelled executions report nothing: the requester asked for it. */
export type ExecutionOutcome =
  | { kind: 'completed'; runOutput: RunCommandResult; publishedResult: SpecConfig | null }
  | { kind: 'failed'; errorCode: string; message: string; runOutput?: RunCommandResult }
  | { kind: 'cancelled'; reason: string }
  /** A verified job's run: its result is held (not published) until the requester's verdict. */
  | { kind: 'held'; runOutput: RunCommandResult; digest: string; result: FileTreeNode }

/** Output limits of a run. */
export interface RunLimits {
  /** Cap of each of stdout and stderr kept in full. */
  outputBytes: number
  /** Bytes of each stream shown in RunOutput. */
  previewBytes: number
}

/** The plug-ins and services one run uses. */
export interface ExecutionRunnerComponents {
  engines: ReadonlyMap<string, Engine>
  storages: ReadonlyMap<string, StorageProvider>
  publishers: ReadonlyMap<string, Publisher>
  logs: ExecutionLogStore
  /** Where the execution's inputs and outputs are kept; everything it holds is released after the run. */
  space: VolumeSpace
  clock: Clock
  logger: Logger
}

/** One execution to run. */
export interface ExecutionRunRequest {
  nodeId: string
  execution: Execution
  job: Job
  task: Task
  resources: Resources
  limits: RunLimits
  /** Reports progress (ComputeState Running, Publishing) to the requester. */
  onState(state: number, message: string): void
  /** Aborted when the requester cancels the execution or the node stops. */
  signal: AbortSignal
  /** Bytes moved by storage providers and publishers, as they move them. */
  onProgress?: (event: ProgressEvent<BytesProgress>) => void
}

const list = (names: Iterable<string>): string => [...names].sort().join(', ') || 'none'

/** Environment of a task: engine-level variables, then Task.Env, then the BACALHAU_* set. */
export function taskEnvironment(request: Pick<ExecutionRunRequest, 'execution' | 'job' | 'task'>): Record<string, string> {
  const env: Record<string, string> = {}
  const engineEnv = request.task.Engine?.Params?.EnvironmentVariables
  if (Array.isArray(engineEnv)) {
    for (const entry of engineEnv) {
      if (typeof entry !== 'string') continue
      const eq = entry.indexOf('=')
      if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1)
    }
  } else if (typeof engineEnv === 'object' && engineEnv !== null) {
    for (const [key, value] of Object.entries(engineEnv)) if (typeof value === 'string') env[key] = value
  }
  Object.assign(env, request.task.Env ?? {})
  env.BACALHAU_JOB_ID = request.job.ID
  env.BACALHAU_EXECUTION_ID = request.execution.ID
  env.BACALHAU_PARTITION_INDEX = String(request.execution.PartitionIndex ?? 0)
  env.BACALHAU_PARTITION_COUNT = String(request.job.Count || 1)
  env.BACALHAU_JOB_TYPE = request.job.Type ?? 'batch'
  return env
}

function describe(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err)
  const hint = err instanceof ShoalError && err.hint ? ` (${err.hint})` : ''
  return message + hint
}

const codeOf = (err: unknown, fallback: string): string => (err instanceof ShoalError ? err.code : fallback)

/** Caps a stream at `max` bytes, flagging truncation. */
function cap(bytes: Uint8Array, truncated: boolean, max: number): [Uint8Array, boolean] {
  return bytes.byteLength > max ? [bytes.subarray(0, max), true] : [bytes, truncated]
}

/**
 * Runs one execution end to end: prepare inputs, run the engine under the execution timeout,
 * build the result directory and publish it. Never throws; every failure becomes a `failed`
 * outcome whose message says which step failed, and a run that did not end properly never
 * becomes `completed`. Whatever the execution held in the node's space is deleted at the end.
 */
export async function runExecution(request: ExecutionRunRequest, components: ExecutionRunnerComponents): Promise<ExecutionOutcome> {
  try {
    return await runExecutionSteps(request, components)
  } finally {
    await components.space.release(request.execution.ID).catch((err: unknown) => {
      components.logger.warn(`could not delete the data of execution ${request.execution.ID}: ${describe(err)}`)
    })
  }
}

/**
 * The input as a volume `engine` mounts: as it is when it can, else copied into the node's space
 * (when the engine mounts that kind) or into memory, within the space's free bytes.
 */
async function stageInput(volume: Volume, mounts: readonly VolumeKind[], space: VolumeSpace, context: { owner: string; name: string; label: string; signal: AbortSignal; onProgress?: ExecutionRunRequest['onProgress'] }): Promise<Volume> {
  if (mounts.includes(volume.kind)) return volume
  const tree = space.read(volume)
  if (mounts.includes(space.kind)) return space.write(context.owner, tree, { name: context.name, label: context.label, signal: context.signal, onProgress: context.onProgress })
  if (!mounts.includes('memory')) throw new Error(`the engine cannot mount a ${volume.kind} volume, nor one of this node's ${space.kind} space`)
  const usage = space.usage()
  const node = await readTreeIntoMemory(tree, { signal: context.signal, maxBytes: usage.freeBytes, tooLarge: () => spaceFullError(context.label, tree.size, space.usage()) })
  return { kind: 'memory', node }
}

async function runExecutionSteps(request: ExecutionRunRequest, components: ExecutionRunnerComponents): Promise<ExecutionOutcome> {
  const { execution, job, task, limits } = request
  const id = execution.ID
  const cancelled = (): ExecutionOutcome => ({ kind: 'cancelled', reason: describe(request.signal.reason) })

  const engine = components.engines.get(task.Engine?.Type)
  if (!engine) {
    return { kind: 'failed', errorCode: 'ExecutionError', message: `node lacks engine ${task.Engine?.Type} (has: ${list(components.engines.keys())})` }
  }
  const publisherType = task.Publisher?.Type ?? ''
  const publisher = publisherType === '' ? undefined : components.publishers.get(publisherType)
  if (publisherType !== '' && !publisher) {
    return { kind: 'failed', errorCode: 'PublishError', message: `node lacks publisher ${publisherType} (has: ${list(components.publishers.keys())})` }
  }

  const runningMessage = `running on ${request.nodeId}`
  request.onState(ExecutionState.Running, runningMessage)

  // 1. Inputs.
  const inputs: PreparedInput[] = []
  let moved = false
  const forward = request.onProgress
  const onProgress: ExecutionRunRequest['onProgress'] = forward && ((event) => {
    moved = true
    forward(event)
  })
  for (const [index, input] of (task.InputSources ?? []).entries()) {
    const type = input.Source?.Type
    const storage = components.storages.get(type)
    if (!storage) {
      return { kind: 'failed', errorCode: 'StorageError', message: `node lacks storage ${type} for InputSources[${index}] (has: ${list(components.storages.keys())})` }
    }
    try {
      // inputIndex lets a provider name the field in its messages (InputSources[i].Source…).
      const context = { executionId: id, jobId: job.ID, signal: request.signal, inputIndex: index, space: components.space, onProgress }
      const prepared = await storage.prepare(input, context)
      const label = `InputSources[${index}] (${type})`
      const volume = await stageInput(prepared, engine.mounts ?? ['memory'], components.space, { owner: id, name: `input-${index}`, label, signal: request.signal, onProgress })
      // Writable only when the source asks for it and its provider can write the result back.
      const readWrite = input.Source?.Params?.ReadWrite === true && typeof storage.commit === 'function'
      inputs.push({ input, volume, readWrite })
    } catch (err) {
      if (request.signal.aborted) return cancelled()
      const message = describe(err)
      return {
        kind: 'failed',
        errorCode: codeOf(err, 'StorageError'),
        message: message.includes(`InputSources[${index}]`) ? message : `could not prepare InputSources[${index}] (${type}, for ${input.Target}): ${message}`,
      }
    }
  }

  // The state message said how far the inputs had come; now it says the job runs.
  if (moved) request.onState(ExecutionState.Running, runningMessage)

  // 2. Run, under the execution timeout.
  const timeoutSeconds = task.Timeouts?.ExecutionTimeout ?? 0
  const runController = new AbortController()
  const onCancel = () => runController.abort(request.signal.reason)
  request.signal.addEventListener('abort', onCancel, { once: true })
  if (request.signal.aborted) onCancel()
  let timedOut = false
  const timer =
    timeoutSeconds > 0
      ? components.clock.setTimeout(() => {
          timedOut = true
          runController.abort(new TimeoutError(`execution timed out after ${timeoutSeconds}s`))
        }, timeoutSeconds * 1000)
      : undefined
  let result: EngineRunResult
  try {
    const running = engine.run(
      {
        executionId: id,
        job,
        task,
        partitionIndex: execution.PartitionIndex ?? 0,
        inputs,
        space: components.space,
        env: taskEnvironment(request),
        limits: { timeoutMs: timeoutSeconds * 1000, memoryBytes: request.resources.Memory, diskBytes: request.resources.Disk, outputBytes: limits.outputBytes },
        // A verified job always runs deterministically: replicas on different nodes must agree byte for byte.
        deterministic: deterministicOptions(job, execution.PartitionIndex ?? 0, verificationReplicas(job) > 0 ? { ...task.Engine.Params, Deterministic: true } : task.Engine.Params),
        onLog: (chunk) => components.logs.append(id, chunk.stream, chunk.data),
      },
      { signal: runController.signal },
    )
    // An engine that ignores its signal must not hold the execution (and its capacity) hostage.
    running.catch(() => {})
    const aborted = new Promise<never>((_, reject) => {
      if (runController.signal.aborted) reject(runController.signal.reason)
      runController.signal.addEventListener('abort', () => reject(runController.signal.reason), { once: true })
    })
    aborted.catch(() => {})
    result = await Promise.race([running, aborted])
  } catch (err) {
    if (timedOut || err instanceof TimeoutError) {
      return { kind: 'failed', errorCode: 'Timeout', message: `execution timed out after ${timeoutSeconds > 0 ? timeoutSeconds : '?'}s` }
    }
    if (request.signal.aborted) return cancelled()
    const code = err instanceof AbortError ? 'ExecutionError' : codeOf(err, 'ExecutionError')
    return { kind: 'failed', errorCode: code, message: `${engine.type} engine failed: ${describe(err)}` }
  } finally {
    if (timer !== undefined) components.clock.clearTimeout(timer)
    request.signal.removeEventListener('abort', onCancel)
  }
  if (request.signal.aborted) return cancelled()

  const [stdout, stdoutTruncated] = cap(result.stdout, result.stdoutTruncated, limits.outputBytes)
  const [stderr, stderrTruncated] = cap(result.stderr, result.stderrTruncated, limits.outputBytes)
  if (!components.logs.hasOutput(id)) {
    // The engine did not stream: make the finished output readable through `job logs`.
    components.logs.append(id, 1, stdout)
    components.logs.append(id, 2, stderr)
  }
  const run = { exitCode: result.exitCode, stdout, stderr, stdoutTruncated, stderrTruncated }
  const runOutput = runOutputOf(run, limits.previewBytes)

  // 3. Write read-write inputs back (the run ended, whatever its exit code), before publishing.
  const committed = await commitReadWriteInputs(inputs, result, components.storages, { executionId: id, jobId: job.ID, signal: request.signal })
  if (request.signal.aborted) return cancelled()
  if (committed) return { kind: 'failed', errorCode: committed.errorCode, message: committed.message, runOutput: { ...runOutput, ErrorMsg: committed.message } }

  // 4. A verified job's result is held, unpublished, with its digest: the requester compares the
  // replicas' digests and asks one agreeing node to publish.
  if (verificationReplicas(job) > 0) {
    try {
      const tree = resultTree({ ...run, outputs: result.outputs, resultPaths: task.ResultPaths ?? [] })
      const held = await readTreeIntoMemory(tree, {
        signal: request.signal,
        maxBytes: VERIFIED_RESULT_MAX_BYTES,
        tooLarge: () => new ExecutionError(`the result of a verified job is held in memory until it is verified, and this one is larger than ${VERIFIED_RESULT_MAX_BYTES} bytes; write less, or run the job unverified`),
      })
      return { kind: 'held', runOutput, digest: await resultDigest(held), result: held }
    } catch (err) {
      if (request.signal.aborted) return cancelled()
      const message = `could not hold the result for verification: ${describe(err)}`
      return { kind: 'failed', errorCode: codeOf(err, 'ExecutionError'), message, runOutput: { ...runOutput, ErrorMsg: message } }
    }
  }

  // 5. Publish.
  if (!publisher) return { kind: 'completed', runOutput, publishedResult: null }
  request.onState(ExecutionState.Publishing, `publishing results with ${publisher.type}`)
  try {
    const publishedResult = await publisher.publish({
      executionId: id,
      nodeId: request.nodeId,
      job,
      spec: task.Publisher,
      result: resultTree({ ...run, outputs: result.outputs, resultPaths: task.ResultPaths ?? [] }),
      signal: request.signal,
      onProgress: request.onProgress,
    })
    if (request.signal.aborted) return cancelled()
    return { kind: 'completed', runOutput, publishedResult }
  } catch (err) {
    if (request.signal.aborted) return cancelled()
    const message = `could not publish results with ${publisher.type}: ${describe(err)}`
    return { kind: 'failed', errorCode: codeOf(err, 'PublishError'), message, runOutput: { ...runOutput, ErrorMsg: message } }
  }
}

/**
 * Hands each read-write input's final contents (as the engine returned them) to its storage
 * provider's commit. Returns the failure of the first that could not be written back.
 */
async function commitReadWriteInputs(
  inputs: PreparedInput[],
  result: EngineRunResult,
  storages: ReadonlyMap<string, StorageProvider>,
  context: { executionId: string; jobId: string; signal: AbortSignal },
): Promise<{ errorCode: string; message: string } | undefined> {
  for (const [index, prepared] of inputs.entries()) {
    if (!prepared.readWrite) continue
    const { input } = prepared
    // An engine that did not return the input left it as it was: nothing to write back.
    const contents = result.inputs?.get(input.Target)
    const storage = storages.get(input.Source.Type)
    if (contents === undefined || storage?.commit === undefined) continue
    try {
      // inputIndex lets a provider name the field in its messages, as in prepare.
      const withIndex = { ...context, inputIndex: index }
      await storage.commit(input, contents, withIndex)
    } catch (err) {
      return {
        errorCode: codeOf(err, 'StorageError'),
        message: `the job ran, but its changes to read-write InputSources[${index}] (${input.Source.Type}, at ${input.Target}) could not be written back: ${describe(err)}`,
      }
    }
  }
  return undefined
}

/** Most result bytes a node holds in memory per verified execution while its replicas are compared. */
export const VERIFIED_RESULT_MAX_BYTES = 256 * 1024 * 1024

/** Start of the virtual clock of deterministic runs: 2023-11-14T22:13:20Z, in Unix nanoseconds. */
export const DETERMINISTIC_EPOCH_NS = 1_700_000_000 * 1e9

/**
 * Deterministic-mode options when the task asks for it (Engine.Params.Deterministic). The seed
 * depends only on the job, its version and the partition — not on the node or the execution —
 * so every node running the same partition produces byte-identical output.
 */
export function deterministicOptions(job: Job, partitionIndex: number, params: Record<string, unknown> | undefined): DeterminismOptions | undefined {
  if (params?.Deterministic !== true) return undefined
  return { seed: `${job.ID}/v${job.Version}/p${partitionIndex}`, epochNs: DETERMINISTIC_EPOCH_NS }
}

/**
 * Runs one {@link WorkerJob} inside a worker and reports through `post`: log batches while it runs,
 * then exactly one `done` or `failed` message.
 */
import type { DirectoryNode, FileTreeNode } from '@shoal/interface'
import { CappedOutput, LogBatcher } from './capped-output.ts'
import { createSeededRandom, createVirtualClock, systemClock, systemRandom } from './wasi-clock.ts'
import type { RandomSource, WasiClock } from './wasi-clock.ts'
import { runWasiCommand, WasiRunError } from './wasi-command.ts'
import type { WorkerJob, WorkerToEngine } from './worker-protocol.ts'
import { ComponentRunError, runComponentJob } from './component-job.ts'
import { MemoryCapError, ModuleLimitError } from './wasm-binary.ts'
import type { WorkerDoneMessage, WorkerFailedMessage } from './worker-protocol.ts'
import type { HeldModules } from './worker-module-cache.ts'
import { writeResult } from './result-channel.ts'

/** Sends a message to the engine, transferring `transfer`. */
export type PostToEngine = (message: WorkerToEngine, transfer?: Transferable[]) => void

/** The clock and random source a job sees: virtual and seeded in deterministic mode. */
export function jobSources(job: WorkerJob): { clock: WasiClock; random: RandomSource } {
  if (!job.deterministic) return { clock: systemClock, random: systemRandom }
  return { clock: createVirtualClock(job.deterministic.epochNs), random: createSeededRandom(job.deterministic.seed) }
}

/** What a worker keeps between jobs. */
export interface WorkerJobContext {
  post: PostToEngine
  modules: HeldModules
  /** Where small results go instead of a message, when the engine shared one. */
  resultChannel?: SharedArrayBuffer
}

/** Runs `job` (numbered `id`) to an end and reports its outcome. */
export async function runWorkerJob(id: number, job: WorkerJob, context: WorkerJobContext): Promise<void> {
  const { post, modules } = context
  const batcher = job.streamLogs
    ? new LogBatcher((stream, data) => post({ type: 'log', id, stream, data }, [data.buffer as ArrayBuffer]))
    : undefined
  const stdout = new CappedOutput(job.outputBytes, batcher && ((data) => batcher.push(1, data)))
  const stderr = new CappedOutput(job.outputBytes, batcher && ((data) => batcher.push(2, data)))
  const sources = jobSources(job)
  try {
    let exitCode: number
    let outputs: [string, DirectoryNode][]
    let inputs: [string, FileTreeNode][]
    if (job.kind === 'component') {
      const result = await runComponentJob(job, { stdout, stderr, ...sources })
      exitCode = result.exitCode
      outputs = result.outputs
      inputs = result.inputs
    } else {
      const result = runWasiCommand({
        module: modules.take(job.module!),
        standby: modules.takeStandby(job.module!.key),
        importModules: job.importModules.map((linked) => ({ names: linked.names, module: modules.take(linked.module) })),
        entrypoint: job.entrypoint,
        args: job.args,
        env: job.env,
        mounts: job.mounts,
        diskBudgetBytes: job.diskBudgetBytes,
        onStdout: (data) => stdout.write(data),
        onStderr: (data) => stderr.write(data),
        ...sources,
      })
      exitCode = result.exitCode
      outputs = job.outputs.map(([name, path]) => [name, result.filesystem.export(path)])
      inputs = job.readWrite.map(([target, path]) => [target, result.filesystem.exportNode(path)])
    }
    batcher?.flush()
    const message: WorkerDoneMessage = {
      type: 'done',
      id,
      exitCode,
      stdout: stdout.bytes(),
      stderr: stderr.bytes(),
      stdoutTruncated: stdout.truncated,
      stderrTruncated: stderr.truncated,
      outputs,
      inputs,
    }
    // Log messages must reach the engine before the result, so streaming jobs post it too.
    const shared = context.resultChannel && !job.streamLogs && writeResult(context.resultChannel, message)
    if (!shared) post(message, transferables(message.stdout, message.stderr, [...outputs, ...inputs]))
  } catch (error) {
    batcher?.flush()
    const [failure, message] = classify(error)
    const failed: WorkerFailedMessage = {
      type: 'failed',
      id,
      failure,
      message,
      memoryBytes: error instanceof WasiRunError ? error.memoryBytes : 0,
      stdout: stdout.bytes(),
      stderr: stderr.bytes(),
    }
    post(failed, transferables(failed.stdout, failed.stderr, []))
    return
  }
  // While the engine takes the result, get the next run of this module ready.
  if (job.standby && job.module) modules.prepareStandby(job.module.key)
}

/**
 * The buffers of a result, to transfer rather than copy: each was made for the message (captured
 * output, exported files), so the worker has no further use for them.
 */
function transferables(stdout: Uint8Array, stderr: Uint8Array, outputs: [string, FileTreeNode][]): Transferable[] {
  const buffers = new Set<ArrayBuffer>()
  const add = (node: FileTreeNode) => {
    if (node.kind === 'file') buffers.add(node.data.buffer as ArrayBuffer)
    else for (const child of node.entries.values()) add(child)
  }
  buffers.add(stdout.buffer as ArrayBuffer)
  buffers.add(stderr.buffer as ArrayBuffer)
  for (const [, tree] of outputs) add(tree)
  return [...buffers]
}

/** Why a job failed, for the engine: link/entrypoint/trap leave the worker usable, internal does not. */
function classify(error: unknown): [WorkerFailedMessage['failure'], string] {
  const message = error instanceof Error ? error.message : String(error)
  if (error instanceof WasiRunError) return [error.failure, message]
  if (error instanceof MemoryCapError) return ['link', `out of memory: the component ${message} (Resources.Memory)`]
  if (error instanceof ModuleLimitError) return ['link', `refused: the component's core module: ${message}`]
  if (error instanceof ComponentRunError) return ['entrypoint', message]
  if (error instanceof WebAssembly.RuntimeError || error instanceof RangeError) return ['trap', message]
  return ['internal', message]
}

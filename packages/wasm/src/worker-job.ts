/**
 * Runs one {@link WorkerJob} inside a worker and reports through `post`: log batches while it runs,
 * then exactly one `done` or `failed` message.
 */
import { CappedOutput, type DirectoryNode, type FileTreeNode } from '@shoal/interface'
import { BlockImage, readFully } from './block-image.ts'
import type { Mount, OpenedVolume } from './wasi-filesystem.ts'
import { workerVolumeAccess } from './worker-volume-access.ts'
import type { SyncFile, WorkerVolumeAccess } from './worker-volume-access.ts'
import type { OutputDirectory, OutputNode } from './worker-protocol.ts'
import { LogBatcher } from './log-batcher.ts'
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
  // Every handle the job opened, closed before the engine reads the image (OPFS requires it).
  const handles: SyncFile[] = []
  try {
    let exitCode: number
    let outputs: [string, OutputDirectory][]
    let inputs: [string, OutputNode][]
    const volumes = await openVolumes(job, handles)
    const imageFile = job.image && (await requireAccess(job.image.kind).open(job.image, '', 'readwrite'))
    if (imageFile) handles.push(imageFile)
    if (job.kind === 'component') {
      const mounts = job.mounts.map((mount, index): Mount => (volumes.has(index) ? { ...mount, volume: undefined, node: volumeInMemory(volumes.get(index)!) } : mount))
      const result = await runComponentJob({ ...job, mounts }, { stdout, stderr, ...sources })
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
        volumes,
        image: imageFile && new BlockImage(imageFile),
        memoryFileBytes: job.memoryFileBytes,
        diskBudgetBytes: job.diskBudgetBytes,
        onStdout: (data) => stdout.write(data),
        onStderr: (data) => stderr.write(data),
        ...sources,
      })
      exitCode = result.exitCode
      outputs = job.outputs.map(([name, path]) => [name, result.filesystem.export(path)])
      inputs = job.readWrite.map(([target, path]) => [target, result.filesystem.exportNode(path)])
    }
    closeAll(handles)
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
    closeAll(handles)
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
function transferables(stdout: Uint8Array, stderr: Uint8Array, outputs: [string, OutputNode][]): Transferable[] {
  const buffers = new Set<ArrayBuffer>()
  const add = (node: OutputNode) => {
    if (node.kind === 'file') buffers.add(node.data.buffer as ArrayBuffer)
    else if (node.kind === 'dir') for (const child of node.entries.values()) add(child)
  }
  buffers.add(stdout.buffer as ArrayBuffer)
  buffers.add(stderr.buffer as ArrayBuffer)
  for (const [, tree] of outputs) add(tree)
  return [...buffers]
}

/** The worker's volume access for `kind`, or an error saying the runtime installed none. */
function requireAccess(kind: string): WorkerVolumeAccess {
  const access = workerVolumeAccess()
  if (!access || !access.kinds.includes(kind as never)) {
    throw new VolumeAccessError(`this worker cannot open ${kind} volumes: its runtime installed no access for them (setWorkerVolumeAccess)`)
  }
  return access
}

/** A volume could not be listed or opened before the run. */
class VolumeAccessError extends Error {
  constructor(message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause })
    this.name = 'VolumeAccessError'
  }
}

/**
 * Lists every volume mount and opens its files for reading, before the program starts (opening
 * may be asynchronous, reads during the run are not). Read-write inputs are opened read-only too:
 * the job's writes are copied into its scratch image, never into the input.
 */
async function openVolumes(job: WorkerJob, handles: SyncFile[]): Promise<Map<number, OpenedVolume>> {
  const opened = new Map<number, OpenedVolume>()
  for (const [index, mount] of job.mounts.entries()) {
    if (!mount.volume) continue
    const access = requireAccess(mount.volume.kind)
    try {
      const entries = await access.list(mount.volume)
      const files = new Map<string, SyncFile>()
      for (const entry of entries) {
        if (entry.kind !== 'file') continue
        const file = await access.open(mount.volume, entry.path, 'read')
        handles.push(file)
        files.set(entry.path, file)
      }
      opened.set(index, { entries, files })
    } catch (error) {
      throw new VolumeAccessError(`cannot open the input mounted at ${mount.path}: ${error instanceof Error ? error.message : String(error)}`, error)
    }
  }
  return opened
}

/** A volume's files read into memory, for components (their filesystem is jco's, in memory). */
function volumeInMemory(opened: OpenedVolume): FileTreeNode {
  const read = (path: string, size: number): FileTreeNode => {
    const data = new Uint8Array(size)
    readFully(opened.files.get(path)!, data, 0)
    return { kind: 'file', data }
  }
  const root = opened.entries.find((e) => e.path === '')
  if (root) return read('', root.size)
  const top: DirectoryNode = { kind: 'dir', entries: new Map() }
  const directories = new Map<string, DirectoryNode>([['', top]])
  for (const entry of opened.entries) {
    const slash = entry.path.lastIndexOf('/')
    const parent = directories.get(slash < 0 ? '' : entry.path.slice(0, slash))!
    const node: FileTreeNode = entry.kind === 'directory' ? { kind: 'dir', entries: new Map() } : read(entry.path, entry.size)
    if (node.kind === 'dir') directories.set(entry.path, node)
    parent.entries.set(entry.path.slice(slash + 1), node)
  }
  return top
}

/** Flushes and closes every handle; the engine reads the image only after this. */
function closeAll(handles: SyncFile[]): void {
  for (const handle of handles.splice(0)) {
    try {
      handle.flush()
    } catch {}
    try {
      handle.close()
    } catch {}
  }
}

/** Why a job failed, for the engine: link/entrypoint/trap leave the worker usable, internal does not. */
function classify(error: unknown): [WorkerFailedMessage['failure'], string] {
  const message = error instanceof Error ? error.message : String(error)
  if (error instanceof WasiRunError) return [error.failure, message]
  if (error instanceof MemoryCapError) return ['link', `out of memory: the component ${message} (Resources.Memory)`]
  if (error instanceof ModuleLimitError) return ['link', `refused: the component's core module: ${message}`]
  if (error instanceof ComponentRunError) return ['entrypoint', message]
  if (error instanceof VolumeAccessError) return ['link', message]
  if (error instanceof WebAssembly.RuntimeError || error instanceof RangeError) return ['trap', message]
  return ['internal', message]
}

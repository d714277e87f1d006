/**
 * A job's result handed back through shared memory instead of a message, where memory can be
 * shared (Node; browsers only when cross-origin isolated). The engine finds a small result there
 * as soon as its postMessage returns when the worker has already finished (on a busy machine the
 * woken worker often runs the whole job before the engine's thread is scheduled again), and
 * otherwise wakes on Atomics.waitAsync, skipping the structured clone and message dispatch of
 * the return trip. Results that do not fit, failures and jobs that stream logs (whose log
 * messages must arrive first) still travel as messages.
 */
import type { WorkerDoneMessage } from './worker-protocol.ts'

/** Bytes of stdout plus stderr a channel carries; larger results go by message. */
export const RESULT_CHANNEL_CAPACITY = 64 * 1024

// Int32 header: state, job id, exit code, flags, stdout length, stderr length.
const HEADER_INTS = 8
const HEADER_BYTES = HEADER_INTS * 4
const STATE = 0
const ID = 1
const EXIT_CODE = 2
const FLAGS = 3
const STDOUT_LENGTH = 4
const STDERR_LENGTH = 5
const RUNNING = 0
const DONE = 1
const RELEASED = 2
const STDOUT_TRUNCATED = 1
const STDERR_TRUNCATED = 2

/** The shared memory of one channel, or undefined where memory cannot be shared with a worker. */
export function createResultChannelBuffer(): SharedArrayBuffer | undefined {
  // Without waitAsync the engine could not wait for a result it did not find at once.
  if (typeof SharedArrayBuffer !== 'function' || typeof (Atomics as { waitAsync?: unknown }).waitAsync !== 'function') return undefined
  // Browsers refuse to post a SharedArrayBuffer without cross-origin isolation; Node has no such flag.
  if ((globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === false) return undefined
  return new SharedArrayBuffer(HEADER_BYTES + RESULT_CHANNEL_CAPACITY)
}

/**
 * The worker's side: writes a finished job's result and wakes the engine. Returns false, writing
 * nothing, when the result does not fit (it must then be posted).
 */
export function writeResult(buffer: SharedArrayBuffer, message: WorkerDoneMessage): boolean {
  if (message.stdout.byteLength + message.stderr.byteLength > RESULT_CHANNEL_CAPACITY) return false
  if (message.outputs.some(([, tree]) => tree.entries.size > 0) || message.inputs.length > 0) return false
  const header = new Int32Array(buffer, 0, HEADER_INTS)
  const bytes = new Uint8Array(buffer, HEADER_BYTES)
  bytes.set(message.stdout, 0)
  bytes.set(message.stderr, message.stdout.byteLength)
  header[ID] = message.id
  header[EXIT_CODE] = message.exitCode
  header[FLAGS] = (message.stdoutTruncated ? STDOUT_TRUNCATED : 0) | (message.stderrTruncated ? STDERR_TRUNCATED : 0)
  header[STDOUT_LENGTH] = message.stdout.byteLength
  header[STDERR_LENGTH] = message.stderr.byteLength
  // The store publishes everything written above to the engine's thread.
  Atomics.store(header, STATE, DONE)
  Atomics.notify(header, STATE)
  return true
}

/** The engine's side of one worker's channel. */
export class ResultChannel {
  /** The shared memory, to post to the worker once. */
  readonly buffer: SharedArrayBuffer
  private readonly header: Int32Array
  private readonly bytes: Uint8Array
  constructor(buffer: SharedArrayBuffer) {
    this.buffer = buffer
    this.header = new Int32Array(buffer, 0, HEADER_INTS)
    this.bytes = new Uint8Array(buffer, HEADER_BYTES)
  }

  /** Marks job `id` as running; call before posting it. */
  arm(id: number): void {
    this.header[ID] = id
    Atomics.store(this.header, STATE, RUNNING)
  }

  /** Job `id`'s result, if the worker has written it (a copy; the channel is reused). */
  take(id: number): WorkerDoneMessage | undefined {
    if (Atomics.load(this.header, STATE) !== DONE || this.header[ID] !== id) return undefined
    const stdoutLength = this.header[STDOUT_LENGTH]!
    const flags = this.header[FLAGS]!
    return {
      type: 'done',
      id,
      exitCode: this.header[EXIT_CODE]!,
      stdout: this.bytes.slice(0, stdoutLength),
      stderr: this.bytes.slice(stdoutLength, stdoutLength + this.header[STDERR_LENGTH]!),
      stdoutTruncated: (flags & STDOUT_TRUNCATED) !== 0,
      stderrTruncated: (flags & STDERR_TRUNCATED) !== 0,
      outputs: [],
      inputs: [],
    }
  }

  /** Calls `onChange` once the state leaves running: the worker wrote a result, or the engine released the channel. */
  whenChanged(onChange: () => void): void {
    const wait = (Atomics as unknown as { waitAsync: (array: Int32Array, index: number, value: number) => { async: boolean; value: unknown } }).waitAsync(
      this.header,
      STATE,
      RUNNING,
    )
    if (wait.async) void (wait.value as Promise<unknown>).then(onChange)
    else onChange()
  }

  /** Ends the current job's use of the channel, settling any pending wait. */
  release(): void {
    if (Atomics.compareExchange(this.header, STATE, RUNNING, RELEASED) === RUNNING) Atomics.notify(this.header, STATE)
  }
}

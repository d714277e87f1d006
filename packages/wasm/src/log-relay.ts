/**
 * Hands a running job's log chunks to the engine's caller a few at a time, one batch per
 * macrotask. A job printing tens of MiB sends a thousand chunks faster than a busy host splits
 * them into lines; delivered as they arrive, the whole backlog would be handled in one event-loop
 * turn (Node drains a worker's message queue at once) and a compute node would miss heartbeats.
 */
import type { LogChunk } from '@shoal/interface'

/** Chunks delivered per macrotask: 16 × 64 KiB batches. */
const CHUNKS_PER_TURN = 16

/** A queue of log chunks delivered to `deliver` in bounded batches. */
export class LogRelay {
  private readonly queue: LogChunk[] = []
  private readonly deliver: (chunk: LogChunk) => void
  private scheduled = false
  private waiters: (() => void)[] = []
  constructor(deliver: (chunk: LogChunk) => void) {
    this.deliver = deliver
  }

  /** Queues a chunk; it is delivered on a later turn, in order. */
  push(chunk: LogChunk): void {
    this.queue.push(chunk)
    if (!this.scheduled) {
      this.scheduled = true
      setTimeout(() => this.run(), 0)
    }
  }

  /** Resolves once every queued chunk has been delivered. */
  drained(): Promise<void> {
    if (this.queue.length === 0) return Promise.resolve()
    return new Promise((resolve) => this.waiters.push(resolve))
  }

  private run(): void {
    this.scheduled = false
    for (const chunk of this.queue.splice(0, CHUNKS_PER_TURN)) {
      try {
        this.deliver(chunk)
      } catch {
        // A failing log consumer must not fail the job.
      }
    }
    if (this.queue.length > 0) {
      this.scheduled = true
      setTimeout(() => this.run(), 0)
      return
    }
    for (const resolve of this.waiters.splice(0)) resolve()
  }
}

/**
 * Detects when submitted jobs reach a terminal state by polling GET /orchestrator/jobs/:id, oldest
 * job first, with a fixed number of pollers. Jobs finish roughly in submission order, so the
 * oldest pending job is the one most likely done: most polls find a finished job, and the
 * polling load stays bounded (at most `pollers` requests in flight) however many jobs are pending.
 */
import type { ShoalClient } from '@shoal/client'

const TERMINAL = new Set(['Completed', 'Failed', 'Stopped'])

interface Pending {
  id: string
  polling: boolean
  resolve: (state: string) => void
  reject: (error: unknown) => void
}

/** Options of a CompletionTracker. */
export interface CompletionTrackerOptions {
  client: ShoalClient
  /** Concurrent GET requests (default 8). */
  pollers?: number
  /** Pause of a poller after a job that was not finished yet, ms (default 1). */
  retryDelayMs?: number
  signal?: AbortSignal
}

/** Polls pending jobs until each is terminal; see the file comment. */
export class CompletionTracker {
  /** GET requests sent so far. */
  polls = 0
  private readonly client: ShoalClient
  private readonly retryDelayMs: number
  private readonly signal?: AbortSignal
  private readonly pending: Pending[] = []
  private readonly pollerLoops: Promise<void>[] = []
  private sleepers: Array<() => void> = []
  private stopped = false

  constructor(options: CompletionTrackerOptions) {
    this.client = options.client
    this.retryDelayMs = options.retryDelayMs ?? 1
    this.signal = options.signal
    for (let i = 0; i < (options.pollers ?? 8); i++) this.pollerLoops.push(this.poll())
    // Waiters must not hang once polling ends.
    this.signal?.addEventListener('abort', () => this.rejectPending(), { once: true })
  }

  /** Resolves with the terminal state of job `id` (Completed, Failed or Stopped). */
  wait(id: string): Promise<string> {
    if (this.stopped || this.signal?.aborted) return Promise.reject(new Error(`job ${id}: tracking has stopped`))
    return new Promise((resolve, reject) => {
      this.pending.push({ id, polling: false, resolve, reject })
      this.wakeAll()
    })
  }

  /** Stops polling; jobs still pending are rejected. */
  async stop(): Promise<void> {
    this.stopped = true
    this.wakeAll()
    await Promise.all(this.pollerLoops)
    this.rejectPending()
  }

  private rejectPending(): void {
    for (const entry of this.pending.splice(0)) entry.reject(new Error(`job ${entry.id} was still pending when tracking stopped`))
  }

  private wakeAll(): void {
    for (const wake of this.sleepers.splice(0)) wake()
  }

  private async poll(): Promise<void> {
    while (!this.stopped && !this.signal?.aborted) {
      const entry = this.pending.find((p) => !p.polling)
      if (!entry) {
        // Nothing to poll: sleep until a job is added (or 10 ms, so stop() is never missed).
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 10)
          this.sleepers.push(() => {
            clearTimeout(timer)
            resolve()
          })
        })
        continue
      }
      entry.polling = true
      try {
        this.polls++
        const { Job } = await this.client.getJob(entry.id, { signal: this.signal })
        if (TERMINAL.has(Job.State.StateType)) {
          this.pending.splice(this.pending.indexOf(entry), 1)
          entry.resolve(Job.State.StateType)
          continue
        }
      } catch (error) {
        if (this.signal?.aborted) break
        this.pending.splice(this.pending.indexOf(entry), 1)
        entry.reject(error)
        continue
      }
      entry.polling = false
      await new Promise((resolve) => setTimeout(resolve, this.retryDelayMs))
    }
  }
}

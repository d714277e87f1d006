import type { JobStore } from '@shoal/interface'
import { Effects } from './effects.ts'

/** State shared by the units of work of one batch (e.g. the scheduler's view of node capacity). */
export interface BatchContext {
  /** The value under `key`, made once per batch. */
  memo<T>(key: string, make: () => T): T
}

/** One unit of work: reads and writes through `tx`, records side effects in `effects`. */
export type UnitOfWork<T> = (tx: JobStore, effects: Effects, batch: BatchContext) => Promise<T>

interface Queued {
  work: UnitOfWork<unknown>
  resolve: (value: [unknown, Effects]) => void
  reject: (error: unknown) => void
}

const newBatchContext = (): BatchContext => {
  const values = new Map<string, unknown>()
  return {
    memo<T>(key: string, make: () => T): T {
      if (!values.has(key)) values.set(key, make())
      return values.get(key) as T
    },
  }
}

/** Within this many ms of a commit, the next batch waits for I/O that is already pending. */
const BUSY_WINDOW_MS = 1

/** Runs `fn` after the I/O callbacks that are ready now (setImmediate where the runtime has it). */
const afterPendingIo: (fn: () => void) => void = (() => {
  const immediate = (globalThis as { setImmediate?: (fn: () => void) => unknown }).setImmediate
  return typeof immediate === 'function' ? (fn) => void immediate(fn) : (fn) => void setTimeout(fn, 0)
})()

/**
 * Group commit for the requester: units of work queued while a transaction runs share the next
 * one, so many jobs moving at once cost one commit instead of one each. When idle, a unit starts
 * at once (in the current microtask checkpoint); when a commit ended less than BUSY_WINDOW_MS
 * ago, the requester is busy and messages that already arrived on other connections are let in
 * first, so they join the same batch instead of each costing a commit. When a batch fails,
 * each unit is re-run alone in its own transaction, so one bad unit (a malformed report, a lost
 * race) fails only itself. Units must be safe to re-run: they read what they need through `tx`
 * and keep side effects in `effects`, which the caller carries out after the commit.
 */
export class TransactionBatcher {
  private readonly store: JobStore
  private readonly maxBatch: number
  private readonly queue: Queued[] = []
  private draining = false
  private lastCommit = -Infinity

  constructor(store: JobStore, options: { maxBatch?: number } = {}) {
    this.store = store
    this.maxBatch = options.maxBatch ?? 256
  }

  /** Runs `work` in a (shared) transaction; resolves after the commit with its result and effects. */
  run<T>(work: UnitOfWork<T>): Promise<[T, Effects]> {
    return new Promise<[T, Effects]>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as Queued['resolve'], reject })
      if (!this.draining) {
        this.draining = true
        if (performance.now() - this.lastCommit < BUSY_WINDOW_MS) afterPendingIo(() => void this.drain())
        else queueMicrotask(() => void this.drain())
      }
    })
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch)
        if (batch.length === 1) await this.runAlone(batch[0])
        else await this.runBatch(batch)
      }
    } finally {
      this.draining = false
      this.lastCommit = performance.now()
    }
  }

  private async runBatch(batch: Queued[]): Promise<void> {
    const results: Array<[unknown, Effects]> = []
    try {
      await this.store.transaction(async (tx) => {
        const context = newBatchContext()
        for (const item of batch) {
          const effects = new Effects()
          results.push([await item.work(tx, effects, context), effects])
        }
      })
    } catch {
      for (const item of batch) await this.runAlone(item)
      return
    }
    batch.forEach((item, i) => item.resolve(results[i]))
  }

  private async runAlone(item: Queued): Promise<void> {
    try {
      const effects = new Effects()
      const result = await this.store.transaction((tx) => item.work(tx, effects, newBatchContext()))
      item.resolve([result, effects])
    } catch (err) {
      item.reject(err)
    }
  }
}

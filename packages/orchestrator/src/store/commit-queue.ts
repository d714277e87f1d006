/**
 * Serialises everything the SQL store does on its one connection, and commits writes in
 * groups. Synchronous operations queue in order; when the queue drains (at the end of the
 * current microtask checkpoint) every queued operation up to the next exclusive task runs inside
 * ONE database transaction, and each promise settles only after that transaction commits.
 * Concurrent callers (many jobs moving at once) thus share a commit, which is what makes a
 * file-backed store fast; a lone caller costs one microtask more than a direct call.
 *
 * Exclusive tasks (the store's async transactions) run alone, in queue order: nothing else
 * starts until they finish.
 *
 * An operation that throws a ShoalError has written nothing (the store checks before it
 * writes), so it fails alone and the rest of the group commits. Any other error may have come
 * half-way through its writes, so the whole group is rolled back and every operation in it fails.
 */
import { ShoalError } from '@shoal/models'
import type { SqlDatabase } from '@shoal/interface'

interface QueuedOperation {
  fn: () => unknown
  write: boolean
  resolve: (value: unknown) => void
  reject: (error: unknown) => void
}

interface QueuedExclusive {
  run: () => Promise<void>
}

type Queued = QueuedOperation | QueuedExclusive

/** Most operations committed together. */
const MAX_GROUP = 512

/** The store's operation queue with group commit. */
export class CommitQueue {
  readonly #db: SqlDatabase
  readonly #queue: Queued[] = []
  #head = 0
  #scheduled = false
  #exclusive = false

  constructor(db: SqlDatabase) {
    this.#db = db
  }

  /** Runs a synchronous operation in queue order; writes commit with their group before it settles. */
  run<T>(fn: () => T, write: boolean): Promise<T> {
    if (!write && this.#idle()) {
      // Nothing is pending or open, so the read sees exactly the committed state: run it now.
      try {
        return Promise.resolve(fn())
      } catch (error) {
        return Promise.reject(error)
      }
    }
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ fn, write, resolve: resolve as (value: unknown) => void, reject })
      this.#schedule()
    })
  }

  /** Runs `fn` alone, after everything queued before it and before everything queued after it. */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ run: () => fn().then(resolve, reject) })
      this.#schedule()
    })
  }

  #idle(): boolean {
    return !this.#exclusive && !this.#scheduled && this.#head === this.#queue.length
  }

  #schedule(): void {
    if (this.#scheduled || this.#exclusive) return
    this.#scheduled = true
    queueMicrotask(() => this.#drain())
  }

  #drain(): void {
    this.#scheduled = false
    while (this.#head < this.#queue.length) {
      const next = this.#queue[this.#head]
      if ('run' in next) {
        this.#take(1)
        this.#exclusive = true
        void next.run().finally(() => {
          this.#exclusive = false
          if (this.#head < this.#queue.length) this.#schedule()
        })
        return
      }
      let end = this.#head
      while (end < this.#queue.length && end - this.#head < MAX_GROUP && !('run' in this.#queue[end])) end++
      this.#runGroup(this.#take(end - this.#head) as QueuedOperation[])
    }
  }

  #take(count: number): Queued[] {
    const taken = this.#queue.slice(this.#head, this.#head + count)
    this.#head += count
    if (this.#head === this.#queue.length) {
      this.#queue.length = 0
      this.#head = 0
    }
    return taken
  }

  #runGroup(group: QueuedOperation[]): void {
    const outcomes: Array<{ ok: boolean; value: unknown }> = new Array(group.length)
    const runAll = (): void => {
      for (let index = 0; index < group.length; index++) {
        try {
          outcomes[index] = { ok: true, value: group[index].fn() }
        } catch (error) {
          if (!(error instanceof ShoalError)) throw error
          outcomes[index] = { ok: false, value: error }
        }
      }
    }
    try {
      if (group.some((operation) => operation.write)) this.#db.transaction(runAll)
      else runAll()
    } catch (error) {
      for (const operation of group) operation.reject(error)
      return
    }
    for (let index = 0; index < group.length; index++) {
      const outcome = outcomes[index]
      if (outcome.ok) group[index].resolve(outcome.value)
      else group[index].reject(outcome.value)
    }
  }
}

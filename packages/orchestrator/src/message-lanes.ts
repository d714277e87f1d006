interface Tail {
  done: Promise<void>
  /** The barrier generation the task was queued under. */
  generation: number
}

/**
 * Orders the handling of one connection's messages without serialising all of them: tasks in
 * the same lane (e.g. the reports of one execution) run one after another in arrival order,
 * tasks in different lanes run concurrently, so the reports of many executions that arrive
 * together reach the store's group commit together. A barrier task (a Handshake, a Goodbye,
 * the connection closing) waits for every task queued before it, and every task queued after
 * it waits for it. Tasks must not reject: they handle their own errors.
 */
export class MessageLanes {
  private gate: Promise<void> = Promise.resolve()
  private generation = 0
  private readonly tails = new Map<string, Tail>()
  private readonly running = new Set<Promise<void>>()

  /** Runs `task` after the last barrier and after the task queued before it in lane `key`. */
  lane(key: string, task: () => Promise<void>): void {
    const tail = this.tails.get(key)
    // A tail queued under the current barrier already waits for it; an older one is covered by it.
    const after = tail !== undefined && tail.generation === this.generation ? tail.done : this.gate
    const done = after.then(task)
    const entry: Tail = { done, generation: this.generation }
    this.tails.set(key, entry)
    this.running.add(done)
    void done.finally(() => {
      this.running.delete(done)
      if (this.tails.get(key) === entry) this.tails.delete(key)
    })
  }

  /** Runs `task` after everything queued so far; everything queued later waits for it. */
  barrier(task: () => Promise<void>): void {
    this.gate = Promise.all([this.gate, ...this.running]).then(task)
    this.generation++
  }

  /** Resolves when everything queued so far has finished. */
  settled(): Promise<void> {
    return Promise.all([this.gate, ...this.running]).then(() => undefined)
  }
}

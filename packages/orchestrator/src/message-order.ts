/**
 * Orders the handling of one connection's messages without serialising all of them. A task
 * queued with `next` starts in arrival order but does not wait for the tasks before it to
 * finish, so the reports of many executions that arrive together reach the store's group
 * commit together. The requester's report handlers queue their store work synchronously when
 * they start, and the group commit runs work in queue order, so the reports of one execution
 * are still applied in the order they arrived. A barrier task (a Handshake, a Goodbye, the
 * connection closing) starts after every task queued before it has finished, and every task
 * queued after it starts after it has finished. Tasks must not reject: they handle their own errors.
 */
export class MessageOrder {
  private gate: Promise<void> = Promise.resolve()
  /** True while a barrier has not finished: new tasks must line up behind it. */
  private gated = false
  /** Tasks lined up behind the gate that have not started yet. */
  private waiting = 0
  private readonly running = new Set<Promise<void>>()

  /** Starts `task` now, or, while a barrier is pending, right after it (in arrival order either way). */
  next(task: () => Promise<void>): void {
    if (!this.gated && this.waiting === 0) {
      this.track(task())
      return
    }
    this.waiting++
    this.track(
      this.gate.then(() => {
        this.waiting--
        return task()
      }),
    )
  }

  /** Runs `task` after everything queued so far has finished; everything queued later waits for it. */
  barrier(task: () => Promise<void>): void {
    const gate = Promise.all([this.gate, ...this.running]).then(task)
    this.gate = gate
    this.gated = true
    void gate.finally(() => {
      if (this.gate === gate) this.gated = false
    })
  }

  /** Resolves when everything queued so far has finished. */
  settled(): Promise<void> {
    return Promise.all([this.gate, ...this.running]).then(() => undefined)
  }

  private track(done: Promise<void>): void {
    this.running.add(done)
    void done.finally(() => this.running.delete(done))
  }
}

import type { AbortOptions, Engine, EngineRunRequest, EngineRunResult } from '@shoal/interface'
import { AbortError } from '@shoal/models'
import type { Task } from '@shoal/models'

/**
 * An engine that runs at most `workers` jobs at once, whatever CPU each job claims: a WASM job
 * is one thread, so the contributor's CPU share is the number of busy workers. The limit can
 * change while jobs run (the slider); jobs over it wait, and their timeout starts when they run.
 */
export class WorkerShareEngine implements Engine {
  readonly type: string
  readonly mounts: Engine['mounts']
  private readonly inner: Engine
  private limit: number
  private running = 0
  private readonly waiting: Array<() => void> = []

  constructor(inner: Engine, workers: number) {
    this.inner = inner
    this.type = inner.type
    // The inner engine's volume kinds (opfs in a tab): without them the runner would stage every input into memory.
    this.mounts = inner.mounts
    this.limit = Math.max(1, workers)
  }

  /** Jobs allowed to run at once. */
  get workers(): number {
    return this.limit
  }

  /** Changes how many jobs may run at once; waiting jobs start if the share grew. */
  setWorkers(workers: number): void {
    this.limit = Math.max(1, workers)
    this.wake()
  }

  validate(task: Task): string[] {
    return this.inner.validate?.(task) ?? []
  }

  isInstalled(): Promise<boolean> {
    return this.inner.isInstalled?.() ?? Promise.resolve(true)
  }

  async stop(): Promise<void> {
    await this.inner.stop?.()
  }

  async run(request: EngineRunRequest, options: AbortOptions = {}): Promise<EngineRunResult> {
    await this.slot(options.signal)
    try {
      return await this.inner.run(request, options)
    } finally {
      this.running--
      this.wake()
    }
  }

  private slot(signal: AbortSignal | undefined): Promise<void> {
    if (signal?.aborted) return Promise.reject(new AbortError('the job was cancelled before a worker was free'))
    if (this.running < this.limit) {
      this.running++
      return Promise.resolve()
    }
    return new Promise((resolve, reject) => {
      const start = () => {
        signal?.removeEventListener('abort', onAbort)
        this.running++
        resolve()
      }
      const onAbort = () => {
        const index = this.waiting.indexOf(start)
        if (index >= 0) this.waiting.splice(index, 1)
        reject(new AbortError('the job was cancelled while waiting for a worker'))
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      this.waiting.push(start)
    })
  }

  private wake(): void {
    while (this.running < this.limit && this.waiting.length > 0) this.waiting.shift()!()
  }
}

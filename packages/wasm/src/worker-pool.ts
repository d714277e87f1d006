/**
 * A small pool of WASM workers: one job per worker at a time, workers started lazily and
 * replaced after being terminated (a timed-out or cancelled job kills its worker).
 */
import type { WorkerErrorEvent, WorkerFactory, WorkerLike } from '@shoal/interface'
import { AbortError, ExecutionError } from '@shoal/models'

/** What a job in progress listens to; one job per worker at a time. */
export interface WorkerJobListener {
  onMessage(data: unknown): void
  onError(event: WorkerErrorEvent): void
}

/**
 * A worker that has announced it is ready. Its message and error listeners stay attached for
 * its whole life and forward to the current job (adding and removing listeners per job costs
 * more than the job itself for a small module).
 */
export interface PooledWorker {
  readonly worker: WorkerLike
  job: WorkerJobListener | undefined
}

/** Options of {@link WorkerPool}. */
export interface WorkerPoolOptions {
  workerFactory: WorkerFactory
  workerUrl: URL
  size: number
  /** How long a new worker may take to load its script. */
  startTimeoutMs?: number
}

/** Hands out ready workers, at most `size` at once. */
export class WorkerPool {
  private readonly options: WorkerPoolOptions
  private readonly idle: PooledWorker[] = []
  private readonly all = new Set<PooledWorker>()
  private readonly waiting: { resolve: (worker: PooledWorker) => void; reject: (error: unknown) => void; signal?: AbortSignal; onAbort: () => void }[] = []
  private starting = 0
  private stopped = false
  constructor(options: WorkerPoolOptions) {
    this.options = options
  }

  /** Workers alive now (busy or idle). */
  get size(): number {
    return this.all.size + this.starting
  }

  /** A ready worker for one job; give it back with `release` or `discard`. */
  acquire(options: { signal?: AbortSignal } = {}): Promise<PooledWorker> {
    if (this.stopped) return Promise.reject(new ExecutionError('the WASM engine was stopped', { component: 'wasm' }))
    options.signal?.throwIfAborted()
    const idle = this.idle.pop()
    if (idle) return Promise.resolve(idle)
    return new Promise((resolve, reject) => {
      const waiter = {
        resolve,
        reject,
        signal: options.signal,
        onAbort: () => {
          const index = this.waiting.indexOf(waiter)
          if (index >= 0) this.waiting.splice(index, 1)
          reject(new AbortError('the job was cancelled while waiting for a WASM worker', { component: 'wasm' }))
        },
      }
      options.signal?.addEventListener('abort', waiter.onAbort, { once: true })
      this.waiting.push(waiter)
      this.fill()
    })
  }

  /** Returns a worker whose job ended normally. */
  release(pooled: PooledWorker): void {
    if (!this.all.has(pooled)) return
    const waiter = this.waiting.shift()
    if (waiter) {
      waiter.signal?.removeEventListener('abort', waiter.onAbort)
      waiter.resolve(pooled)
    } else this.idle.push(pooled)
  }

  /** Terminates a worker (timeout, cancellation, crash); a replacement starts if jobs wait. */
  discard(pooled: PooledWorker): void {
    if (!this.all.delete(pooled)) return
    const index = this.idle.indexOf(pooled)
    if (index >= 0) this.idle.splice(index, 1)
    void Promise.resolve(pooled.worker.terminate()).catch(() => {})
    this.fill()
  }

  /** Terminates every worker and fails waiting jobs. */
  async stop(): Promise<void> {
    this.stopped = true
    for (const waiter of this.waiting.splice(0)) waiter.reject(new ExecutionError('the WASM engine was stopped', { component: 'wasm' }))
    const workers = [...this.all]
    this.all.clear()
    this.idle.length = 0
    await Promise.all(workers.map((pooled) => Promise.resolve(pooled.worker.terminate()).catch(() => {})))
  }

  private fill(): void {
    while (!this.stopped && this.waiting.length > this.starting && this.size < this.options.size) this.start()
  }

  private start(): void {
    this.starting++
    let worker: WorkerLike
    try {
      worker = this.options.workerFactory(this.options.workerUrl)
    } catch (error) {
      this.starting--
      this.failWaiter(error)
      return
    }
    const pooled: PooledWorker = { worker, job: undefined }
    let ready = false
    const done = (error?: unknown) => {
      clearTimeout(timer)
      ready = true
      this.starting--
      if (error !== undefined || this.stopped) {
        void Promise.resolve(worker.terminate()).catch(() => {})
        if (error !== undefined) this.failWaiter(error)
        return
      }
      this.all.add(pooled)
      this.release(pooled)
    }
    const onMessage = (event: { data: unknown }) => {
      if (ready) pooled.job?.onMessage(event.data)
      else if ((event.data as { type?: string })?.type === 'ready') done()
    }
    const onError = (event: WorkerErrorEvent) => {
      if (ready) pooled.job?.onError(event)
      else done(event.error ?? new Error(event.message ?? 'unknown error'))
    }
    const timer = setTimeout(() => done(new Error('it did not start in time')), this.options.startTimeoutMs ?? 30_000)
    worker.addEventListener('message', onMessage)
    worker.addEventListener('error', onError)
  }

  private failWaiter(cause: unknown): void {
    const waiter = this.waiting.shift()
    if (!waiter) return
    waiter.signal?.removeEventListener('abort', waiter.onAbort)
    const detail = cause instanceof Error ? cause.message : String(cause)
    waiter.reject(
      new ExecutionError(`the WASM worker failed to start: ${detail}`, {
        component: 'wasm',
        cause,
        hint: `check that the worker script ${this.options.workerUrl.href} can be loaded in this runtime`,
      }),
    )
  }
}

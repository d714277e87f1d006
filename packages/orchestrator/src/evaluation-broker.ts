import type { Evaluation } from '@shoal/models'
import type { Clock, Logger } from '@shoal/interface'

/** An evaluation waiting in the broker; `persisted` ones are marked complete in the store when processed. */
export interface BrokerEntry {
  evaluation: Evaluation
  persisted: boolean
}

/** The evaluations of one job handed to the worker together (they coalesce into one pass). */
export interface EvaluationGroup {
  jobId: string
  entries: BrokerEntry[]
}

/** Options of the broker. */
export interface EvaluationBrokerInit {
  /** Processes groups of different jobs, typically in one store transaction. */
  process(groups: EvaluationGroup[]): Promise<void>
  /** Most jobs handed to `process` at once. */
  batchSize?: number
}

/**
 * Queues evaluations and feeds them to one worker: evaluations of the same job coalesce (the
 * scheduler reconciles the whole job, so one pass answers them all), a job is never processed
 * twice at once, and evaluations with WaitUntil wait on the injected clock. Nothing polls: work
 * is pulled only when something is enqueued or a delay ends.
 */
export class EvaluationBroker {
  private readonly clock: Clock
  private readonly logger: Logger
  private readonly init: EvaluationBrokerInit
  private readonly ready = new Map<string, BrokerEntry[]>()
  private readonly delayed = new Map<string, { entry: BrokerEntry; timer: unknown }>()
  private readonly inFlight = new Set<string>()
  private running = false
  private draining?: Promise<void>
  private idleWaiters: Array<() => void> = []

  constructor(components: { clock: Clock; logger: Logger }, init: EvaluationBrokerInit) {
    this.clock = components.clock
    this.logger = components.logger
    this.init = init
  }

  /** Starts handing out work. */
  start(): void {
    this.running = true
    this.kick()
  }

  /** Stops handing out work and cancels delay timers (pending evaluations stay in the store). */
  async stop(): Promise<void> {
    this.running = false
    for (const { timer } of this.delayed.values()) this.clock.clearTimeout(timer)
    this.delayed.clear()
    await this.draining
  }

  /** Adds an evaluation; one with WaitUntil in the future waits for it. */
  enqueue(evaluation: Evaluation, persisted: boolean): void {
    const entry = { evaluation, persisted }
    const wait = (evaluation.WaitUntil ?? 0) / 1e6 - this.clock.now()
    if (wait > 0) {
      const timer = this.clock.setTimeout(() => {
        if (!this.delayed.delete(evaluation.ID)) return
        this.makeReady(entry)
      }, wait)
      this.delayed.set(evaluation.ID, { entry, timer })
      return
    }
    this.makeReady(entry)
  }

  /** Removes and returns the delayed evaluations of a job (a pass over the job answers them too). */
  takeDelayed(jobId: string): BrokerEntry[] {
    const taken: BrokerEntry[] = []
    for (const [id, { entry, timer }] of this.delayed) {
      if (entry.evaluation.JobID !== jobId) continue
      this.clock.clearTimeout(timer)
      this.delayed.delete(id)
      taken.push(entry)
    }
    return taken
  }

  /** Evaluations ready or delayed, for status and tests. */
  get size(): number {
    let n = this.delayed.size
    for (const entries of this.ready.values()) n += entries.length
    return n
  }

  /** Resolves when no evaluation is ready or being processed (delayed ones may remain). */
  idle(): Promise<void> {
    if (this.ready.size === 0 && this.inFlight.size === 0) return Promise.resolve()
    return new Promise((resolve) => this.idleWaiters.push(resolve))
  }

  private makeReady(entry: BrokerEntry): void {
    const jobId = entry.evaluation.JobID
    const entries = this.ready.get(jobId)
    if (entries) entries.push(entry)
    else this.ready.set(jobId, [entry])
    this.kick()
  }

  private kick(): void {
    if (!this.running || this.draining) return
    this.draining = this.drain().finally(() => {
      this.draining = undefined
      if (this.running && this.hasReadyWork()) this.kick()
      else if (this.ready.size === 0 && this.inFlight.size === 0) {
        for (const resolve of this.idleWaiters.splice(0)) resolve()
      }
    })
  }

  private hasReadyWork(): boolean {
    for (const jobId of this.ready.keys()) if (!this.inFlight.has(jobId)) return true
    return false
  }

  private async drain(): Promise<void> {
    const batchSize = this.init.batchSize ?? 64
    // Let the triggers of this tick gather first, so they share one pass and one transaction.
    await Promise.resolve()
    while (this.running) {
      const groups: EvaluationGroup[] = []
      for (const [jobId, entries] of this.ready) {
        if (this.inFlight.has(jobId)) continue
        this.ready.delete(jobId)
        this.inFlight.add(jobId)
        groups.push({ jobId, entries })
        if (groups.length >= batchSize) break
      }
      if (groups.length === 0) return
      try {
        await this.init.process(groups)
      } catch (err) {
        this.logger.error('evaluation batch failed', { error: (err as Error).message, jobs: groups.length })
      } finally {
        for (const g of groups) this.inFlight.delete(g.jobId)
      }
    }
  }
}

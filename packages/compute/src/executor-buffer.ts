import type { Resources } from '@shoal/models'
import { addResources, exceeding, subtractResources, zeroResources } from '@shoal/models'

/** Work handed to the buffer: started when its resources fit into the free capacity. */
export interface BufferedWork {
  id: string
  resources: Resources
  start(): void
}

/** Where new work went. */
export type EnqueueOutcome = 'started' | 'queued' | 'rejected'

/**
 * Capacity tracking plus a bounded FIFO queue: work runs at once when it fits into the free
 * capacity and an execution slot is free, otherwise it waits in arrival order (the head is never
 * overtaken, so big jobs do not starve) and starts when running work releases its resources.
 */
export class ExecutorBuffer {
  private max: Resources
  private readonly maxQueued: number
  private slots: number
  private readonly running = new Map<string, Resources>()
  private readonly queue: BufferedWork[] = []

  /** `slots`: pieces of work that can run at once (e.g. engine workers); default unlimited. */
  constructor(init: { capacity: Resources; maxQueued: number; slots?: number }) {
    this.max = { ...init.capacity }
    this.maxQueued = init.maxQueued
    this.slots = init.slots === undefined ? Number.POSITIVE_INFINITY : Math.max(1, init.slots)
  }

  /** Pieces of work that can run at once (Infinity = no limit but the capacity). */
  get executionSlots(): number {
    return this.slots
  }

  /** Execution slots not taken by running work. */
  get freeExecutionSlots(): number {
    return Math.max(0, this.slots - this.running.size)
  }

  /**
   * What new work could start on now: the free capacity, or nothing while every execution slot
   * is taken (free CPU no worker can use is not capacity).
   */
  get startable(): Resources {
    return this.running.size < this.slots ? this.available : zeroResources()
  }

  /** Total capacity. */
  get capacity(): Resources {
    return { ...this.max }
  }

  /** Resources held by running work. */
  get used(): Resources {
    let total = zeroResources()
    for (const r of this.running.values()) total = addResources(total, r)
    return total
  }

  /** Capacity not held by running work. */
  get available(): Resources {
    return subtractResources(this.max, this.used)
  }

  /** Resources of the work waiting in the queue. */
  get queuedResources(): Resources {
    let total = zeroResources()
    for (const w of this.queue) total = addResources(total, w.resources)
    return total
  }

  /** Number of running pieces of work. */
  get runningCount(): number {
    return this.running.size
  }

  /** Number of waiting pieces of work. */
  get queuedCount(): number {
    return this.queue.length
  }

  /** Free queue slots. */
  get freeSlots(): number {
    return Math.max(0, this.maxQueued - this.queue.length)
  }

  /** IDs of running and waiting work. */
  ids(): string[] {
    return [...this.running.keys(), ...this.queue.map((w) => w.id)]
  }

  /** Whether `id` is running or waiting. */
  has(id: string): boolean {
    return this.running.has(id) || this.queue.some((w) => w.id === id)
  }

  /** Whether `id` waits in the queue. */
  isQueued(id: string): boolean {
    return this.queue.some((w) => w.id === id)
  }

  /** Would work needing `resources` start right now? */
  fitsNow(resources: Resources): boolean {
    return this.queue.length === 0 && this.running.size < this.slots && exceeding(resources, this.available).length === 0
  }

  /** Starts the work, queues it, or refuses it when the queue is full. */
  enqueue(work: BufferedWork): EnqueueOutcome {
    if (this.fitsNow(work.resources)) {
      this.begin(work)
      return 'started'
    }
    if (this.queue.length >= this.maxQueued) return 'rejected'
    this.queue.push(work)
    return 'queued'
  }

  /** Frees what `id` held (running) or drops it from the queue; starts waiting work that now fits. */
  release(id: string): void {
    const index = this.queue.findIndex((w) => w.id === id)
    if (index >= 0) this.queue.splice(index, 1)
    this.running.delete(id)
    this.drain()
  }

  /** Changes total capacity (the contributor moved the CPU slider); may start waiting work. */
  setCapacity(capacity: Resources): void {
    this.max = { ...capacity }
    this.drain()
  }

  /** Changes how many pieces of work can run at once; may start waiting work. */
  setExecutionSlots(slots: number): void {
    this.slots = Math.max(1, slots)
    this.drain()
  }

  /** Forgets all queued work and returns it (on shutdown). */
  clearQueue(): BufferedWork[] {
    return this.queue.splice(0)
  }

  private begin(work: BufferedWork): void {
    this.running.set(work.id, { ...work.resources })
    work.start()
  }

  private drain(): void {
    // Bounded by the queue length: each iteration removes one item or stops.
    while (this.queue.length > 0 && this.running.size < this.slots && exceeding(this.queue[0].resources, this.available).length === 0) {
      this.begin(this.queue.shift()!)
    }
  }
}

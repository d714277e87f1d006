/**
 * Compiled modules kept inside each worker, so a repeat job posts a module's key instead of the
 * module (posting a WebAssembly.Module costs tens of microseconds each way, a third of a small
 * job). The engine decides what each worker holds: it tracks the keys it has sent to a worker
 * ({@link SentModules}) and tells the worker which to drop; the worker only follows
 * ({@link HeldModules}), so the two sides cannot disagree. A worker also keeps one standby
 * instance of the module it ran last, so that a repeat job skips instantiation.
 */
import type { CompiledModule } from './module-cache.ts'
import { prepareWasiStandby } from './wasi-command.ts'
import type { WasiStandby } from './wasi-command.ts'
import type { WorkerModuleRef } from './worker-protocol.ts'

/** Modules a worker keeps beyond those of its current job. */
export const WORKER_MODULES_KEPT = 16

/** The engine's record of the modules one worker holds, least recently used first. */
export class SentModules {
  private readonly keys = new Set<string>()
  private readonly max: number
  constructor(max = WORKER_MODULES_KEPT) {
    this.max = max
  }

  /** The reference to post for `compiled`: its key alone when the worker already holds it. */
  ref(compiled: CompiledModule): WorkerModuleRef {
    if (this.keys.delete(compiled.key)) {
      this.keys.add(compiled.key)
      return { key: compiled.key }
    }
    this.keys.add(compiled.key)
    return { key: compiled.key, module: compiled.module }
  }

  /** Keys the worker should drop now: the oldest beyond the limit, never one of `inUse`. */
  evict(inUse: ReadonlySet<string>): string[] {
    const evicted: string[] = []
    for (const key of this.keys) {
      if (this.keys.size <= this.max || inUse.has(key)) break
      this.keys.delete(key)
      evicted.push(key)
    }
    return evicted
  }
}

/** The worker's side: the modules it was sent, by key, and one standby instance. */
export class HeldModules {
  private readonly modules = new Map<string, WebAssembly.Module>()
  private standby: { key: string; instance: WasiStandby } | undefined
  /** The module of the worker's latest job, and whether the job before ran it too. */
  private latest: string | undefined
  private repeated = false

  /** Drops the modules the engine no longer tracks. */
  forget(keys: readonly string[]): void {
    for (const key of keys) {
      this.modules.delete(key)
      if (this.standby?.key === key) this.standby = undefined
    }
  }

  /** The standby instance of `key` for a job about to run it, if there is one; handed out once. */
  takeStandby(key: string): WasiStandby | undefined {
    this.repeated = this.latest === key
    this.latest = key
    const standby = this.standby
    this.standby = undefined
    return standby?.key === key ? standby.instance : undefined
  }

  /**
   * Instantiates the module of `key` ahead of its next job, once the worker has run it twice in a
   * row: a worker switching between modules would throw each standby away unused.
   */
  prepareStandby(key: string): void {
    if (!this.repeated || this.latest !== key) return
    const module = this.modules.get(key)
    const instance = module && prepareWasiStandby(module)
    this.standby = instance && { key, instance }
  }

  /** The module `ref` names, keeping it when the ref carries it; throws if it was never sent. */
  take(ref: WorkerModuleRef): WebAssembly.Module {
    if (ref.module) {
      this.modules.set(ref.key, ref.module)
      return ref.module
    }
    const module = this.modules.get(ref.key)
    if (!module) throw new Error(`module ${ref.key} was referenced but never sent to this worker`)
    return module
  }

  /** How many modules are held (for tests). */
  get size(): number {
    return this.modules.size
  }
}

/**
 * A WorkerFactory for Node: starts a worker_threads Worker running a Web-Worker-style module
 * script and wraps it as a WorkerLike, so the runtime-neutral engines (e.g. @shoal/wasm) run on
 * Node unchanged.
 */
import { Worker } from 'node:worker_threads'
import type { ResourceLimits } from 'node:worker_threads'
import type { WorkerErrorEvent, WorkerFactory, WorkerLike } from '@shoal/interface'

/** Options of {@link createNodeWorkerFactory}. */
export interface NodeWorkerFactoryOptions {
  /**
   * V8 heap limits of each worker: they cover what a job allocates on the JS heap (WASM tables,
   * GC objects, host-side objects) but not WebAssembly linear memory or ArrayBuffers. A worker that
   * exceeds them is stopped alone (ERR_WORKER_OUT_OF_MEMORY) instead of the whole process dying
   * with "JavaScript heap out of memory". Default {@link DEFAULT_WORKER_RESOURCE_LIMITS}.
   */
  resourceLimits?: ResourceLimits
}

/** Each worker's heap cap unless set: 256 MiB old generation, 32 MiB young. */
export const DEFAULT_WORKER_RESOURCE_LIMITS: ResourceLimits = { maxOldGenerationSizeMb: 256, maxYoungGenerationSizeMb: 32 }

type MessageListener = (event: { data: unknown }) => void
type ErrorListener = (event: WorkerErrorEvent) => void

const bootstrapUrl = new URL('./node-worker-bootstrap.ts', import.meta.url)

/** Wraps one worker_threads Worker as a WorkerLike (message/error events, terminate). */
class NodeWorker implements WorkerLike {
  private readonly worker: Worker
  private readonly messageListeners = new Map<MessageListener, (data: unknown) => void>()
  private readonly errorListeners = new Map<ErrorListener, (error: Error) => void>()
  private terminated = false
  constructor(scriptUrl: URL, options: NodeWorkerFactoryOptions) {
    this.worker = new Worker(bootstrapUrl, {
      workerData: { scriptUrl: scriptUrl.href },
      resourceLimits: options.resourceLimits ?? DEFAULT_WORKER_RESOURCE_LIMITS,
    })
    // A worker that exits on its own (crash, process.exit) is reported as an error.
    this.worker.on('exit', (code) => {
      if (this.terminated) return
      const error = new Error(`worker exited with code ${code}`)
      for (const listener of this.errorListeners.values()) listener(error)
    })
  }
  postMessage(message: unknown, transfer?: Transferable[]): void {
    this.worker.postMessage(message, transfer as any)
  }
  addEventListener(type: 'message', listener: MessageListener): void
  addEventListener(type: 'error', listener: ErrorListener): void
  addEventListener(type: 'message' | 'error', listener: MessageListener | ErrorListener): void {
    if (type === 'message') {
      const wrapped = (data: unknown) => (listener as MessageListener)({ data })
      this.messageListeners.set(listener as MessageListener, wrapped)
      this.worker.on('message', wrapped)
    } else {
      const wrapped = (error: Error) => {
        const outOfMemory = (error as { code?: string } | undefined)?.code === 'ERR_WORKER_OUT_OF_MEMORY'
        ;(listener as ErrorListener)({ message: error?.message, error, ...(outOfMemory ? { reason: 'out-of-memory' as const } : {}) })
      }
      this.errorListeners.set(listener as ErrorListener, wrapped)
      this.worker.on('error', wrapped)
    }
  }
  removeEventListener(type: 'message' | 'error', listener: (...args: any[]) => void): void {
    if (type === 'message') {
      const wrapped = this.messageListeners.get(listener)
      if (wrapped) this.worker.off('message', wrapped)
      this.messageListeners.delete(listener)
    } else {
      const wrapped = this.errorListeners.get(listener)
      if (wrapped) this.worker.off('error', wrapped)
      this.errorListeners.delete(listener)
    }
  }
  terminate(): Promise<number> {
    this.terminated = true
    return this.worker.terminate()
  }
}

/** A WorkerFactory that runs each worker script in a Node worker thread with Web Worker globals. */
export function createNodeWorkerFactory(options: NodeWorkerFactoryOptions = {}): WorkerFactory {
  return (url: URL) => new NodeWorker(url, options)
}

/**
 * The piece of a Worker the engines need. A Web Worker, a worker_threads Worker (wrapped) and a
 * test double all fit. Each runtime injects a factory that starts one from a module URL.
 */
export interface WorkerLike {
  postMessage(message: unknown, transfer?: Transferable[]): void
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void
  addEventListener(type: 'error', listener: (event: WorkerErrorEvent) => void): void
  removeEventListener(type: 'message' | 'error', listener: (...args: any[]) => void): void
  terminate(): void | Promise<unknown>
}

/**
 * Why a worker failed. `reason: 'out-of-memory'` when the runtime stopped it for exceeding its
 * heap limit (Node worker_threads `resourceLimits`); a Web Worker's error event never says so.
 */
export interface WorkerErrorEvent {
  message?: string
  error?: unknown
  reason?: 'out-of-memory'
}

/** Starts a module worker running the script at `url`. */
export type WorkerFactory = (url: URL) => WorkerLike

/**
 * The WASM worker's entry script: runs one job at a time, posted by the engine. Web APIs only —
 * a browser or edge Worker loads it as a module worker; Node loads it in worker_threads through
 * node-runner's bootstrap, which provides `self`.
 */
import { runWorkerJob } from './worker-job.ts'
import type { WorkerJobContext } from './worker-job.ts'
import { HeldModules } from './worker-module-cache.ts'
import type { EngineToWorker, WorkerToEngine } from './worker-protocol.ts'

/** The slice of a worker's global scope this script uses. */
interface WorkerScope {
  postMessage(message: unknown, transfer?: Transferable[]): void
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void
}

const scope = globalThis as unknown as WorkerScope
const post = (message: WorkerToEngine, transfer: Transferable[] = []): void => scope.postMessage(message, transfer)

const context: WorkerJobContext = { post, modules: new HeldModules() }
let queue = Promise.resolve()
scope.addEventListener('message', (event) => {
  const message = event.data as EngineToWorker
  if (message?.type !== 'run') return
  // The engine sends one job at a time; chaining keeps that true even if it did not.
  queue = queue.then(() => {
    if (message.resultChannel) context.resultChannel = message.resultChannel
    context.modules.forget(message.forget)
    return runWorkerJob(message.id, message.job, context)
  })
})
post({ type: 'ready' })

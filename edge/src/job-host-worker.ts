/**
 * The main module of the worker the edge compute node loads per job through the Worker Loader
 * binding (loader-wasm-engine.ts): the job's WASM arrives as its module `job.wasm`, compiled by
 * the loader at load time (workerd compiles no WASM bytes received at run time), and runs on the
 * same WASI host and worker-job code as in tabs and on Node (@shoal/wasm runWorkerJob).
 * Bundled with esbuild into one module by edge/scripts/build-job-host.ts.
 */
import { WorkerEntrypoint } from 'cloudflare:workers'
import { HeldModules, runWorkerJob, type WorkerJob, type WorkerToEngine } from '@shoal/wasm'
import jobModule from './job.wasm'

/** The loaded worker's entrypoint: `run(job)` returns the worker job's messages (logs, then done or failed). */
export default class JobHost extends WorkerEntrypoint {
  /** Runs `job` on the module this worker was loaded with. */
  async run(job: WorkerJob): Promise<WorkerToEngine[]> {
    const messages: WorkerToEngine[] = []
    await runWorkerJob(1, { ...job, module: { key: 'job', module: jobModule } }, { post: (message) => messages.push(message), modules: new HeldModules() })
    return messages
  }
}

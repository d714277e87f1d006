/** The engine on headless Chromium for the shared case suites: module Web Workers, fixtures fetched from Vite. */
import type { WorkerLike } from '@shoal/interface'
import { createWasmEngine } from '../src/index.ts'
import type { EngineCaseRuntime } from './engine-cases.ts'

/** Chromium's runtime for `engineCases` and `hostileCases`. */
export const chromiumRuntime: EngineCaseRuntime = {
  name: 'Chromium (Web Workers)',
  createEngine: () =>
    createWasmEngine({
      workerFactory: (url) => new Worker(url, { type: 'module' }) as unknown as WorkerLike,
      // How Vite's dev server (and so Vitest browser mode) serves a module worker entry.
      workerUrl: new URL('../src/engine-worker.ts?worker_file&type=module', import.meta.url),
      poolSize: 2,
    }),
  fixture: async (name) => {
    const response = await fetch(new URL(`./fixtures/${name}`, import.meta.url))
    if (!response.ok) throw new Error(`fixture ${name}: HTTP ${response.status}`)
    return new Uint8Array(await response.arrayBuffer())
  },
}

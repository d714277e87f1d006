/** The hostile-module cases in headless Chromium: module Web Workers, fixtures fetched from Vite. */
import type { WorkerLike } from '@shoal/interface'
import { createWasmEngine } from '../src/index.ts'
import { hostileCases } from './hostile-cases.ts'

hostileCases({
  name: 'Chromium (Web Workers)',
  createEngine: () =>
    createWasmEngine({
      workerFactory: (url) => new Worker(url, { type: 'module' }) as unknown as WorkerLike,
      workerUrl: new URL('../src/engine-worker.ts?worker_file&type=module', import.meta.url),
      poolSize: 2,
    }),
  fixture: async (name) => {
    const response = await fetch(new URL(`./fixtures/${name}`, import.meta.url))
    if (!response.ok) throw new Error(`fixture ${name}: HTTP ${response.status}`)
    return new Uint8Array(await response.arrayBuffer())
  },
})

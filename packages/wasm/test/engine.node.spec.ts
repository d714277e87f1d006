/** The shared engine cases on Node: worker_threads through node-runner's worker factory. */
import { readFile } from 'node:fs/promises'
import { createWasmEngine } from '../src/index.ts'
import { createNodeWorkerFactory } from '../../../node-runner/src/worker/index.ts'
import { engineCases } from './engine-cases.ts'

engineCases({
  name: 'Node (worker_threads)',
  createEngine: () => createWasmEngine({ workerFactory: createNodeWorkerFactory(), poolSize: 2 }),
  fixture: async (name) => new Uint8Array(await readFile(new URL(`./fixtures/${name}`, import.meta.url))),
})

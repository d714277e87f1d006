/** Node worker_threads support for the runtime-neutral engines. */
export { createNodeWorkerFactory } from './node-worker-factory.ts'
export type { NodeWorkerFactoryOptions } from './node-worker-factory.ts'

/** Node worker_threads support for the runtime-neutral engines. */
export { createNodeWorkerFactory, DEFAULT_WORKER_RESOURCE_LIMITS } from './node-worker-factory.ts'
export type { NodeWorkerFactoryOptions } from './node-worker-factory.ts'
export { HostVolumeAccess, HostVolumeError } from './host-volume-access.ts'

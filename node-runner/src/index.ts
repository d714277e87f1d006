/**
 * @shoal/node-runner — Shoal on a server: the requester and compute node assembled for Node
 * (node:sqlite store, worker_threads, libp2p, local storage and publisher) and the `shoal` CLI.
 */
export { createNodeSqliteDatabase } from './sqlite/node-sqlite-database.ts'
export type { NodeSqliteDatabase, NodeSqliteDatabaseOptions } from './sqlite/node-sqlite-database.ts'
export { createNodeWorkerFactory } from './worker/index.ts'
export { startRequesterServer, startComputeServer, runServe } from './serve/index.ts'
export type { RequesterServer, RequesterServerOptions, ComputeServer, ComputeServerOptions } from './serve/index.ts'
export { startDevstack, runDevstack } from './devstack/index.ts'
export type { Devstack } from './devstack/index.ts'
export { LocalStorage, parseAllowedPaths } from './storage/local-storage.ts'
export { HostVolumeSpace, defaultDiskBudget, DEFAULT_DISK_BUDGET } from './storage/host-volume-space.ts'
export type { HostVolumeSpaceOptions } from './storage/host-volume-space.ts'
export { hostTree } from './storage/host-tree.ts'
export type { AllowedPath, LocalStorageOptions } from './storage/local-storage.ts'
export { LocalPublisher } from './publisher/local-publisher.ts'
export { startResultServer } from './publisher/result-server.ts'

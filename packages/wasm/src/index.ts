/**
 * @shoal/wasm — the WASM engine: WASI preview1 modules (and preview2 components) in a Worker, the
 * same code in a browser tab, on the edge and on Node. The runtime injects a WorkerFactory.
 */
export { createWasmEngine, DEFAULT_DISK_CAP_BYTES, DEFAULT_MEMORY_CAP_BYTES, DEFAULT_MEMORY_FILE_BYTES } from './wasm-engine.ts'
export { IMAGE_BLOCK_BYTES } from './block-image.ts'
export type { WasmEngine, WasmEngineOptions, WasmEngineStats } from './wasm-engine.ts'
export { createModuleCache } from './module-cache.ts'
export type { CompiledModuleCache } from './module-cache.ts'
export { decodeWasmEngineParams, DEFAULT_ENTRYPOINT } from './wasm-engine-params.ts'
export type { WasmEngineParams } from './wasm-engine-params.ts'
export { runWasiCommand, WasiRunError } from './wasi-command.ts'
export type { WasiCommandInit, WasiCommandResult, LinkedModule } from './wasi-command.ts'
export { createVirtualClock, createSeededRandom, systemClock, systemRandom } from './wasi-clock.ts'
export type { WasiClock, RandomSource } from './wasi-clock.ts'
export { capModule, detectWasmBinaryKind, MAX_MEMORIES, MAX_TABLES, MemoryCapError, ModuleLimitError, TABLE_ENTRY_BYTES, WASM_PAGE_BYTES } from './wasm-binary.ts'
export type { ModuleCaps, ModuleLimitCode, WasmBinaryKind } from './wasm-binary.ts'
export type { Mount } from './wasi-filesystem.ts'
export { setWorkerVolumeAccess, workerVolumeAccess } from './worker-volume-access.ts'
export type { SyncFile, WorkerVolume, WorkerVolumeAccess, WorkerVolumeEntry } from './worker-volume-access.ts'
// What a runtime without Worker threads (the edge's Worker Loader) needs to run the same worker job.
export { jobMounts, readModule } from './job-mounts.ts'
export type { JobMounts } from './job-mounts.ts'
export { outputTree } from './output-tree.ts'
export type { OutputSources } from './output-tree.ts'
export { runWorkerJob } from './worker-job.ts'
export type { WorkerJobContext } from './worker-job.ts'
export { HeldModules } from './worker-module-cache.ts'
export type { WorkerDoneMessage, WorkerFailedMessage, WorkerJob, WorkerToEngine } from './worker-protocol.ts'

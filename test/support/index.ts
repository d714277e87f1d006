/**
 * Shared utilities of the cross-process tests (e2e, browser): spawn `shoal` as a real process,
 * wait for what it prints, free ports, temp dirs, bounded polling, clusters of serve processes.
 */
export { REPO_ROOT, SHOAL_BIN, NODE_BIN_DIR, WASM_FIXTURES, JOB_FIXTURES, wasmFixture } from './paths.ts'
export { freePort, type FreePortOptions } from './free-port.ts'
export { tempDir, tempDirSync, removeTempDirs } from './temp-dir.ts'
export { inlineWasmJob, type InlineWasmJobOptions } from './job-specs.ts'
export { upstreamWasmRunJob, upstreamInlineSource, upstreamTarGz, UPSTREAM_INLINE_PLAINTEXT_BYTES, type UpstreamWasmRunJobOptions } from './upstream-wasm-job.ts'
export { waitUntil, type WaitUntilOptions } from './wait-until.ts'
export {
  ShoalProcess,
  spawnShoal,
  runShoal,
  shoalJson,
  shoalEnv,
  nodeBinary,
  killAllShoals,
  type ShoalProcessOptions,
  type RunShoalOptions,
  type ShoalRun,
  type ProcessExit,
} from './shoal-process.ts'
export {
  startRequester,
  startCompute,
  startDevstack,
  waitForComputeNodes,
  waitForJobState,
  type RequesterProcess,
  type ComputeProcess,
  type StartRequesterOptions,
  type StartComputeOptions,
  type StartDevstackOptions,
} from './shoal-cluster.ts'
export { SEEDED_BLOCK_BYTES, seededChunks, seededSha256, writeSeededFile, sha256File } from './seeded-data.ts'
export { startSeededDataServer, type SeededDataServer } from './seeded-data-server.ts'
export { readTreeMemory, resetPeakRss, type TreeMemory } from './process-memory.ts'
export { startRadosgw, radosgwInstalled, type Radosgw, type StartRadosgwOptions } from './radosgw.ts'

/**
 * @shoal/interface — the contracts between Shoal's components. Implementations depend on these
 * interfaces, never on each other's classes.
 */
export type { AbortOptions, ProgressEvent, ProgressOptions } from './abort.ts'
export { abortable } from './abort.ts'
export { systemClock, toNanos } from './clock.ts'
export type { Clock } from './clock.ts'
export { clearLongTimeout, MAX_TIMER_DELAY_MS, setLongTimeout } from './long-timeout.ts'
export type { LongTimeout } from './long-timeout.ts'
export { silentLogger, createConsoleLogger, LOG_LEVELS } from './logger.ts'
export type { Logger, LogLevel } from './logger.ts'
export { emptyDirectory, fileNode, treeSize } from './file-tree.ts'
export { concatBytes, readStreamBytes, unsignedLeb128 } from './bytes.ts'
export { CappedOutput } from './capped-output.ts'
export { constantTimeEqual } from './constant-time-equal.ts'
export type { FileNode, DirectoryNode, FileTreeNode } from './file-tree.ts'
export { composeTree, memoryTree, readTreeIntoMemory, singleFileTree } from './readable-tree.ts'
export { freeSpentChunk, handOverChunk } from './spent-chunk.ts'
export type { ReadableTree, ReadTreeOptions, TreeEntry } from './readable-tree.ts'
export type {
  BytesProgress,
  HostVolume,
  MemoryVolume,
  OpfsVolume,
  SpaceUsage,
  UnixfsVolume,
  Volume,
  VolumeKind,
  VolumeSpace,
  VolumeWriteOptions,
} from './volume.ts'
export type {
  Engine,
  EngineProvider,
  EngineRunRequest,
  EngineRunResult,
  ExecutionLimits,
  DeterminismOptions,
  LogChunk,
  PreparedInput,
} from './engine.ts'
export type { StorageProvider, StorageContext } from './storage.ts'
export type { Publisher, PublishRequest } from './publisher.ts'
export type { PluginAvailability, PluginEntry, PluginKind, PluginOfKind, PluginStatus } from './plugin.ts'
export type { WorkerErrorEvent, WorkerLike, WorkerFactory } from './worker-factory.ts'
export type { SqlDatabase, SqlRow, SqlValue } from './sql-database.ts'
export type {
  JobStore,
  Page,
  PageOptions,
  JobQuery,
  ExecutionQuery,
  UpdateCondition,
  JobStateUpdate,
  ExecutionUpdate,
  HistoryQuery,
} from './job-store.ts'

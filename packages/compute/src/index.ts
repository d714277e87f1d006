/**
 * @shoal/compute — the compute node a browser tab, an edge worker and node-runner all become:
 * bidding, capacity and queueing, the execution pipeline, logs, and the runtime-neutral
 * plug-ins (noop engine, inline and urlDownload storage, noop publisher, tar.gz result bundles).
 */
export { ComputeNode } from './compute-node.ts'
export type {
  ComputeNodeInit,
  ComputeNodeLimits,
  ComputeNodeStatus,
  ComputeNodeEvents,
  ExecutionPhase,
  ExecutionSummary,
  ReconnectOptions,
  StatusDetail,
} from './compute-node.ts'
export { assemblePlugins, checkPlugins, formatPluginState, formatPluginStatus, PLUGIN_KINDS, pluginsOff } from './plugin-assembly.ts'
export type { AssembledPlugins, AssemblePluginsOptions, PluginSelection } from './plugin-assembly.ts'
export { decideBid, PAUSED_REASON } from './bidder.ts'
export type { BidContext, BidDecision } from './bidder.ts'
export { ExecutorBuffer } from './executor-buffer.ts'
export type { BufferedWork, EnqueueOutcome } from './executor-buffer.ts'
export { ExecutionLogStore } from './execution-log-store.ts'
export type { ExecutionLogStoreInit, LogEntry, LogFollower } from './execution-log-store.ts'
export { runExecution, taskEnvironment, deterministicOptions, DETERMINISTIC_EPOCH_NS, VERIFIED_RESULT_MAX_BYTES } from './execution-runner.ts'
export { resultDigest } from './result-digest.ts'
export type { ExecutionOutcome, ExecutionRunRequest, ExecutionRunnerComponents, RunLimits } from './execution-runner.ts'
export { outputPreview, runOutputOf } from './run-output.ts'
export { resultTree } from './result-directory.ts'
export { MemoryVolumeSpace, spaceFullError } from './memory-volume-space.ts'
export type { MemoryVolumeSpaceOptions } from './memory-volume-space.ts'
export { DEFAULT_TASK_RESOURCES, formatResource, parseResourcesConfig } from './resources.ts'
export { NoopEngine } from './noop-engine.ts'
export { NoopPublisher } from './noop-publisher.ts'
export { InlineStorage } from './inline-storage.ts'
export type { InlineStorageInit } from './inline-storage.ts'
export { UrlDownloadStorage, fileNameOf } from './url-download-storage.ts'
export { S3PreSignedStorage } from './s3-presigned-storage.ts'
export type { S3PreSignedStorageInit } from './s3-presigned-storage.ts'
export { PresignedS3Publisher } from './presigned-s3-publisher.ts'
export type { PresignedS3PublisherInit, UploadGrant } from './presigned-s3-publisher.ts'
export { UrlHostPolicy, parseIpAddress, refusedAddressKind } from './url-host-policy.ts'
export type { UrlHostPolicyInit } from './url-host-policy.ts'
export type { UrlDownloadStorageInit, UrlDownloadContext } from './url-download-storage.ts'
export { parseDataUrl } from './data-url.ts'
export type { DataUrl } from './data-url.ts'
export { bundleResult, extractTarGz, gzip, gunzip, tarGzStream } from './result-bundle.ts'
export type { BundleOptions, ExtractOptions } from './result-bundle.ts'
export { writeTar, readTar, safeEntryPath, tarStream } from './tar-archive.ts'
export { extractTarGzStream } from './tar-stream.ts'
export type { TarSink, TarFileSink, ExtractStreamOptions, ExtractStreamResult } from './tar-stream.ts'
export type { WriteTarOptions, ReadTarOptions, TarStreamOptions } from './tar-archive.ts'
export { formatBytesDone, progressMessage } from './progress-message.ts'
export { ProgressThrottle } from './progress-throttle.ts'
export type { ProgressThrottleOptions } from './progress-throttle.ts'

import type { Job, SpecConfig } from '@shoal/models'
import type { AbortOptions, ProgressOptions } from './abort.ts'
import type { ReadableTree } from './readable-tree.ts'
import type { BytesProgress } from './volume.ts'

/** What a publisher is given: the whole result directory of one execution, to stream out. */
export interface PublishRequest extends AbortOptions, ProgressOptions<BytesProgress> {
  executionId: string
  nodeId: string
  job: Job
  /** The publisher spec from the task. */
  spec: SpecConfig
  /** `stdout`, `stderr`, `exitCode` files plus one folder per ResultPath Name. */
  result: ReadableTree
}

/** Publishes an execution's result and says where it went (Bacalhau's PublishedResult). */
export interface Publisher {
  readonly type: string
  validate?(spec: SpecConfig): string[]
  publish(request: PublishRequest): Promise<SpecConfig>
  isInstalled?(): Promise<boolean>
}

import type { InputSource, SpecConfig } from '@shoal/models'
import type { AbortOptions, ProgressOptions } from './abort.ts'
import type { ReadableTree } from './readable-tree.ts'
import type { BytesProgress, Volume, VolumeSpace } from './volume.ts'

/** Context of a storage operation. */
export interface StorageContext extends AbortOptions, ProgressOptions<BytesProgress> {
  executionId: string
  jobId: string
  /** Index of the input in the task's InputSources, so messages can name the field. */
  inputIndex?: number
  /** Where downloaded bytes go (owner: executionId); absent only in getVolumeSize. */
  space?: VolumeSpace
}

/**
 * Fetches one kind of input (inline, urlDownload, local, s3, ipfs) into a volume: in place when
 * the bytes are already on this node (a `local` path, blocks in the IPFS node), else streamed
 * into the node's space, never held whole in memory unless they are small.
 */
export interface StorageProvider {
  readonly type: string
  /** Problems with a source spec as messages; [] when fine. */
  validate?(source: SpecConfig): string[]
  /** Size in bytes when cheaply known (used for bidding), else undefined. */
  getVolumeSize?(input: InputSource, options?: StorageContext): Promise<number | undefined>
  /** Fetch the input; rejects with StorageError saying what failed and what to do. */
  prepare(input: InputSource, options: StorageContext & { space: VolumeSpace }): Promise<Volume>
  isInstalled?(): Promise<boolean>
  /**
   * Writes a read-write input's final `contents` back to where it came from, after the run
   * ended. Providers without it never get read-write inputs. Rejects with StorageError.
   */
  commit?(input: InputSource, contents: ReadableTree, options: StorageContext): Promise<void>
}

import type { InputSource, SpecConfig } from '@shoal/models'
import type { AbortOptions, ProgressOptions } from './abort.ts'
import type { FileTreeNode } from './file-tree.ts'

/** Context of a storage operation. */
export interface StorageContext extends AbortOptions, ProgressOptions {
  executionId: string
  jobId: string
}

/** Fetches one kind of input (inline, urlDownload, local, s3, ipfs) into a file tree. */
export interface StorageProvider {
  readonly type: string
  /** Problems with a source spec as messages; [] when fine. */
  validate?(source: SpecConfig): string[]
  /** Size in bytes when cheaply known (used for bidding), else undefined. */
  getVolumeSize?(input: InputSource, options?: StorageContext): Promise<number | undefined>
  /** Fetch the input; rejects with StorageError saying what failed and what to do. */
  prepare(input: InputSource, options: StorageContext): Promise<FileTreeNode>
  isInstalled?(): Promise<boolean>
  /**
   * Writes a read-write input's final `contents` back to where it came from, after the run
   * ended. Providers without it never get read-write inputs. Rejects with StorageError.
   */
  commit?(input: InputSource, contents: FileTreeNode, options: StorageContext): Promise<void>
}

import type { Execution, Job, SpecConfig } from '@shoal/models'

/** What an UploadSigner is asked: one execution's result archive, about to be published. */
export interface UploadSignRequest {
  job: Job
  /** The execution whose node asked (its NodeID is the publishing node). */
  execution: Execution
  /** The task's Publisher spec (Type `s3`). */
  spec: SpecConfig
  /** Bytes of the archive the node will upload. */
  size: number
  /** Aborted when the requester stops. */
  signal: AbortSignal
}

/**
 * Where the node uploads: one presigned PUT URL, or a multipart upload already created (one
 * presigned PUT URL per `partSize` bytes, in order, plus its complete and abort URLs); `result`
 * is the PublishedResult the node reports once the upload is done.
 */
export type UploadGrantTarget =
  | { result: SpecConfig; putUrl: string }
  | { result: SpecConfig; partSize: number; parts: string[]; completeUrl: string; abortUrl: string }

/**
 * Presigns uploads of results for compute nodes that hold no S3 credentials (browser tabs): the
 * requester's side of the `s3` publisher in a tab (node-runner: the AWS SDK with the requester's
 * credentials). Rejects with a message the node's job fails with (bad spec, S3 refused).
 */
export type UploadSigner = (request: UploadSignRequest) => Promise<UploadGrantTarget>

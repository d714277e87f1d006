import { AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CreateMultipartUploadCommand, PutObjectCommand, UploadPartCommand } from '@aws-sdk/client-s3'
import { getSignedUrl } from '@aws-sdk/s3-request-presigner'
import type { UploadGrantTarget, UploadSigner } from '@shoal/orchestrator'
import type { Clock } from '@shoal/interface'
import { systemClock } from '@shoal/interface'
import { PublishError } from '@shoal/models'
import type { S3ClientProvider } from '../storage/s3-client-provider.ts'
import { describeS3Failure } from '../storage/s3-client-provider.ts'
import { decodeS3PublisherSpec, publishedKey } from './s3-publisher.ts'

/** S3's smallest part (all but the last). */
const MIN_PART_BYTES = 5 * 1024 ** 2
/** Most parts one grant lists: keeps the UploadGrant frame small (S3 itself allows 10 000). */
const MAX_PARTS = 1000
/** S3's largest single PUT. */
const MAX_SINGLE_PUT_BYTES = 5 * 1024 ** 3

/** Options of {@link createS3UploadSigner}. */
export interface S3UploadSignerInit {
  clients: S3ClientProvider
  clock?: Clock
  /**
   * Archives up to this many bytes go up in one presigned PUT; larger ones as a multipart upload
   * of parts this size (more when MAX_PARTS parts would not hold them). Default 16 MiB, as the
   * node's own s3 publisher; at least S3's 5 MiB minimum part.
   */
  partSize?: number
  /** How long the URLs stay valid, in seconds (default 1 hour: a slow tab's upload must finish within it). */
  expiresInSeconds?: number
}

/**
 * The requester's {@link UploadSigner} for `s3` publishers in nodes without credentials (tabs):
 * the key as the node's own s3 publisher would choose it (templated, `.tar.gz`), then a
 * presigned PutObject URL, or a multipart upload created here with presigned UploadPart URLs and
 * the CompleteMultipartUpload/AbortMultipartUpload URLs that finish it. Only archives (Encoding
 * gzip, the default): a tab uploads one object per result.
 */
export function createS3UploadSigner(init: S3UploadSignerInit): UploadSigner {
  const clock = init.clock ?? systemClock
  const basePart = Math.max(MIN_PART_BYTES, init.partSize ?? 16 * 1024 ** 2)
  const expiresIn = init.expiresInSeconds ?? 3600
  return async ({ job, execution, spec: publisherSpec, size, signal }): Promise<UploadGrantTarget> => {
    const spec = decodeS3PublisherSpec(publisherSpec)
    if (spec.Bucket === '') throw new PublishError('Publisher.Params.Bucket: the s3 publisher needs a bucket')
    if (spec.Key === '') throw new PublishError('Publisher.Params.Key: the s3 publisher needs a key, e.g. "results/{jobID}/{executionID}"')
    if (spec.Encoding === 'plain') throw new PublishError('Publisher.Params.Encoding: "plain" (one object per file) is not published from browser tabs; leave Encoding out (one .tar.gz), or run the job on a node with its own credentials')
    if (spec.Encoding !== '' && spec.Encoding !== 'gzip') throw new PublishError(`Publisher.Params.Encoding: must be "gzip" or "plain", not ${JSON.stringify(spec.Encoding)}`)
    if (size > MAX_PARTS * 5 * 1024 ** 3) throw new PublishError(`the result archive is ${size} bytes, more than one S3 object can hold`)
    const key = publishedKey(spec.Key, { jobId: job.ID, executionId: execution.ID, nodeId: execution.NodeID, now: new Date(clock.now()) }, true)
    const client = init.clients.client(spec.Endpoint, spec.Region)
    const result = { Type: 's3', Params: { Bucket: spec.Bucket, Key: key, Endpoint: spec.Endpoint, Region: spec.Region } }
    const signing = { expiresIn }
    if (size <= basePart && size <= MAX_SINGLE_PUT_BYTES) {
      return { result, putUrl: await getSignedUrl(client, new PutObjectCommand({ Bucket: spec.Bucket, Key: key }), signing) }
    }
    const partSize = Math.max(basePart, Math.ceil(size / MAX_PARTS))
    let uploadId: string | undefined
    try {
      const created = await client.send(new CreateMultipartUploadCommand({ Bucket: spec.Bucket, Key: key }), { abortSignal: signal })
      uploadId = created.UploadId
      if (!uploadId) throw new Error('CreateMultipartUpload returned no UploadId')
      const parts: string[] = []
      for (let number = 1; (number - 1) * partSize < size; number++) {
        parts.push(await getSignedUrl(client, new UploadPartCommand({ Bucket: spec.Bucket, Key: key, UploadId: uploadId, PartNumber: number }), signing))
      }
      return {
        result,
        partSize,
        parts,
        completeUrl: await getSignedUrl(client, new CompleteMultipartUploadCommand({ Bucket: spec.Bucket, Key: key, UploadId: uploadId }), signing),
        abortUrl: await getSignedUrl(client, new AbortMultipartUploadCommand({ Bucket: spec.Bucket, Key: key, UploadId: uploadId }), signing),
      }
    } catch (error) {
      if (uploadId) await client.send(new AbortMultipartUploadCommand({ Bucket: spec.Bucket, Key: key, UploadId: uploadId })).catch(() => {})
      const { message, hint } = describeS3Failure(error, { bucket: spec.Bucket, key, endpoint: init.clients.endpointOf(spec.Endpoint), action: 'presigning an upload to' })
      throw new PublishError(message, { cause: error, hint })
    }
  }
}

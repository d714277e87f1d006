import { AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CreateMultipartUploadCommand, PutObjectCommand, UploadPartCommand, type CompletedPart, type S3Client } from '@aws-sdk/client-s3'
import { tarGzStream } from '@shoal/compute'
import type { Clock, PublishRequest, Publisher } from '@shoal/interface'
import { systemClock } from '@shoal/interface'
import { PublishError, type SpecConfig } from '@shoal/models'
import { describeS3Failure, type S3ClientProvider } from '../storage/s3-client-provider.ts'

/** Upstream's s3 publisher Params (pkg/s3/types.go PublisherSpec). */
export interface S3PublisherSpec {
  Bucket: string
  /** Object key (archive) or key prefix (plain), with {jobID}, {executionID}, {nodeID}, {date}, {time}. */
  Key: string
  Endpoint: string
  Region: string
  /** 'gzip' (default: one .tar.gz) or 'plain' (each file as its own object). */
  Encoding: '' | 'gzip' | 'plain'
}

/** Options of S3Publisher. */
export interface S3PublisherInit {
  clients: S3ClientProvider
  clock?: Clock
  /** Bytes per multipart part (default 16 MiB; S3's minimum is 5 MiB). */
  partSize?: number
}

const str = (value: unknown) => (typeof value === 'string' ? value : '')
const pad = (n: number) => String(n).padStart(2, '0')

/** Reads upstream's PublisherSpec from Params. */
export function decodeS3PublisherSpec(spec: SpecConfig): S3PublisherSpec {
  const params = spec.Params ?? {}
  return { Bucket: str(params.Bucket), Key: str(params.Key), Endpoint: str(params.Endpoint), Region: str(params.Region), Encoding: str(params.Encoding) as S3PublisherSpec['Encoding'] }
}

/** The key a result is stored under, as upstream's ParsePublishedKey (UTC date and time). */
export function publishedKey(key: string, values: { jobId: string; executionId: string; nodeId: string; now: Date }, archive: boolean): string {
  if (archive && !key.endsWith('.tar.gz')) key += '.tar.gz'
  if (!archive && !key.endsWith('/')) key += '/'
  const now = values.now
  return key
    .replaceAll('{nodeID}', values.nodeId)
    .replaceAll('{executionID}', values.executionId)
    .replaceAll('{jobID}', values.jobId)
    .replaceAll('{date}', `${now.getUTCFullYear()}${pad(now.getUTCMonth() + 1)}${pad(now.getUTCDate())}`)
    .replaceAll('{time}', `${pad(now.getUTCHours())}${pad(now.getUTCMinutes())}${pad(now.getUTCSeconds())}`)
}

/** S3's most parts in one multipart upload. */
const MAX_PARTS = 10_000

/**
 * Uploads a stream of unknown length as one object: its bytes are copied into one part buffer
 * of `partSize` bytes, reused for every part (one part in flight), so memory stays at one part
 * whatever the size; a stream that fits in one part is a single PutObject. On any failure the
 * multipart upload is aborted, leaving no parts behind. (The SDK's lib-storage Upload holds a
 * part's chunks, their concatenation and the previous part's buffer: ~4 parts; measured +75 MiB
 * at 16 MiB parts against +16 MiB here.)
 */
async function uploadInParts(
  client: S3Client,
  options: { bucket: string; key: string; body: ReadableStream<Uint8Array>; partSize: number; signal?: AbortSignal },
): Promise<{ VersionId?: string; ChecksumSHA256?: string }> {
  const { bucket: Bucket, key: Key, partSize, signal } = options
  const reader = options.body.getReader()
  const buffer = new Uint8Array(partSize)
  let carry: Uint8Array | undefined
  let ended = false
  /** Fills the buffer from the stream; resolves with the bytes in it (fewer only at the end). */
  const fill = async (): Promise<number> => {
    let filled = 0
    while (filled < partSize) {
      let chunk = carry
      carry = undefined
      if (!chunk) {
        const next = await reader.read()
        if (next.done) {
          ended = true
          break
        }
        chunk = next.value
      }
      const take = Math.min(chunk.byteLength, partSize - filled)
      buffer.set(chunk.subarray(0, take), filled)
      filled += take
      if (take < chunk.byteLength) carry = chunk.subarray(take)
    }
    return filled
  }
  let uploadId: string | undefined
  try {
    let filled = await fill()
    if (ended) {
      const put = await client.send(new PutObjectCommand({ Bucket, Key, Body: buffer.subarray(0, filled), ContentLength: filled }), { abortSignal: signal })
      return { VersionId: put.VersionId, ChecksumSHA256: put.ChecksumSHA256 }
    }
    const created = await client.send(new CreateMultipartUploadCommand({ Bucket, Key }), { abortSignal: signal })
    uploadId = created.UploadId
    if (!uploadId) throw new Error('CreateMultipartUpload returned no UploadId')
    const parts: CompletedPart[] = []
    for (let number = 1; filled > 0; number++) {
      if (number > MAX_PARTS) throw new PublishError(`s3://${Bucket}/${Key}: the result is larger than S3's ${MAX_PARTS} parts of ${partSize} bytes`, { hint: 'publish a smaller result, or split it (Encoding "plain" uploads each file as its own object)' })
      // The buffer is reused only after S3 answered, so the SDK has sent all of it.
      const part = await client.send(new UploadPartCommand({ Bucket, Key, UploadId: uploadId, PartNumber: number, Body: buffer.subarray(0, filled), ContentLength: filled }), { abortSignal: signal })
      parts.push({ PartNumber: number, ETag: part.ETag })
      filled = ended ? 0 : await fill()
    }
    const done = await client.send(new CompleteMultipartUploadCommand({ Bucket, Key, UploadId: uploadId, MultipartUpload: { Parts: parts } }), { abortSignal: signal })
    return { VersionId: done.VersionId, ChecksumSHA256: done.ChecksumSHA256 }
  } catch (error) {
    await reader.cancel(error).catch(() => {})
    if (uploadId) await client.send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId: uploadId })).catch(() => {})
    throw error
  }
}

/**
 * The `s3` publisher: streams the result as one .tar.gz through a multipart upload (memory:
 * one reused part buffer), or with Encoding "plain" each file as its own object under the
 * key prefix. Returns upstream's PublishedResult: an `s3` source spec of what it wrote.
 */
export class S3Publisher implements Publisher {
  readonly type = 's3'
  private readonly clients: S3ClientProvider
  private readonly clock: Clock
  private readonly partSize: number

  constructor(init: S3PublisherInit) {
    this.clients = init.clients
    this.clock = init.clock ?? systemClock
    this.partSize = init.partSize ?? 16 * 1024 ** 2
  }

  validate(spec: SpecConfig): string[] {
    const decoded = decodeS3PublisherSpec(spec)
    const problems: string[] = []
    if (decoded.Bucket === '') problems.push('Params.Bucket: the s3 publisher needs a bucket')
    if (decoded.Key === '') problems.push('Params.Key: the s3 publisher needs a key, e.g. "results/{jobID}/{executionID}"')
    if (decoded.Encoding !== '' && decoded.Encoding !== 'gzip' && decoded.Encoding !== 'plain') problems.push(`Params.Encoding: must be "gzip" or "plain", not ${JSON.stringify(decoded.Encoding)}`)
    return problems
  }

  async isInstalled(): Promise<boolean> {
    return (await this.clients.availability()).ok
  }

  async publish(request: PublishRequest): Promise<SpecConfig> {
    const problems = this.validate(request.spec)
    if (problems.length > 0) throw new PublishError(`Publisher.${problems[0]}`)
    const spec = decodeS3PublisherSpec(request.spec)
    const archive = spec.Encoding !== 'plain'
    const key = publishedKey(spec.Key, { jobId: request.job.ID, executionId: request.executionId, nodeId: request.nodeId, now: new Date(this.clock.now()) }, archive)
    const client = this.clients.client(spec.Endpoint, spec.Region)
    const endpoint = this.clients.endpointOf(spec.Endpoint)
    const label = `publishing to s3://${spec.Bucket}/${key}`
    let done = 0
    const upload = async (objectKey: string, body: ReadableStream<Uint8Array>) => {
      const counted = body.pipeThrough(
        new TransformStream<Uint8Array, Uint8Array>({
          transform(chunk, controller) {
            done += chunk.byteLength
            request.onProgress?.({ type: 'bytes', detail: { label, done } })
            controller.enqueue(chunk)
          },
        }),
      )
      try {
        return await uploadInParts(client, { bucket: spec.Bucket, key: objectKey, body: counted, partSize: this.partSize, signal: request.signal })
      } catch (error) {
        if (request.signal?.aborted) throw request.signal.reason
        if (error instanceof PublishError) throw error
        const { message, hint } = describeS3Failure(error, { bucket: spec.Bucket, key: objectKey, endpoint, action: 'PUT' })
        throw new PublishError(message, { cause: error, hint })
      }
    }
    if (archive) {
      const result = await upload(key, tarGzStream(request.result, { signal: request.signal }))
      const params: Record<string, unknown> = { Bucket: spec.Bucket, Key: key, Endpoint: spec.Endpoint, Region: spec.Region }
      if ('ChecksumSHA256' in result && result.ChecksumSHA256) params.ChecksumSHA256 = result.ChecksumSHA256
      if ('VersionId' in result && result.VersionId) params.VersionID = result.VersionId
      return { Type: 's3', Params: params }
    }
    for await (const entry of request.result.entries({ signal: request.signal })) {
      if (entry.kind !== 'file') continue
      await upload(entry.path === '' ? key.replace(/\/$/, '') : key + entry.path, entry.open!({ signal: request.signal }))
    }
    return { Type: 's3', Params: { Bucket: spec.Bucket, Key: key, Endpoint: spec.Endpoint, Region: spec.Region } }
  }
}

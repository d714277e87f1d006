import { PublishError, type SpecConfig } from '@shoal/models'
import type { AbortOptions, Publisher, PublishRequest, ReadableTree, VolumeSpace } from '@shoal/interface'
import type { MessageOf } from '@shoal/protocol'
import { tarStream } from './tar-archive.ts'

/** The requester's answer to an UploadGrantRequest (compute protocol). */
export type UploadGrant = MessageOf<'UploadGrant'>

/** Options of a PresignedS3Publisher. */
export interface PresignedS3PublisherInit {
  /** Asks the requester to presign the upload (ComputeNode.requestUploadGrant). */
  requestGrant(executionId: string, size: number, options: AbortOptions): Promise<UploadGrant>
  /** Where the archive is staged first (held by the execution): S3 needs its size before the upload starts. */
  space: VolumeSpace
  /** The fetch to upload with (default: globalThis.fetch). */
  fetch?: typeof globalThis.fetch
}

const str = (value: unknown) => (typeof value === 'string' ? value : '')

/**
 * The `s3` publisher of a node that holds no S3 credentials (a browser tab): the result is
 * archived (.tar.gz, as the s3 publisher's default Encoding) into the node's space, the
 * requester presigns the upload for the archive's size (UploadGrantRequest → UploadGrant), and
 * the archive goes up with fetch: one PUT, or the parts of a multipart upload the requester
 * created, then its CompleteMultipartUpload. Reports the PublishedResult the requester gave
 * (upstream's: Type s3, Bucket, Key…). The S3 bucket's CORS rule must allow the page's origin
 * (PUT, POST, DELETE) and expose the ETag header.
 */
export class PresignedS3Publisher implements Publisher {
  readonly type = 's3'
  private readonly init: PresignedS3PublisherInit

  constructor(init: PresignedS3PublisherInit) {
    this.init = init
  }

  validate(spec: SpecConfig): string[] {
    const params = spec.Params ?? {}
    const problems: string[] = []
    if (str(params.Bucket) === '') problems.push('Params.Bucket: the s3 publisher needs a bucket')
    if (str(params.Key) === '') problems.push('Params.Key: the s3 publisher needs a key, e.g. "results/{jobID}/{executionID}"')
    const encoding = str(params.Encoding)
    if (encoding === 'plain') problems.push('Params.Encoding: "plain" (one object per file) is not published from browser tabs; leave Encoding out (one .tar.gz)')
    else if (encoding !== '' && encoding !== 'gzip') problems.push(`Params.Encoding: must be "gzip" or "plain", not ${JSON.stringify(encoding)}`)
    return problems
  }

  async publish(request: PublishRequest): Promise<SpecConfig> {
    const problems = this.validate(request.spec)
    if (problems.length > 0) throw new PublishError(`Publisher.${problems[0]}`)
    const { signal } = request
    const fetch = this.init.fetch ?? ((...args: Parameters<typeof globalThis.fetch>) => globalThis.fetch(...args))
    const archive: ReadableTree = {
      root: 'file',
      async *entries() {
        yield { path: '', kind: 'file', size: -1, open: () => yieldingGzip(tarStream(request.result, { signal })) }
      },
    }
    const volume = await this.init.space.write(request.executionId, archive, { name: 'result-archive', label: 'the result archive', signal })
    const blob = await this.init.space.openBlob(volume)
    const grant = await this.init.requestGrant(request.executionId, blob.size, { signal })
    const result = grant.Result
    if (!result) throw new PublishError('the requester presigned the upload but named no result')
    const where = `s3://${str(result.Params.Bucket)}/${str(result.Params.Key)}`
    const label = `publishing to ${where}`
    const send = async (url: string, init: RequestInit, what: string): Promise<Response> => {
      let response: Response
      try {
        response = await fetch(url, { ...init, signal })
      } catch (error) {
        if (signal?.aborted) throw signal.reason
        throw new PublishError(`${what} of ${where} failed: ${(error as Error).message}`, {
          cause: error,
          hint: "a browser refuses a response without CORS headers: the bucket's CORS rule must allow this page's origin (PUT, POST, DELETE) and expose ETag",
        })
      }
      if (!response.ok) {
        const body = await response.text().catch(() => '')
        const code = /<Code>([^<]*)<\/Code>/.exec(body)?.[1]
        throw new PublishError(`${what} of ${where} failed: HTTP ${response.status}${code ? ` ${code}` : ''}`, { hint: 'the presigned URL may have expired, or the requester may not write this bucket' })
      }
      return response
    }
    if (grant.PutURL !== undefined) {
      await send(grant.PutURL, { method: 'PUT', body: blob }, 'the upload')
      request.onProgress?.({ type: 'bytes', detail: { label, done: blob.size, total: blob.size } })
      return result
    }
    const { Parts: parts, PartSize: partSize, CompleteURL: completeUrl, AbortURL: abortUrl } = grant
    if (!parts || !partSize || !completeUrl || parts.length !== Math.max(1, Math.ceil(blob.size / partSize))) {
      throw new PublishError(`the requester's upload grant for ${where} does not cover ${blob.size} bytes`)
    }
    try {
      const etags: string[] = []
      for (const [index, url] of parts.entries()) {
        const end = Math.min(blob.size, (index + 1) * partSize)
        const response = await send(url, { method: 'PUT', body: blob.slice(index * partSize, end) }, `part ${index + 1} of the upload`)
        const etag = response.headers.get('ETag')
        if (etag === null) {
          throw new PublishError(`part ${index + 1} of the upload of ${where} was stored, but its ETag header was hidden from the page`, { hint: "the bucket's CORS rule must expose the ETag header (ExposeHeaders: ETag)" })
        }
        etags.push(etag)
        request.onProgress?.({ type: 'bytes', detail: { label, done: end, total: blob.size } })
      }
      const xml = `<CompleteMultipartUpload>${etags.map((etag, index) => `<Part><PartNumber>${index + 1}</PartNumber><ETag>${escapeXml(etag)}</ETag></Part>`).join('')}</CompleteMultipartUpload>`
      const completed = await send(completeUrl, { method: 'POST', body: xml, headers: { 'Content-Type': 'application/xml' } }, 'completing the upload')
      // S3 may answer 200 and still fail the completion, in the body.
      const body = await completed.text()
      if (body.includes('<Error>')) throw new PublishError(`completing the upload of ${where} failed: ${/<Code>([^<]*)<\/Code>/.exec(body)?.[1] ?? body.slice(0, 200)}`)
      return result
    } catch (error) {
      // The parts already stored would be kept (and billed) until the upload is aborted.
      if (abortUrl) await fetch(abortUrl, { method: 'DELETE' }).catch(() => {})
      throw error
    }
  }
}

/** Bytes gzip is given at once: a browser's CompressionStream deflates on the calling thread. */
const GZIP_SLICE_BYTES = 64 * 1024
/** Bytes between yields to the event loop while archiving. */
const YIELD_EVERY_BYTES = 1024 * 1024

/**
 * gzip of a stream that leaves the page's main thread free: a tab's CompressionStream deflates
 * each chunk synchronously where it runs, and an output read back in multi-megabyte chunks
 * held the thread for seconds, long enough for the requester to count the tab's heartbeats as
 * missed. Chunks are cut to 64 KiB and a macrotask passes every MiB, so timers (heartbeats)
 * and messages run in between.
 */
function yieldingGzip(source: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  let sinceYield = 0
  const sliced = source.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      async transform(chunk, controller) {
        for (let at = 0; at < chunk.byteLength; at += GZIP_SLICE_BYTES) {
          controller.enqueue(chunk.subarray(at, Math.min(chunk.byteLength, at + GZIP_SLICE_BYTES)))
          sinceYield += Math.min(GZIP_SLICE_BYTES, chunk.byteLength - at)
          if (sinceYield >= YIELD_EVERY_BYTES) {
            sinceYield = 0
            await new Promise((resolve) => setTimeout(resolve, 0))
          }
        }
      },
    }),
  )
  return sliced.pipeThrough(new CompressionStream('gzip') as unknown as ReadableWritablePair<Uint8Array, Uint8Array>)
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}

import { GetObjectCommand } from '@aws-sdk/client-s3'
import { BadRequestError, StorageError, type SpecConfig } from '@shoal/models'
import { describeS3Failure, S3ClientProvider } from '../storage/s3-client-provider.ts'

/** An `s3` published result's archive, streamed from S3. */
export interface S3ResultBody {
  body: ReadableStream<Uint8Array>
  total?: number
  /** s3://bucket/key, for messages. */
  shown: string
}

/**
 * Opens an `s3` PublishedResult (a .tar.gz object) with the AWS SDK's default credential chain
 * of the machine running `job get` (env, profile, AWS_ENDPOINT_URL_S3), as upstream's requester
 * does when it signs result URLs. Plain (Encoding "plain") results are a key prefix, not an
 * archive: they are refused with a hint.
 */
export async function openS3Result(result: SpecConfig, options: { signal?: AbortSignal; env?: Record<string, string | undefined> } = {}): Promise<S3ResultBody> {
  const params = result.Params ?? {}
  const bucket = typeof params.Bucket === 'string' ? params.Bucket : ''
  const key = typeof params.Key === 'string' ? params.Key : ''
  const shown = `s3://${bucket}/${key}`
  if (bucket === '' || key === '') throw new BadRequestError(`the s3 result has no Bucket or Key (${JSON.stringify(params)})`)
  if (!key.endsWith('.tar.gz')) {
    throw new BadRequestError(`the result at ${shown} was published uncompressed (Encoding "plain"), as separate objects under that prefix`, {
      hint: `Fetch them with an S3 client, e.g. \`aws s3 sync ${shown} .\`, or publish with the default Encoding to download with \`shoal job get\`.`,
    })
  }
  const clients = new S3ClientProvider({ env: options.env })
  const endpoint = typeof params.Endpoint === 'string' ? params.Endpoint : undefined
  const region = typeof params.Region === 'string' ? params.Region : undefined
  try {
    const response = await clients.client(endpoint, region).send(
      new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: typeof params.VersionID === 'string' && params.VersionID ? params.VersionID : undefined }),
      { abortSignal: options.signal },
    )
    const body = (response.Body as { transformToWebStream(): ReadableStream<Uint8Array> } | undefined)?.transformToWebStream()
    return { body: body ?? new ReadableStream({ start: (controller) => controller.close() }), total: response.ContentLength, shown }
  } catch (error) {
    const { message, hint } = describeS3Failure(error, { bucket, key, endpoint: clients.endpointOf(endpoint), action: 'GET' })
    throw new StorageError(`cannot download the result: ${message}`, { cause: error, hint: `${hint} (job get reads S3 with this machine's AWS credentials)` })
  }
}

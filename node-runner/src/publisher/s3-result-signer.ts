import { GetObjectCommand } from '@aws-sdk/client-s3'
import { getSignedUrl } from '@aws-sdk/s3-request-presigner'
import type { SpecConfig } from '@shoal/models'
import type { S3ClientProvider } from '../storage/s3-client-provider.ts'

/** Options of {@link createS3ResultSigner}. */
export interface S3ResultSignerInit {
  clients: S3ClientProvider
  /** How long a presigned result URL stays valid, in seconds (default 1 hour). */
  expiresInSeconds?: number
}

/**
 * The requester's result transform for `s3` results, as upstream's ResultSigner: a `.tar.gz`
 * result becomes `s3PreSigned` (its Params plus PreSignedURL, Managed false), so `job get`
 * downloads it without AWS credentials of its own. Plain (prefix) results pass unchanged.
 */
export function createS3ResultSigner(init: S3ResultSignerInit): (result: SpecConfig, options: { signal?: AbortSignal }) => Promise<SpecConfig> {
  return async (result) => {
    if (result.Type !== 's3') return result
    const params = result.Params ?? {}
    const bucket = typeof params.Bucket === 'string' ? params.Bucket : ''
    const key = typeof params.Key === 'string' ? params.Key : ''
    if (bucket === '' || !key.endsWith('.tar.gz')) return result
    const client = init.clients.client(typeof params.Endpoint === 'string' ? params.Endpoint : undefined, typeof params.Region === 'string' ? params.Region : undefined)
    const url = await getSignedUrl(client, new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: typeof params.VersionID === 'string' && params.VersionID ? params.VersionID : undefined }), {
      expiresIn: init.expiresInSeconds ?? 3600,
    })
    return { Type: 's3PreSigned', Params: { ...params, PreSignedURL: url, Managed: false } }
  }
}

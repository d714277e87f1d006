import { S3Client } from '@aws-sdk/client-s3'

/** Options of {@link S3ClientProvider}. */
export interface S3ClientProviderInit {
  /** Environment read for the default region and endpoint (default: process.env). */
  env?: Record<string, string | undefined>
}

/** Whether this node can reach S3, and why not. */
export interface S3Availability {
  ok: boolean
  reason?: string
}

/**
 * S3 clients per (endpoint, region), credentials from the AWS SDK's default chain (env,
 * shared config/credentials profile, SSO, container/instance metadata). A spec's Endpoint and
 * Region override `AWS_ENDPOINT_URL_S3`/`AWS_ENDPOINT_URL` and `AWS_REGION`/`AWS_DEFAULT_REGION`.
 */
export class S3ClientProvider {
  private readonly env: Record<string, string | undefined>
  private readonly clients = new Map<string, S3Client>()

  constructor(init: S3ClientProviderInit = {}) {
    this.env = init.env ?? process.env
  }

  /** The endpoint requests go to for a spec's Endpoint (undefined: AWS itself). */
  endpointOf(endpoint?: string): string | undefined {
    return endpoint || this.env.AWS_ENDPOINT_URL_S3 || this.env.AWS_ENDPOINT_URL || undefined
  }

  /** The region requests are signed for. */
  regionOf(region?: string): string {
    return region || this.env.AWS_REGION || this.env.AWS_DEFAULT_REGION || 'us-east-1'
  }

  /** A (cached) client for a spec's Endpoint and Region. */
  client(endpoint?: string, region?: string): S3Client {
    const resolvedEndpoint = this.endpointOf(endpoint)
    const resolvedRegion = this.regionOf(region)
    const key = `${resolvedEndpoint ?? ''}\n${resolvedRegion}`
    let client = this.clients.get(key)
    if (!client) {
      client = new S3Client({
        region: resolvedRegion,
        endpoint: resolvedEndpoint,
        // S3-compatible stores (Ceph, MinIO) serve buckets under the path, not as subdomains.
        forcePathStyle: resolvedEndpoint !== undefined,
        // Default flexible checksums send aws-chunked bodies that S3-compatible stores refuse
        // (radosgw: MissingContentLength) or store with the framing (docs/ENVIRONMENT.md "S3").
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
      })
      this.clients.set(key, client)
    }
    return client
  }

  /** Whether the default chain yields credentials (what upstream's IsInstalled checks). */
  async availability(): Promise<S3Availability> {
    try {
      const credentials = await this.client().config.credentials()
      if (!credentials.accessKeyId) return { ok: false, reason: 'the AWS credential chain gave an empty access key' }
      return { ok: true }
    } catch (error) {
      return { ok: false, reason: `no AWS credentials (set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE): ${(error as Error).message}` }
    }
  }

  /** Closes every client's connections. */
  destroy(): void {
    for (const client of this.clients.values()) client.destroy()
    this.clients.clear()
  }
}

/** Why an S3 call failed, in words a user can act on, naming the bucket, key and endpoint. */
export function describeS3Failure(error: unknown, where: { bucket: string; key?: string; endpoint?: string; action: string }): { message: string; hint: string } {
  const err = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } }
  const name = err.name ?? 'Error'
  const status = err.$metadata?.httpStatusCode
  const object = `s3://${where.bucket}/${where.key ?? ''}`
  const at = where.endpoint ? ` at ${where.endpoint}` : ''
  const code = status ? `${name}, HTTP ${status}` : name
  if (name === 'CredentialsProviderError' || /credential/i.test(name)) {
    return { message: `${where.action} ${object}${at} failed: no AWS credentials (${err.message})`, hint: 'give the compute node credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE' }
  }
  if (['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'AccessDenied', 'Forbidden'].includes(name) || status === 403) {
    return { message: `${where.action} ${object}${at} failed: the credentials were refused (${code})`, hint: "check the compute node's AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY and that they may read/write this bucket" }
  }
  if (name === 'NoSuchBucket') return { message: `${where.action} ${object}${at} failed: bucket ${where.bucket} does not exist (${code})`, hint: 'check Params.Bucket and Params.Endpoint' }
  if (name === 'NoSuchKey' || name === 'NotFound' || status === 404) return { message: `${where.action} ${object}${at} failed: no such object (${code})`, hint: 'check Params.Key (and Params.VersionID)' }
  if (status === 412) return { message: `${where.action} ${object}${at} failed: the object changed while it was read (${code})`, hint: 'retry the job' }
  return { message: `${where.action} ${object}${at} failed: ${err.message || name} (${code})`, hint: 'check Params.Endpoint and that the S3 service is reachable from the compute node' }
}

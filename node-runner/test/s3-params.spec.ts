// What a user writes in an s3 source or publisher spec, checked as upstream reads it: key
// templating and suffixes, and clear messages for specs that cannot work.
import { describe, expect, it } from 'vitest'
import { publishedKey, S3Publisher } from '../src/publisher/s3-publisher.ts'
import { S3ClientProvider } from '../src/storage/s3-client-provider.ts'
import { S3Storage } from '../src/storage/s3-storage.ts'

const clients = new S3ClientProvider({ env: {} })
const values = { jobId: 'j-1', executionId: 'e-2', nodeId: 'n-3', now: new Date(Date.UTC(2026, 0, 5, 7, 8, 9)) }

describe('s3 publisher keys', () => {
  it('fills {jobID}, {executionID}, {nodeID}, {date} and {time} (UTC) and adds .tar.gz to an archive key', () => {
    expect(publishedKey('out/{jobID}/{executionID}-{nodeID}-{date}-{time}', values, true)).toBe('out/j-1/e-2-n-3-20260105-070809.tar.gz')
    expect(publishedKey('out/{jobID}.tar.gz', values, true)).toBe('out/j-1.tar.gz')
  })

  it('ends a plain key with a slash, as the prefix of the files', () => {
    expect(publishedKey('out/{jobID}', values, false)).toBe('out/j-1/')
  })

  it('refuses a spec without Bucket or Key, or with an unknown Encoding, naming the field', () => {
    const publisher = new S3Publisher({ clients })
    expect(publisher.validate({ Type: 's3', Params: { Key: 'k' } })[0]).toMatch(/^Params\.Bucket: /)
    expect(publisher.validate({ Type: 's3', Params: { Bucket: 'b' } })[0]).toMatch(/^Params\.Key: /)
    expect(publisher.validate({ Type: 's3', Params: { Bucket: 'b', Key: 'k', Encoding: 'zip' } })[0]).toMatch(/^Params\.Encoding: must be "gzip" or "plain"/)
    expect(publisher.validate({ Type: 's3', Params: { Bucket: 'b', Key: 'k', Encoding: 'plain' } })).toEqual([])
  })
})

describe('s3 source specs', () => {
  const storage = new S3Storage({ clients })
  it('needs a Bucket, a valid Filter and a SHA-256 in base64 or hex', () => {
    expect(storage.validate({ Type: 's3', Params: { Key: 'k' } })[0]).toMatch(/^Params\.Bucket: /)
    expect(storage.validate({ Type: 's3', Params: { Bucket: 'b', Key: 'p/', Filter: '(' } })[0]).toMatch(/^Params\.Filter: not a valid regular expression/)
    expect(storage.validate({ Type: 's3', Params: { Bucket: 'b', Key: 'k', ChecksumSHA256: 'abc' } })[0]).toMatch(/^Params\.ChecksumSHA256: /)
    expect(storage.validate({ Type: 's3', Params: { Bucket: 'b', Key: 'k', ChecksumSHA256: 'a'.repeat(64) } })).toEqual([])
    expect(storage.validate({ Type: 's3', Params: { Bucket: 'b', Key: 'k', ChecksumSHA256: `${'A'.repeat(43)}=` } })).toEqual([])
  })

  it('says partitioning is not supported rather than fetch every object into each execution', () => {
    expect(storage.validate({ Type: 's3', Params: { Bucket: 'b', Key: 'p/', Partition: { Type: 'object' } } })[0]).toMatch(/^Params\.Partition\.Type: object partitioning is not supported/)
    expect(storage.validate({ Type: 's3', Params: { Bucket: 'b', Key: 'p/', Partition: { Type: 'none' } } })).toEqual([])
  })
})

describe('s3 endpoint and region', () => {
  it("takes the spec's Endpoint and Region over AWS_ENDPOINT_URL_S3 and AWS_REGION", () => {
    const fromEnv = new S3ClientProvider({ env: { AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9000', AWS_REGION: 'eu-west-1' } })
    expect(fromEnv.endpointOf()).toBe('http://127.0.0.1:9000')
    expect(fromEnv.regionOf()).toBe('eu-west-1')
    expect(fromEnv.endpointOf('http://127.0.0.1:9100')).toBe('http://127.0.0.1:9100')
    expect(fromEnv.regionOf('us-west-2')).toBe('us-west-2')
    expect(new S3ClientProvider({ env: {} }).regionOf()).toBe('us-east-1')
  })
})

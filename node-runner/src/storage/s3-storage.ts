import { createHash } from 'node:crypto'
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3'
import type { ReadableTree, StorageContext, StorageProvider, TreeEntry, Volume, VolumeSpace } from '@shoal/interface'
import { StorageError, type InputSource, type SpecConfig } from '@shoal/models'
import { describeS3Failure, type S3ClientProvider } from './s3-client-provider.ts'

/** Upstream's s3 source Params (pkg/s3/types.go SourceSpec). */
export interface S3SourceSpec {
  Bucket: string
  /** An object key, or a prefix: ends with '/' or '*', or empty for the whole bucket. */
  Key: string
  /** A regular expression the key (less the prefix) must match, for prefixes. */
  Filter: string
  Region: string
  Endpoint: string
  VersionID: string
  /** base64 (as S3 reports it) or hex SHA-256 of a single object. */
  ChecksumSHA256: string
  Partition?: { Type?: string }
}

/** One object to fetch. */
interface S3Object {
  key: string
  size: number
  etag?: string
  versionId?: string
  isDir: boolean
}

/** Options of S3Storage. */
export interface S3StorageInit {
  clients: S3ClientProvider
}

const str = (value: unknown) => (typeof value === 'string' ? value : '')

/** Reads upstream's SourceSpec from Params (field names as upstream, case as sent). */
export function decodeS3SourceSpec(source: SpecConfig): S3SourceSpec {
  const params = source.Params ?? {}
  return {
    Bucket: str(params.Bucket),
    Key: str(params.Key),
    Filter: str(params.Filter),
    Region: str(params.Region),
    Endpoint: str(params.Endpoint),
    VersionID: str(params.VersionID),
    ChecksumSHA256: str(params.ChecksumSHA256),
    Partition: typeof params.Partition === 'object' && params.Partition !== null ? (params.Partition as { Type?: string }) : undefined,
  }
}

const where = (input: InputSource, index: number | undefined) => (index === undefined ? `the input for ${input.Target}` : `InputSources[${index}]`)

/** The base64 form of a SHA-256 given as base64 or 64 hex digits. */
function checksumBase64(value: string): string {
  return /^[0-9a-fA-F]{64}$/.test(value) ? Buffer.from(value, 'hex').toString('base64') : value
}

/**
 * The `s3` input source: an object, or every object under a prefix (Key ending in '/' or '*',
 * Filter a regular expression on the rest of the key), streamed from GetObject into the node's
 * space as upstream's storage does, below the prefix's directory. ChecksumSHA256 is checked
 * against the checksum S3 stored, or else against the bytes as they stream.
 */
export class S3Storage implements StorageProvider {
  readonly type = 's3'
  private readonly clients: S3ClientProvider

  constructor(init: S3StorageInit) {
    this.clients = init.clients
  }

  validate(source: SpecConfig): string[] {
    const spec = decodeS3SourceSpec(source)
    const problems: string[] = []
    if (spec.Bucket === '') problems.push('Params.Bucket: an s3 source needs a bucket')
    if (spec.Filter !== '') {
      try {
        new RegExp(spec.Filter)
      } catch (error) {
        problems.push(`Params.Filter: not a valid regular expression (${(error as Error).message})`)
      }
    }
    if (spec.Partition?.Type && spec.Partition.Type !== 'none') problems.push(`Params.Partition.Type: ${spec.Partition.Type} partitioning is not supported by Shoal yet; leave Partition out`)
    if (spec.ChecksumSHA256 !== '' && !/^[0-9a-fA-F]{64}$/.test(spec.ChecksumSHA256) && !/^[A-Za-z0-9+/]{43}=$/.test(spec.ChecksumSHA256)) {
      problems.push('Params.ChecksumSHA256: give the SHA-256 as base64 (as S3 reports it) or 64 hex digits')
    }
    return problems
  }

  async isInstalled(): Promise<boolean> {
    return (await this.clients.availability()).ok
  }

  async getVolumeSize(input: InputSource, options?: StorageContext): Promise<number | undefined> {
    const spec = this.checked(input, options?.inputIndex)
    const objects = await this.explode(spec, options?.signal)
    return objects.reduce((total, object) => total + object.size, 0)
  }

  async prepare(input: InputSource, options: StorageContext & { space: VolumeSpace }): Promise<Volume> {
    const spec = this.checked(input, options.inputIndex)
    const objects = await this.explode(spec, options.signal)
    const client = this.clients.client(spec.Endpoint, spec.Region)
    const endpoint = this.clients.endpointOf(spec.Endpoint)
    const label = `${where(input, options.inputIndex)} (s3://${spec.Bucket}/${spec.Key})`
    const expected = spec.ChecksumSHA256 !== '' && objects.length === 1 && !objects[0]!.isDir ? checksumBase64(spec.ChecksumSHA256) : undefined
    const onProgress = options.onProgress
    const total = objects.reduce((sum, object) => sum + object.size, 0)
    let done = 0
    const open = (object: S3Object) => (): ReadableStream<Uint8Array> => {
      const hash = expected && !(object as S3Object & { verified?: boolean }).verified ? createHash('sha256') : undefined
      let reader: ReadableStreamDefaultReader<Uint8Array> | undefined
      return new ReadableStream<Uint8Array>(
        {
          async pull(controller) {
            if (!reader) {
              try {
                const response = await client.send(
                  new GetObjectCommand({ Bucket: spec.Bucket, Key: object.key, VersionId: object.versionId, IfMatch: object.etag }),
                  { abortSignal: options.signal },
                )
                const body = response.Body as { transformToWebStream(): ReadableStream<Uint8Array> } | undefined
                reader = (body?.transformToWebStream() ?? new ReadableStream<Uint8Array>({ start: (c) => c.close() })).getReader()
              } catch (error) {
                const { message, hint } = describeS3Failure(error, { bucket: spec.Bucket, key: object.key, endpoint, action: 'GET' })
                throw new StorageError(message, { cause: error, hint })
              }
            }
            const { done: ended, value } = await reader.read()
            if (ended) {
              if (hash) {
                const actual = hash.digest('base64')
                if (actual !== expected) throw checksumMismatch(spec, expected!, actual)
              }
              controller.close()
              return
            }
            hash?.update(value)
            done += value.byteLength
            onProgress?.({ type: 'bytes', detail: { label, done, total } })
            controller.enqueue(value)
          },
          async cancel(reason) {
            await reader?.cancel(reason)
          },
        },
        { highWaterMark: 0 },
      )
    }
    const tree = objectTree(objects, spec.Key, open)
    try {
      return await options.space.write(options.executionId, tree, { name: `input-${options.inputIndex ?? 0}`, label, signal: options.signal, onProgress })
    } catch (error) {
      if (error instanceof StorageError) throw error
      if (options.signal?.aborted) throw options.signal.reason
      throw new StorageError(`reading s3://${spec.Bucket}/${spec.Key} broke off: ${(error as Error).message}`, { cause: error })
    }
  }

  private checked(input: InputSource, index: number | undefined): S3SourceSpec {
    const problems = this.validate(input.Source)
    if (problems.length > 0) throw new StorageError(`${where(input, index)}.Source.${problems[0]}`)
    return decodeS3SourceSpec(input.Source)
  }

  /** The objects a spec names (upstream's explodeKey): HEAD for a key, a listing for a prefix. */
  private async explode(spec: S3SourceSpec, signal?: AbortSignal): Promise<(S3Object & { verified?: boolean })[]> {
    const client = this.clients.client(spec.Endpoint, spec.Region)
    const endpoint = this.clients.endpointOf(spec.Endpoint)
    if (spec.Key !== '' && !spec.Key.endsWith('*') && !spec.Key.endsWith('/')) {
      let head
      try {
        head = await client.send(
          new HeadObjectCommand({ Bucket: spec.Bucket, Key: spec.Key, VersionId: spec.VersionID || undefined, ChecksumMode: spec.ChecksumSHA256 ? 'ENABLED' : undefined }),
          { abortSignal: signal },
        )
      } catch (error) {
        if (signal?.aborted) throw signal.reason
        const { message, hint } = describeS3Failure(error, { bucket: spec.Bucket, key: spec.Key, endpoint, action: 'HEAD' })
        throw new StorageError(message, { cause: error, hint })
      }
      // A stored full-object checksum is compared up front, as upstream does; else the bytes are
      // hashed as they stream (S3-compatible stores often keep no checksum).
      const stored = head.ChecksumSHA256 && !head.ChecksumSHA256.includes('-') ? head.ChecksumSHA256 : undefined
      if (spec.ChecksumSHA256 && stored && stored !== checksumBase64(spec.ChecksumSHA256)) throw checksumMismatch(spec, checksumBase64(spec.ChecksumSHA256), stored)
      if (!head.ContentType?.startsWith('application/x-directory')) {
        return [{ key: spec.Key, size: head.ContentLength ?? 0, etag: head.ETag, versionId: spec.VersionID || undefined, isDir: false, verified: stored !== undefined }]
      }
    }
    const prefix = spec.Key.trim().replace(/\*$/, '')
    const filter = spec.Filter ? new RegExp(spec.Filter) : undefined
    const objects: S3Object[] = []
    let token: string | undefined
    // Bounded by the listing: each page moves the continuation token on.
    for (;;) {
      let page
      try {
        page = await client.send(new ListObjectsV2Command({ Bucket: spec.Bucket, Prefix: prefix, ContinuationToken: token }), { abortSignal: signal })
      } catch (error) {
        if (signal?.aborted) throw signal.reason
        const { message, hint } = describeS3Failure(error, { bucket: spec.Bucket, key: prefix, endpoint, action: 'LIST' })
        throw new StorageError(message, { cause: error, hint })
      }
      for (const item of page.Contents ?? []) {
        const key = item.Key ?? ''
        if (filter && !filter.test(key.slice(prefix.length))) continue
        objects.push({ key, size: item.Size ?? 0, etag: item.ETag, isDir: key.endsWith('/') })
      }
      if (!page.IsTruncated || !page.NextContinuationToken) break
      token = page.NextContinuationToken
    }
    return objects
  }
}

function checksumMismatch(spec: S3SourceSpec, expected: string, actual: string): StorageError {
  return new StorageError(`checksum mismatch for s3://${spec.Bucket}/${spec.Key}: Params.ChecksumSHA256 is ${expected}, the object's SHA-256 is ${actual}`, {
    hint: 'the object changed or the checksum is wrong; fix Params.ChecksumSHA256 (base64 SHA-256) or the object',
  })
}

/** A directory node of the tree being built. */
interface DirNode {
  dirs: Map<string, DirNode>
  files: Map<string, S3Object>
}

/**
 * The objects as a directory tree, each key made relative to the prefix's directory as upstream
 * does (s3://b/dir/file-* gives file-1, file-2 at the Target).
 */
function objectTree(objects: S3Object[], key: string, open: (object: S3Object) => () => ReadableStream<Uint8Array>): ReadableTree {
  const prefixParts = key.trim().replace(/\*$/, '').split('/')
  const root: DirNode = { dirs: new Map(), files: new Map() }
  for (const object of objects) {
    const parts = object.key.split('/')
    let start = 0
    for (let i = 0; i < prefixParts.length - 1 && parts[i] === prefixParts[i]; i++) start++
    const relative = parts.slice(start).filter((part) => part !== '')
    if (relative.some((part) => part === '.' || part === '..')) throw new StorageError(`object key ${JSON.stringify(object.key)} has a '.' or '..' path component; it cannot be placed safely`)
    if (relative.length === 0) continue
    let dir = root
    const last = object.isDir ? relative.length : relative.length - 1
    for (const part of relative.slice(0, last)) {
      let next = dir.dirs.get(part)
      if (!next) dir.dirs.set(part, (next = { dirs: new Map(), files: new Map() }))
      dir = next
    }
    if (!object.isDir) dir.files.set(relative[relative.length - 1]!, object)
  }
  const size = objects.reduce((total, object) => total + (object.isDir ? 0 : object.size), 0)
  async function* walk(dir: DirNode, prefix: string): AsyncGenerator<TreeEntry> {
    const names = [...new Set([...dir.dirs.keys(), ...dir.files.keys()])].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    for (const name of names) {
      const path = prefix === '' ? name : `${prefix}/${name}`
      const file = dir.files.get(name)
      if (file) yield { path, kind: 'file', size: file.size, open: open(file) }
      const sub = dir.dirs.get(name)
      if (sub && !file) {
        yield { path, kind: 'directory', size: 0 }
        yield* walk(sub, path)
      }
    }
  }
  return { root: 'directory', size, entries: () => walk(root, '') }
}

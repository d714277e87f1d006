import { createWriteStream } from 'node:fs'
import { mkdir, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { createGzip, type Gzip } from 'node:zlib'
import { PublishError, type SpecConfig } from '@shoal/models'
import { freeSpentChunk, type AbortOptions, type Publisher, type PublishRequest } from '@shoal/interface'
import { tarStream } from '@shoal/compute'

/**
 * Feeds `tar` to `gzip` one chunk at a time, each written once gzip has consumed the one before,
 * then ends it. A chunk its producer handed over (a job's output read from the scratch image) is
 * freed as soon as gzip has consumed it: left to V8, spent 4 MiB chunks piled up to ~70 MiB before a
 * GC while a node archived a large result. Errors destroy `gzip`, failing its pipeline too.
 */
async function compressInto(tar: ReadableStream<Uint8Array>, gzip: Gzip, options: AbortOptions): Promise<void> {
  const reader = tar.getReader()
  try {
    for (;;) {
      options.signal?.throwIfAborted()
      const { done, value } = await reader.read()
      if (done) break
      // The callback runs once zlib has compressed the whole chunk (and gzip's output drained).
      await new Promise<void>((resolve, reject) => {
        // A gzip destroyed by its pipeline (the disk failed) may never call back.
        const closed = (): void => reject(new Error('the archive was closed before it was complete'))
        gzip.once('close', closed)
        gzip.write(value, (err) => {
          gzip.off('close', closed)
          if (err) reject(err)
          else resolve()
        })
      })
      freeSpentChunk(value)
    }
    gzip.end()
  } catch (err) {
    gzip.destroy(err as Error)
    await reader.cancel(err).catch(() => {})
    throw err
  }
}

/** Options of the local publisher. */
export interface LocalPublisherOptions {
  /** Directory the result archives are written to. */
  directory: string
  /** Base URL the archives are served at, e.g. http://127.0.0.1:6001 (see ResultServer). */
  baseUrl: () => string
  /** The query that authorises downloading an archive (ResultUrlSigner.sign); none when unset. */
  sign?: (name: string) => string
}

/**
 * The `local` publisher: the result directory becomes `<executionId>.tar.gz` in the node's data
 * dir, served over HTTP by the compute node; the published result is a `urlDownload` of it, as
 * in Bacalhau, so `shoal job get` on another machine can fetch it. Unlike Bacalhau's, the URL
 * carries an expiring signature, so only those the requester shows the result to can fetch it.
 */
export class LocalPublisher implements Publisher {
  readonly type = 'local'
  private readonly options: LocalPublisherOptions

  constructor(options: LocalPublisherOptions) {
    this.options = options
  }

  async publish(request: PublishRequest): Promise<SpecConfig> {
    const name = `${request.executionId}.tar.gz`
    const target = join(this.options.directory, name)
    try {
      await mkdir(this.options.directory, { recursive: true })
      const label = `publishing ${name}`
      const total = request.result.size
      const onProgress = request.onProgress
      // Streamed to disk as the tree is read: the archive is never held in memory. Written
      // then renamed, so a half-written archive is never served.
      const tar = tarStream(request.result, { signal: request.signal, onBytes: onProgress && ((done) => onProgress({ type: 'bytes', detail: { label, done, total } })) })
      const gzip = createGzip()
      const written = pipeline(gzip, createWriteStream(target + '.tmp'), { signal: request.signal })
      await Promise.all([compressInto(tar, gzip, { signal: request.signal }), written])
      await rename(target + '.tmp', target)
    } catch (err) {
      await rm(target + '.tmp', { force: true }).catch(() => {})
      if (request.signal?.aborted) throw err
      throw new PublishError(`local publisher could not write ${name}: ${(err as Error).message}`, {
        cause: err,
        hint: 'check that the compute node data dir is writable and has free space',
      })
    }
    const query = this.options.sign?.(name)
    return { Type: 'urlDownload', Params: { URL: `${this.options.baseUrl()}/results/${name}${query ? `?${query}` : ''}` } }
  }
}

import { createWriteStream } from 'node:fs'
import { mkdir, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { PublishError, type SpecConfig } from '@shoal/models'
import type { Publisher, PublishRequest } from '@shoal/interface'
import { tarGzStream } from '@shoal/compute'

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
      const archive = tarGzStream(request.result, { signal: request.signal, onBytes: onProgress && ((done) => onProgress({ type: 'bytes', detail: { label, done, total } })) })
      await pipeline(Readable.fromWeb(archive as import('node:stream/web').ReadableStream<Uint8Array>), createWriteStream(target + '.tmp'), { signal: request.signal })
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

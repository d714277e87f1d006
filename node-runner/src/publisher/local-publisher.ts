import { mkdir, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { PublishError, type SpecConfig } from '@shoal/models'
import type { Publisher, PublishRequest } from '@shoal/interface'
import { bundleResult } from '@shoal/compute'

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
    try {
      const archive = await bundleResult(request.result)
      await mkdir(this.options.directory, { recursive: true })
      const target = join(this.options.directory, name)
      // Write then rename, so a half-written archive is never served.
      await writeFile(target + '.tmp', archive)
      await rename(target + '.tmp', target)
    } catch (err) {
      throw new PublishError(`local publisher could not write ${name}: ${(err as Error).message}`, {
        cause: err,
        hint: 'check that the compute node data dir is writable and has free space',
      })
    }
    const query = this.options.sign?.(name)
    return { Type: 'urlDownload', Params: { URL: `${this.options.baseUrl()}/results/${name}${query ? `?${query}` : ''}` } }
  }
}

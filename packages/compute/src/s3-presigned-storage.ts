import { StorageError, type InputSource, type SpecConfig } from '@shoal/models'
import type { StorageContext, StorageProvider, Volume, VolumeSpace } from '@shoal/interface'
import type { UrlDownloadStorage } from './url-download-storage.ts'

/** Options of S3PreSignedStorage. */
export interface S3PreSignedStorageInit {
  /** The URL downloader that fetches the presigned URL (its host policy and fetch apply). */
  download: UrlDownloadStorage
}

const path = (input: InputSource, index: number | undefined) => (index === undefined ? `the input for ${input.Target}` : `InputSources[${index}]`)

/**
 * The `s3PreSigned` input source (upstream's PreSignedResultSpec: PreSignedURL plus the object's
 * Bucket/Key): a presigned GET URL needs no credentials, so any runtime fetches it as a URL
 * download, the file named after the object key's last segment.
 */
export class S3PreSignedStorage implements StorageProvider {
  readonly type = 's3PreSigned'
  private readonly download: UrlDownloadStorage

  constructor(init: S3PreSignedStorageInit) {
    this.download = init.download
  }

  validate(source: SpecConfig): string[] {
    const url = source.Params?.PreSignedURL
    if (typeof url !== 'string' || url === '') return ['Params.PreSignedURL: an s3PreSigned source needs the presigned GET URL']
    return this.download.validate({ Type: 'urlDownload', Params: { URL: url } }).map((problem) => problem.replace('Params.URL', 'Params.PreSignedURL'))
  }

  async prepare(input: InputSource, options: StorageContext & { space: VolumeSpace }): Promise<Volume> {
    const problems = this.validate(input.Source)
    if (problems.length > 0) throw new StorageError(`${path(input, options.inputIndex)}.Source.${problems[0]}`)
    const url = String(input.Source.Params.PreSignedURL)
    try {
      return await this.download.prepare({ ...input, Source: { Type: 'urlDownload', Params: { URL: url } } }, options)
    } catch (error) {
      // The signature in the query is a credential: messages show the URL without it.
      if (error instanceof StorageError && error.message.includes(url)) {
        const shown = url.replace(/\?.*$/, '?…')
        throw new StorageError(error.message.replaceAll(url, shown), { cause: error, hint: error.hint ?? 'the presigned URL may have expired; sign a new one' })
      }
      throw error
    }
  }
}

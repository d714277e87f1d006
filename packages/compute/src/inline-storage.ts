import { StorageError, type InputSource, type SpecConfig } from '@shoal/models'
import type { FileTreeNode, StorageContext, StorageProvider } from '@shoal/interface'
import { parseDataUrl } from './data-url.ts'
import { gunzip } from './result-bundle.ts'

/** Options of InlineStorage. */
export interface InlineStorageInit {
  /** Largest decoded (and decompressed) input accepted, in bytes (default 64 MiB). */
  maxBytes?: number
}

const GZIP_TYPES = new Set(['application/gzip', 'application/x-gzip'])

/**
 * The `inline` input source: the data travels in the job spec as a `data:` URL (plain or
 * base64; gzip-compressed when the media type is application/gzip or a `;gzip` parameter is
 * given). It becomes one file mounted at the input's Target.
 */
export class InlineStorage implements StorageProvider {
  readonly type = 'inline'
  private readonly maxBytes: number

  constructor(init: InlineStorageInit = {}) {
    this.maxBytes = init.maxBytes ?? 64 * 1024 * 1024
  }

  validate(source: SpecConfig): string[] {
    const url = source.Params?.URL
    if (typeof url !== 'string' || url === '') return ['Params.URL: an inline source needs a data: URL, e.g. data:text/plain;base64,aGk=']
    if (!/^data:/i.test(url)) return ['Params.URL: an inline source needs a data: URL (it starts with "data:")']
    return []
  }

  async getVolumeSize(input: InputSource): Promise<number | undefined> {
    const url = input.Source.Params?.URL
    return typeof url === 'string' ? url.length : undefined
  }

  async prepare(input: InputSource, options: StorageContext): Promise<FileTreeNode> {
    options.signal?.throwIfAborted()
    const url = input.Source.Params?.URL
    if (typeof url !== 'string') {
      throw new StorageError(`inline input for ${input.Target} has no Source.Params.URL`, {
        hint: 'give the data as a data: URL, e.g. data:text/plain;base64,aGk=',
      })
    }
    let parsed
    try {
      parsed = parseDataUrl(url)
    } catch (err) {
      throw new StorageError(`inline input for ${input.Target} is not a valid data: URL: ${(err as Error).message}`, {
        cause: err,
        hint: 'use data:[<media type>][;base64],<data>',
      })
    }
    const compressed = GZIP_TYPES.has(parsed.mediaType) || parsed.parameters.some((p) => p.toLowerCase() === 'gzip')
    let data = parsed.data
    if (compressed) {
      try {
        data = await gunzip(data, { signal: options.signal, maxBytes: this.maxBytes })
      } catch (err) {
        if (options.signal?.aborted) throw err
        throw new StorageError(`inline input for ${input.Target} says it is gzip-compressed but could not be decompressed: ${(err as Error).message}`, {
          cause: err,
          hint: 'drop ";gzip" / application/gzip from the data: URL when the payload is not gzip data',
        })
      }
    }
    if (data.byteLength > this.maxBytes) {
      throw new StorageError(`inline input for ${input.Target} holds ${data.byteLength} bytes, more than the ${this.maxBytes} allowed`, {
        hint: 'put large inputs behind a URL (urlDownload) instead of inlining them',
      })
    }
    return { kind: 'file', data }
  }
}

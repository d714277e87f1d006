import { StorageError, type InputSource, type SpecConfig } from '@shoal/models'
import type { StorageContext, StorageProvider, Volume } from '@shoal/interface'
import { parseDataUrl } from './data-url.ts'
import { gunzip } from './result-bundle.ts'
import { readTar } from './tar-archive.ts'

/** Options of InlineStorage. */
export interface InlineStorageInit {
  /** Largest decoded (and decompressed) input accepted, in bytes (default 64 MiB). */
  maxBytes?: number
}

const GZIP_TYPES = new Set(['application/gzip', 'application/x-gzip'])

/**
 * The `inline` input source: the data travels in the job spec as a `data:` URL (plain or
 * base64). Usually it becomes one file mounted at the input's Target. As in Bacalhau, an
 * application/gzip payload that holds a tar archive (what `bacalhau` uploads for a directory
 * or a file over 512 bytes) is unpacked into a directory mounted at the Target; a gzip payload
 * that is not a tar, or one marked with a `;gzip` parameter, becomes one decompressed file.
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

  async prepare(input: InputSource, options: StorageContext): Promise<Volume> {
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
    if (GZIP_TYPES.has(parsed.mediaType) && isTar(data)) {
      try {
        return { kind: 'memory', node: readTar(data, { maxBytes: this.maxBytes }) }
      } catch (err) {
        throw new StorageError(`inline input for ${input.Target} is a tar.gz archive that cannot be unpacked: ${(err as Error).message}`, {
          cause: err,
          hint: 'build the archive again (tar -czf), or send the file itself as data:application/octet-stream;base64,…',
        })
      }
    }
    return { kind: 'memory', node: { kind: 'file', data } }
  }
}

/** Whether `data` starts like a tar archive: "ustar" magic in its first header (POSIX and GNU). */
function isTar(data: Uint8Array): boolean {
  if (data.byteLength < 512) return false
  const magic = [0x75, 0x73, 0x74, 0x61, 0x72] // "ustar"
  return magic.every((byte, i) => data[257 + i] === byte)
}

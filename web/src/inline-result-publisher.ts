import { PublishError, type SpecConfig } from '@shoal/models'
import { readStreamBytes, type Publisher, type PublishRequest } from '@shoal/interface'
import { tarGzStream } from '@shoal/compute'

/** Largest result archive a tab publishes inline (the whole RunResult travels in one frame). */
export const MAX_INLINE_RESULT_BYTES = 4 * 1024 * 1024

/**
 * The `local` publisher of a browser tab. A tab cannot serve files, so the result archive
 * (`.tar.gz` of stdout, stderr, exitCode and the result paths) travels to the requester inside
 * the published result, as a `urlDownload` of a `data:` URL: `shoal job get` downloads it like
 * any other local result, and it outlives the tab. Results above MAX_INLINE_RESULT_BYTES fail
 * with a PublishError that says to publish elsewhere.
 */
export class InlineResultPublisher implements Publisher {
  readonly type = 'local'
  private readonly maxBytes: number

  constructor(init: { maxBytes?: number } = {}) {
    this.maxBytes = init.maxBytes ?? MAX_INLINE_RESULT_BYTES
  }

  async publish(request: PublishRequest): Promise<SpecConfig> {
    const tooLarge = () =>
      new PublishError(`the result of ${request.executionId} is more than ${this.maxBytes} bytes compressed; a browser tab publishes at most ${this.maxBytes} bytes inline`, {
        hint: 'run jobs with larger results on a node-runner compute node (leave out --constraints runtime=browser)',
      })
    const archive = await readStreamBytes(tarGzStream(request.result, { signal: request.signal }), this.maxBytes, tooLarge)
    return { Type: 'urlDownload', Params: { URL: `data:application/gzip;base64,${base64(archive)}` } }
  }
}

function base64(bytes: Uint8Array): string {
  let binary = ''
  // Chunks keep String.fromCharCode's argument list short.
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return btoa(binary)
}

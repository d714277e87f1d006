import { PublishError, type SpecConfig } from '@shoal/models'
import { readStreamBytes, type Publisher, type PublishRequest } from '@shoal/interface'
import { tarGzStream } from '@shoal/compute'

/**
 * Largest result archive a tab sends inline (compressed). Small results travel in the RunResult
 * itself: no second round trip, nothing to keep on the tab. Larger ones would swell the
 * requester's job store and the compute protocol's frames, so they go to IPFS.
 */
export const MAX_INLINE_RESULT_BYTES = 1024 * 1024

/** Options of a TabResultPublisher. */
export interface TabResultPublisherInit {
  /** Largest compressed archive sent inline (default MAX_INLINE_RESULT_BYTES). */
  maxInlineBytes?: number
  /**
   * Publishes results too large to send inline: the tab's `ipfs` publisher, whose result the
   * requester fetches and pins before the execution counts as Completed. Without one, larger
   * results fail with a PublishError.
   */
  larger?: Publisher
}

/**
 * The `local` publisher of a browser tab. A tab cannot serve files, so a small result archive
 * (`.tar.gz` of stdout, stderr, exitCode and the result paths) travels to the requester inside
 * the published result, as a `urlDownload` of a `data:` URL; a larger one is published to IPFS
 * (`Type: ipfs`, the result directory as UnixFS) and the requester keeps it. Either way
 * `shoal job get` downloads it, and it outlives the tab.
 */
export class TabResultPublisher implements Publisher {
  readonly type = 'local'
  private readonly maxInlineBytes: number
  private readonly larger?: Publisher

  constructor(init: TabResultPublisherInit = {}) {
    this.maxInlineBytes = init.maxInlineBytes ?? MAX_INLINE_RESULT_BYTES
    this.larger = init.larger
  }

  async publish(request: PublishRequest): Promise<SpecConfig> {
    const tooLarge = new TooLargeForInline()
    let archive: Uint8Array
    try {
      // Bounded: at most maxInlineBytes of archive are produced before falling back.
      archive = await readStreamBytes(tarGzStream(request.result, { signal: request.signal }), this.maxInlineBytes, () => tooLarge)
    } catch (err) {
      if (err !== tooLarge) throw err
      if (this.larger === undefined) {
        throw new PublishError(`the result of ${request.executionId} is more than ${this.maxInlineBytes} bytes compressed; this tab publishes at most ${this.maxInlineBytes} bytes inline and has no IPFS node`, {
          hint: 'run jobs with larger results on a node-runner compute node (leave out --constraints runtime=browser)',
        })
      }
      // The result is walked again from the start: its volumes are still held until publishing ends.
      return this.larger.publish(request)
    }
    return { Type: 'urlDownload', Params: { URL: `data:application/gzip;base64,${base64(archive)}` } }
  }
}

/** Marks the inline attempt's overflow; never leaves publish(). */
class TooLargeForInline extends Error {
  override readonly name = 'TooLargeForInline'
}

function base64(bytes: Uint8Array): string {
  let binary = ''
  // Chunks keep String.fromCharCode's argument list short.
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return btoa(binary)
}

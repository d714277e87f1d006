import { StorageError, TimeoutError, UrlRefusedError, type InputSource, type SpecConfig } from '@shoal/models'
import { systemClock, type Clock, type ReadableTree, type StorageContext, type StorageProvider, type Volume, type VolumeSpace } from '@shoal/interface'
import { UrlHostPolicy } from './url-host-policy.ts'

/** The context of a download: where its bytes go. */
export type UrlDownloadContext = StorageContext & { space: VolumeSpace }

/** Options of UrlDownloadStorage. */
export interface UrlDownloadStorageInit {
  /** The fetch to use (injected: tests, proxies, runtime-specific clients). Default: globalThis.fetch. */
  fetch?: typeof globalThis.fetch
  /**
   * Largest download accepted, in bytes. Default: no cap but the node's disk budget, as the
   * download streams into the node's space.
   */
  maxBytes?: number
  /** Time allowed for the whole download, in ms (default 5 minutes). */
  timeoutMs?: number
  /**
   * Which hosts may be fetched (default: loopback, link-local and private addresses refused).
   * Every redirect hop is checked too; addresses a host name resolves to can only be checked by
   * an injected `fetch` that sees the connection (node-runner's address-checked fetch).
   */
  policy?: UrlHostPolicy
  /** Most redirects followed before giving up (default 10, as Go's HTTP client). */
  maxRedirects?: number
  clock?: Clock
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308])

const path = (input: InputSource, index: number | undefined) =>
  index === undefined ? `the input for ${input.Target}` : `InputSources[${index}]`

/**
 * The `urlDownload` input source: fetches Params.URL (http or https) and mounts the file, named
 * after the last segment of the URL path, inside a directory at the input's Target.
 */
export class UrlDownloadStorage implements StorageProvider {
  readonly type = 'urlDownload'
  private readonly fetch: typeof globalThis.fetch
  private readonly maxBytes: number
  private readonly timeoutMs: number
  private readonly policy: UrlHostPolicy
  private readonly maxRedirects: number
  private readonly clock: Clock

  constructor(init: UrlDownloadStorageInit = {}) {
    this.fetch = init.fetch ?? ((...args) => globalThis.fetch(...args))
    this.maxBytes = init.maxBytes ?? Number.POSITIVE_INFINITY
    this.timeoutMs = init.timeoutMs ?? 5 * 60_000
    this.policy = init.policy ?? new UrlHostPolicy()
    this.maxRedirects = init.maxRedirects ?? 10
    this.clock = init.clock ?? systemClock
  }

  validate(source: SpecConfig): string[] {
    const url = source.Params?.URL
    if (typeof url !== 'string' || url === '') return ['Params.URL: a urlDownload source needs an http(s) URL']
    try {
      const parsed = new URL(url)
      if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return [`Params.URL: ${parsed.protocol} URLs are not supported; use http or https`]
    } catch {
      return [`Params.URL: ${JSON.stringify(url)} is not a valid URL`]
    }
    return []
  }

  async prepare(input: InputSource, options: UrlDownloadContext): Promise<Volume> {
    const where = `${path(input, options.inputIndex)}.Source.Params.URL`
    const problems = this.validate(input.Source)
    if (problems.length > 0) throw new StorageError(`${path(input, options.inputIndex)}.Source.${problems[0]}`)
    const url = new URL(String(input.Source.Params.URL))

    const timeout = new AbortController()
    const timer = this.clock.setTimeout(() => timeout.abort(new TimeoutError(`GET ${url} took longer than ${this.timeoutMs < 1000 ? `${this.timeoutMs} ms` : `${Math.round(this.timeoutMs / 1000)}s`}`)), this.timeoutMs)
    const signal = options.signal ? AbortSignal.any([options.signal, timeout.signal]) : timeout.signal
    try {
      let response: Response
      let current = url
      // Redirects are followed by hand so every hop's host is checked before it is fetched.
      for (let hop = 0; ; hop++) {
        this.policy.checkUrl(current, where)
        try {
          response = await this.fetch(current, { signal, redirect: 'manual' })
        } catch (err) {
          if (options.signal?.aborted) throw options.signal.reason
          if (timeout.signal.aborted) throw new StorageError((timeout.signal.reason as Error).message, { cause: err, hint: 'use a faster source or a smaller file' })
          // An address-checked fetch refuses a host that resolved to a refused address.
          const refused = err instanceof UrlRefusedError ? err : (err as Error).cause instanceof UrlRefusedError ? ((err as Error).cause as UrlRefusedError) : undefined
          if (refused) throw new UrlRefusedError(`${where}: ${refused.message}`, { hint: refused.hint, details: refused.details, cause: refused })
          throw new StorageError(`GET ${current} failed: the server could not be reached (${(err as Error).message})`, {
            cause: err,
            hint: `check that the host is up and reachable from the compute node, and the URL in ${where}`,
          })
        }
        if (response.type === 'opaqueredirect') {
          throw new StorageError(`GET ${current} redirects, and this runtime hides where to; give the final URL in ${where}`)
        }
        if (!REDIRECT_STATUSES.has(response.status)) break
        await response.body?.cancel().catch(() => {})
        const location = response.headers.get('location')
        if (location === null) throw new StorageError(`GET ${current} answered ${response.status} without a Location header — check the URL in ${where}`)
        if (hop >= this.maxRedirects) throw new StorageError(`GET ${url} redirected more than ${this.maxRedirects} times — check the URL in ${where}`)
        let next: URL
        try {
          next = new URL(location, current)
        } catch {
          throw new StorageError(`GET ${current} redirects to ${JSON.stringify(location)}, which is not a valid URL`)
        }
        if (next.protocol !== 'http:' && next.protocol !== 'https:') throw new StorageError(`GET ${current} redirects to a ${next.protocol} URL; only http and https are fetched`)
        current = next
      }
      if (!response.ok) {
        await response.body?.cancel().catch(() => {})
        throw new StorageError(`GET ${url} answered ${response.status} ${response.statusText || statusText(response.status)} — check the URL in ${where}`, {
          details: { status: response.status },
        })
      }
      const declared = Number(response.headers.get('content-length'))
      const tooLarge = () =>
        new StorageError(`GET ${url} is larger than the ${this.maxBytes} bytes this node downloads`, {
          hint: 'use a smaller input, or raise the download limit of the compute node',
        })
      if (Number.isFinite(declared) && declared > this.maxBytes) {
        await response.body?.cancel().catch(() => {})
        throw tooLarge()
      }
      const body = response.body ?? new ReadableStream<Uint8Array>({ start: (controller) => controller.close() })
      const name = fileNameOf(current)
      const size = Number.isFinite(declared) && response.headers.has('content-length') ? declared : undefined
      const label = `${path(input, options.inputIndex)} (urlDownload ${url})`
      const onProgress = options.onProgress
      let done = 0
      const maxBytes = this.maxBytes
      // The body is counted as it streams, so an endless or lying server stops at the cap.
      const counted = body.pipeThrough(
        new TransformStream<Uint8Array, Uint8Array>({
          transform(chunk, controller) {
            done += chunk.byteLength
            if (done > maxBytes) throw tooLarge()
            controller.enqueue(chunk)
            onProgress?.({ type: 'bytes', detail: { label, done, total: size } })
          },
        }),
      )
      const tree: ReadableTree = {
        root: 'directory',
        size,
        async *entries() {
          yield { path: name, kind: 'file', size: size ?? -1, open: () => counted }
        },
      }
      try {
        return await options.space.write(options.executionId, tree, { name: `input-${options.inputIndex ?? 0}`, label, signal, onProgress })
      } catch (err) {
        if (err instanceof StorageError) throw err
        if (options.signal?.aborted) throw options.signal.reason
        if (timeout.signal.aborted) throw new StorageError((timeout.signal.reason as Error).message, { cause: err })
        throw new StorageError(`GET ${url} broke off while downloading: ${(err as Error).message}`, { cause: err })
      }
    } finally {
      this.clock.clearTimeout(timer)
    }
  }
}

/** The file name a download is saved under: the last URL path segment, else "download". */
export function fileNameOf(url: URL): string {
  const segment = url.pathname.split('/').filter((s) => s !== '').pop()
  let name = segment === undefined ? '' : safeDecode(segment)
  if (name === '.' || name === '..' || name.includes('/') || name.includes('\\')) name = ''
  return name || 'download'
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    return segment
  }
}

function statusText(status: number): string {
  const texts: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 410: 'Gone', 429: 'Too Many Requests', 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout' }
  return texts[status] ?? 'error'
}

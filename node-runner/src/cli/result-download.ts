import { createReadStream, createWriteStream } from 'node:fs'
import { lstat, mkdir, open, readdir, rename, rm, rmdir } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { BadRequestError, ConflictError, PayloadTooLargeError, StorageError, type SpecConfig } from '@shoal/models'
import type { TarSink } from '@shoal/compute'
import type { DownloadProgress } from './download-progress.ts'
import type { IpfsGateway } from './ipfs-result-download.ts'

/** Files Bacalhau appends across executions instead of refusing to merge. */
export const APPENDED_RESULT_FILES: readonly string[] = ['stdout', 'stderr', 'exitCode']

/** Default bound on what `job get` unpacks, all results together (--max-result-size). */
export const DEFAULT_MAX_RESULT_BYTES = 4 * 1024 ** 3

/** The folder under the output directory that `--raw` writes each result into (Bacalhau's `raw`). */
export const RAW_FOLDER = 'raw'

/** Options of downloadResults. */
export interface DownloadResultsOptions {
  /** The directory to create; must not exist or be empty. */
  outputDir: string
  fetch: typeof globalThis.fetch
  /** Bacalhau's --raw: each result in its own folder under `raw/`, nothing merged. */
  raw?: boolean
  /** Largest total of unpacked file contents, all results together (default 4 GiB). */
  maxBytes?: number
  /** How the user raises maxBytes, named in the error (default `--max-result-size`). */
  maxBytesFlag?: string
  /** The requester whose trustless gateway serves `ipfs` results (it pinned them when they completed). */
  gateway?: IpfsGateway
  signal?: AbortSignal
  /** Bytes received of each result as they arrive (for a progress bar), and once it is unpacked. */
  onProgress?: (progress: DownloadProgress) => void
}

/** The largest number of conflicting paths a merge error lists. */
const MAX_LISTED_CONFLICTS = 10

/** The URL of a result a `local` publisher produced (`urlDownload` of a .tar.gz, or `local` {URL}). */
export function resultUrl(result: SpecConfig): string | undefined {
  // s3PreSigned: an S3 result with a presigned GET URL (upstream's requester signs them).
  if (result.Type === 's3PreSigned') {
    const url = result.Params?.PreSignedURL
    return typeof url === 'string' && url !== '' ? url : undefined
  }
  if (result.Type !== 'urlDownload' && result.Type !== 'local') return undefined
  const url = result.Params?.URL ?? result.Params?.url
  return typeof url === 'string' && url !== '' ? url : undefined
}

/** Each result's unpacked directory, in execution order, merged into `into` as Bacalhau's downloader does. */
async function mergeResultDirs(parts: readonly string[], into: string): Promise<void> {
  await mkdir(into, { recursive: true })
  const append = parts.length > 1
  const conflicts: string[] = []
  for (const part of parts) {
    for (const name of (await readdir(part)).sort()) {
      const from = join(part, name)
      const to = join(into, name)
      const fromInfo = await lstat(from)
      if (APPENDED_RESULT_FILES.includes(name) && fromInfo.isFile()) {
        const existing = await lstat(to).catch(() => undefined)
        if (existing?.isFile() && append) await pipeline(createReadStream(from), createWriteStream(to, { flags: 'a' }))
        else await rename(from, to)
        continue
      }
      await mergeInto(from, to, name, conflicts)
    }
  }
  if (conflicts.length > 0) {
    const listed = [...new Set(conflicts)].sort()
    const shown = listed.slice(0, MAX_LISTED_CONFLICTS).join(', ') + (listed.length > MAX_LISTED_CONFLICTS ? ` and ${listed.length - MAX_LISTED_CONFLICTS} more` : '')
    throw new ConflictError(`cannot merge results: more than one execution wrote ${shown}`, {
      hint: 'Download each execution\'s result into its own folder with --raw (`shoal job get <id> --raw`).',
      details: { conflicts: listed },
    })
  }
}

/**
 * Moves `from` to `to`; two directories merge entry by entry, and a file that more than one
 * result holds is a conflict (Bacalhau refuses these merges too, rather than keep one
 * execution's file).
 */
async function mergeInto(from: string, to: string, path: string, conflicts: string[]): Promise<void> {
  const existing = await lstat(to).catch(() => undefined)
  if (!existing) {
    await rename(from, to)
    return
  }
  if (existing.isDirectory() && (await lstat(from)).isDirectory()) {
    for (const child of (await readdir(from)).sort()) await mergeInto(join(from, child), join(to, child), `${path}/${child}`, conflicts)
    return
  }
  conflicts.push(path)
}

/** The folder name `--raw` gives a result: its archive's name (`<execution id>` for local results), made safe. */
export function rawFolderName(result: SpecConfig, index: number): string {
  const url = resultUrl(result)
  let name = result.Type === 'ipfs' && typeof result.Params?.CID === 'string' ? result.Params.CID : ''
  if (url) {
    try {
      name = decodeURIComponent(new URL(url).pathname.split('/').pop() ?? '')
    } catch {
      name = ''
    }
    name = name.replace(/\.(tar\.gz|tgz)$/i, '')
  }
  name = name.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '')
  return name === '' ? `result-${index + 1}` : name
}

/** Bytes as the --max-result-size flag takes them: `4Gi`, `10Mi`, else a byte count. */
function binaryBytes(bytes: number): string {
  for (const [unit, size] of [['Gi', 1024 ** 3], ['Mi', 1024 ** 2], ['Ki', 1024]] as const) if (bytes % size === 0) return `${bytes / size}${unit}`
  return `${bytes} bytes`
}

/** Regular files under `dir`. */
async function countFiles(dir: string): Promise<number> {
  let files = 0
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) files += await countFiles(join(dir, entry.name))
    else if (entry.isFile()) files++
  }
  return files
}

async function isEmptyOrMissing(dir: string): Promise<boolean> {
  try {
    return (await readdir(dir)).length === 0
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return true
    if ((error as NodeJS.ErrnoException).code === 'ENOTDIR') return false
    throw error
  }
}

/** A TarSink writing under `root` (entry paths are already checked to stay inside it). */
function diskSink(root: string): TarSink {
  return {
    async directory(path) {
      await mkdir(join(root, ...path), { recursive: true })
    },
    async file(path, _size) {
      const target = join(root, ...path)
      await mkdir(dirname(target), { recursive: true })
      // 'w' truncates: a later entry of the same name replaces an earlier one, as tar does.
      const handle = await open(target, 'w', 0o644)
      return {
        write: async (chunk) => {
          await handle.write(chunk)
        },
        close: () => handle.close(),
      }
    },
  }
}

/** GETs a result URL (a `local` result, or an S3 presigned URL) and returns its body. */
async function fetchResultUrl(url: string, options: DownloadResultsOptions): Promise<{ body: ReadableStream<Uint8Array> | null; total?: number }> {
  const shown = url.replace(/\?.*$/, '')
  let response: Response
  try {
    response = await options.fetch(url, { signal: options.signal })
  } catch (error) {
    throw new StorageError(`cannot download the result at ${shown}: ${(error as Error).message}`, {
      cause: error,
      hint: 'The compute node that ran the execution serves its results; check it is still running.',
    })
  }
  if (!response.ok) {
    await response.body?.cancel().catch(() => {})
    const hint =
      response.status === 410
        ? 'The download link has expired: compute nodes sign result links for a limited time (see docs/SECURITY.md).'
        : 'The compute node that ran the execution serves its results; check it is still running and kept them.'
    throw new StorageError(`cannot download the result at ${shown}: HTTP ${response.status}`, { hint })
  }
  const length = response.headers.get('content-length')
  return { body: response.body, total: length !== null && /^\d+$/.test(length.trim()) ? Number(length) : undefined }
}

/** Downloads one published result and unpacks it into `dir` as it arrives; `budget` is shared by all results. */
async function fetchResult(
  result: SpecConfig,
  dir: string,
  budget: { left: number; total: number; flag: string; scratch: string },
  position: { index: number; count: number },
  options: DownloadResultsOptions,
): Promise<void> {
  const tooLarge = () =>
    new PayloadTooLargeError(`the results unpack to more than ${binaryBytes(budget.total)} (the ${budget.flag} limit); nothing was written`, {
      hint: `Raise the limit, e.g. ${budget.flag} ${Math.ceil((budget.total * 4) / 1024 ** 3)}Gi, if you expect results this large.`,
    })
  if (result.Type === 'ipfs' && options.gateway) {
    // Loaded here, not at CLI start-up: only `job get` of an ipfs result needs the CAR reader.
    const { fetchIpfsResult } = await import('./ipfs-result-download.ts')
    budget.left -= await fetchIpfsResult(result, dir, { gateway: options.gateway, fetch: options.fetch, maxBytes: budget.left, tooLarge, scratchDir: budget.scratch, signal: options.signal })
    return
  }
  const url = resultUrl(result)
  let source: { body: ReadableStream<Uint8Array> | null; total?: number }
  if (url) source = await fetchResultUrl(url, options)
  else if (result.Type === 's3') {
    // Loaded here, not at CLI start-up: only S3 results need the AWS SDK.
    const { openS3Result } = await import('./s3-result-source.ts')
    source = await openS3Result(result, { signal: options.signal })
  } else {
    const where = result.Type === 'ipfs' ? ` (CID ${String(result.Params?.CID ?? '?')}; fetch it with an IPFS client)` : ''
    throw new BadRequestError(`this CLI cannot download ${result.Type || 'untyped'} results yet${where}`, {
      hint: 'Publish with -p local to download results with `shoal job get`.',
    })
  }
  await mkdir(dir, { recursive: true })
  const empty = new ReadableStream<Uint8Array>({ start: (controller) => controller.close() })
  const total = source.total
  const onProgress = options.onProgress
  let done = 0
  onProgress?.({ ...position, done, total })
  // Counted as it streams through to the unpacker: the body is never held whole.
  const body = (source.body ?? empty).pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        done += chunk.byteLength
        controller.enqueue(chunk)
        onProgress?.({ ...position, done, total })
      },
    }),
  )
  // Loaded here, not at CLI start-up: only `job get` needs the archive reader.
  const { extractTarGzStream } = await import('@shoal/compute')
  let written: { bytes: number }
  try {
    written = await extractTarGzStream(body, diskSink(dir), { maxBytes: budget.left, tooLarge, signal: options.signal })
  } catch (error) {
    // A connection that breaks mid-body is not an unreachable requester (the CLI's wording for a
    // failed fetch): say which download broke, after how much, and why.
    if (options.signal?.aborted || !isBrokenConnection(error)) throw error
    const where = url ? ` at ${url.replace(/\?.*$/, '')}` : ` (${result.Type})`
    throw new StorageError(`the download of the result${where} broke after ${done}${total !== undefined ? ` of ${total}` : ''} bytes: ${causeText(error)}`, {
      cause: error,
      hint: 'Nothing was kept from this result; run `shoal job get` again. The node serving it must stay up until the download ends.',
    })
  }
  budget.left -= written.bytes
  onProgress?.({ ...position, done, total, finished: true })
}

/**
 * Downloads the published results into `outputDir`: merged (stdout, stderr and exitCode appended
 * in execution order, other files merged; a file more than one result holds is a ConflictError
 * pointing at --raw), or with `raw` each into `raw/<name>/`. Each archive is unpacked to disk as
 * it streams in, never held whole in memory, and all of them together may unpack to at most
 * `maxBytes`. Everything is written into a temporary sibling directory first and renamed into
 * place, so a failure never leaves a half-written result directory. Returns the number of files.
 */
export async function downloadResults(results: readonly SpecConfig[], options: DownloadResultsOptions): Promise<{ dir: string; files: number }> {
  const target = resolve(options.outputDir)
  if (!(await isEmptyOrMissing(target))) {
    throw new BadRequestError(`${target} already exists and is not empty`, { hint: 'Remove it, or pass another --output-dir.' })
  }
  await mkdir(dirname(target), { recursive: true })
  const temporary = join(dirname(target), `.${basename(target)}.partial-${process.pid}-${Date.now()}`)
  const parts = `${temporary}-parts`
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_RESULT_BYTES
  const budget = { left: maxBytes, total: maxBytes, flag: options.maxBytesFlag ?? '--max-result-size', scratch: `${temporary}-blocks` }
  try {
    if (options.raw) {
      const used = new Set<string>()
      for (const [index, result] of results.entries()) {
        const base = rawFolderName(result, index)
        let name = base
        for (let n = 2; used.has(name); n++) name = `${base}-${n}`
        used.add(name)
        await fetchResult(result, join(temporary, RAW_FOLDER, name), budget, { index, count: results.length }, options)
      }
      await mkdir(join(temporary, RAW_FOLDER), { recursive: true })
    } else {
      const dirs = results.map((_, index) => join(parts, String(index)))
      for (const [index, result] of results.entries()) await fetchResult(result, dirs[index], budget, { index, count: results.length }, options)
      await mergeResultDirs(dirs, temporary)
    }
    const files = await countFiles(temporary)
    await rmdir(target).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error
    })
    await rename(temporary, target)
    return { dir: target, files }
  } catch (error) {
    await rm(temporary, { recursive: true, force: true })
    throw error
  } finally {
    await rm(parts, { recursive: true, force: true })
    await rm(budget.scratch, { recursive: true, force: true })
  }
}

/** True for a failed or cut network connection (undici's `terminated`, a socket error), not a bad archive. */
function isBrokenConnection(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e !== undefined && e !== null && depth < 5; depth++) {
    if (e instanceof TypeError && (e.message === 'terminated' || e.message === 'fetch failed')) return true
    if (typeof e === 'object' && 'code' in e && /^(ECONNRESET|EPIPE|ETIMEDOUT|UND_ERR_)/.test(String((e as { code: unknown }).code))) return true
    e = (e as { cause?: unknown }).cause
  }
  return false
}

/** The network error's message with its causes' messages and codes, e.g. `terminated (other side closed, UND_ERR_SOCKET)`. */
function causeText(error: unknown): string {
  // Start at the network error itself: the archive reader wraps it ("not a gzip-compressed tar archive").
  let start: unknown = error
  for (let e: unknown = error, depth = 0; e !== undefined && e !== null && depth < 5; depth++) {
    if (e instanceof TypeError) {
      start = e
      break
    }
    e = (e as { cause?: unknown }).cause
  }
  const parts: string[] = []
  for (let e: unknown = start, depth = 0; e !== undefined && e !== null && depth < 5; depth++) {
    const message = e instanceof Error ? e.message : String(e)
    const code = typeof e === 'object' && 'code' in e ? String((e as { code: unknown }).code) : undefined
    parts.push(code ? `${message}, ${code}` : message)
    e = (e as { cause?: unknown }).cause
  }
  return parts.length === 1 ? parts[0] : `${parts[0]} (${parts.slice(1).join('; ')})`
}

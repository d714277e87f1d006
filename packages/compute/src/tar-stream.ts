/**
 * Unpacks a .tar.gz as it streams in, handing each entry to a sink (node-runner writes them to
 * disk): nothing larger than one tar header or pax record is held in memory, so a result far
 * bigger than RAM, or a gzip bomb, costs only what the sink accepts before the byte limit.
 */
import { ShoalError, ValidationError } from '@shoal/models'
import type { AbortOptions } from '@shoal/interface'
import { parsePax, readOctal, readString, safeEntryPath } from './tar-archive.ts'

const BLOCK = 512
/** Long-name and pax records are held in memory: names are never this long. */
const MAX_META_BYTES = 1024 * 1024

/** Where a streamed file's contents go. */
export interface TarFileSink {
  write(chunk: Uint8Array): Promise<void>
  close(): Promise<void>
}

/** What receives the entries of a streamed archive, as path components (never "..", never absolute). */
export interface TarSink {
  directory(path: string[]): Promise<void>
  file(path: string[], size: number): Promise<TarFileSink>
}

/** Options of extractTarGzStream. */
export interface ExtractStreamOptions extends AbortOptions {
  /** Largest total of unpacked file contents accepted, in bytes. */
  maxBytes: number
  /** The error to throw once maxBytes is passed (default: a ValidationError saying so). */
  tooLarge?: () => Error
}

/** What an extraction wrote. */
export interface ExtractStreamResult {
  files: number
  bytes: number
}

/**
 * Streams `gzipped` through gunzip and the tar reader into `sink`. Refuses entry names that are
 * absolute or contain ".." (ValidationError), and stops reading, cancelling the source, as soon
 * as the file contents pass `maxBytes`. Links, devices and FIFOs are skipped.
 */
export async function extractTarGzStream(gzipped: ReadableStream<Uint8Array>, sink: TarSink, options: ExtractStreamOptions): Promise<ExtractStreamResult> {
  const tooLarge = options.tooLarge ?? (() => new ValidationError([{ path: '', message: `unpacks to more than the ${options.maxBytes} bytes allowed` }]))
  const reader = gzipped.pipeThrough(new DecompressionStream('gzip') as unknown as ReadableWritablePair<Uint8Array, Uint8Array>, { signal: options.signal }).getReader()
  let pending: Uint8Array = new Uint8Array(0)
  let ended = false

  /** The next `n` bytes (fewer only at the end of the stream). */
  const take = async (n: number): Promise<Uint8Array> => {
    while (pending.byteLength < n && !ended) {
      const { done, value } = await reader.read()
      if (done) ended = true
      else pending = pending.byteLength === 0 ? value : join(pending, value)
    }
    const out = pending.subarray(0, Math.min(n, pending.byteLength))
    pending = pending.subarray(out.byteLength)
    return out
  }
  /** Passes `size` bytes to `each` chunk by chunk, without gathering them. */
  const stream = async (size: number, each: (chunk: Uint8Array) => Promise<void>): Promise<void> => {
    let left = size
    while (left > 0) {
      if (pending.byteLength === 0) {
        const { done, value } = await reader.read()
        if (done) throw new ValidationError([{ path: '', message: 'the archive is cut short: an entry ends before its declared size' }])
        pending = value
      }
      const chunk = pending.subarray(0, Math.min(left, pending.byteLength))
      pending = pending.subarray(chunk.byteLength)
      left -= chunk.byteLength
      await each(chunk)
    }
  }

  let files = 0
  let bytes = 0
  let nextPath: string | undefined
  try {
    // Bounded: every iteration consumes at least one 512-byte block of a finite stream, or stops.
    for (;;) {
      const block = await take(BLOCK)
      if (block.byteLength < BLOCK || block.every((byte) => byte === 0)) break
      const stored = readOctal(block, 148, 8)
      let sum = 0
      for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i]
      if (sum !== stored) throw new ValidationError([{ path: '', message: 'a tar header has a bad checksum; the archive is corrupt or not a tar file' }])
      const size = readOctal(block, 124, 12)
      const type = readString(block, 156, 1) || '0'
      const padding = (BLOCK - (size % BLOCK)) % BLOCK
      if (type === 'x' || type === 'L' || type === 'g') {
        if (size > MAX_META_BYTES) throw new ValidationError([{ path: '', message: `a tar metadata record of ${size} bytes is larger than the ${MAX_META_BYTES} allowed` }])
        const data = await take(size + padding)
        if (data.byteLength < size) throw new ValidationError([{ path: '', message: 'the archive is cut short inside a metadata record' }])
        if (type === 'x') nextPath = parsePax(data.subarray(0, size)).path ?? nextPath
        else if (type === 'L') nextPath = readString(data, 0, size)
        continue
      }
      const prefix = readString(block, 345, 155)
      const name = nextPath ?? (prefix ? `${prefix}/${readString(block, 0, 100)}` : readString(block, 0, 100))
      nextPath = undefined
      const parts = safeEntryPath(name)
      if (type === '5' && parts.length > 0) await sink.directory(parts)
      if ((type === '0' || type === '7') && parts.length > 0) {
        if (bytes + size > options.maxBytes) throw tooLarge()
        const file = await sink.file(parts, size)
        try {
          await stream(size, (chunk) => file.write(chunk))
        } finally {
          await file.close()
        }
        bytes += size
        files++
      } else await stream(size, async () => {})
      await stream(padding, async () => {})
    }
  } catch (err) {
    await reader.cancel().catch(() => {})
    if (err instanceof ShoalError || options.signal?.aborted) throw err
    throw new ValidationError([{ path: '', message: `not a gzip-compressed tar archive (${(err as Error).message})` }], { cause: err })
  }
  await reader.cancel().catch(() => {})
  return { files, bytes }
}

function join(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.byteLength + b.byteLength)
  out.set(a)
  out.set(b, a.byteLength)
  return out
}

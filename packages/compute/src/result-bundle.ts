import { ShoalError, ValidationError } from '@shoal/models'
import type { AbortOptions, DirectoryNode, ReadableTree } from '@shoal/interface'
import { readStreamBytes } from '@shoal/interface'
import { readTar, tarStream, writeTar, type TarStreamOptions, type WriteTarOptions } from './tar-archive.ts'

type ByteTransform = CompressionStream | DecompressionStream

async function transform(bytes: Uint8Array, stream: ByteTransform, options: AbortOptions & { maxBytes?: number } = {}): Promise<Uint8Array> {
  const source = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(bytes)
      controller.close()
    },
  })
  const output = source.pipeThrough(stream as unknown as ReadableWritablePair<Uint8Array, Uint8Array>, { signal: options.signal })
  const maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY
  return readStreamBytes(output, maxBytes, () => new ValidationError([{ path: '', message: `unpacks to more than the ${maxBytes} bytes allowed` }]))
}

/** gzip of `bytes` (CompressionStream: browsers, workerd, Node). */
export function gzip(bytes: Uint8Array, options?: AbortOptions): Promise<Uint8Array> {
  return transform(bytes, new CompressionStream('gzip'), options)
}

/** The contents of gzip data; rejects when it is not valid gzip. */
export function gunzip(bytes: Uint8Array, options?: AbortOptions & { maxBytes?: number }): Promise<Uint8Array> {
  return transform(bytes, new DecompressionStream('gzip'), options)
}

/** Options of bundleResult. */
export interface BundleOptions extends AbortOptions, WriteTarOptions {}

/** A result directory as a .tar.gz (what `local` publishing serves and `job get` unpacks). */
export async function bundleResult(dir: DirectoryNode, options: BundleOptions = {}): Promise<Uint8Array> {
  return gzip(writeTar(dir, options), options)
}

/**
 * A result tree as a .tar.gz stream, produced as the tree is read (what a tab's `local` and the
 * `s3` publisher write and `job get` unpacks; node-runner's `local` publisher feeds `tarStream`
 * to Node's zlib to free each chunk once compressed): memory stays flat whatever the result's size.
 */
export function tarGzStream(tree: ReadableTree, options: TarStreamOptions = {}): ReadableStream<Uint8Array> {
  return tarStream(tree, options).pipeThrough(new CompressionStream('gzip') as unknown as ReadableWritablePair<Uint8Array, Uint8Array>)
}

/** Options of extractTarGz. */
export interface ExtractOptions extends AbortOptions {
  /** Largest total of unpacked file contents accepted, in bytes (default 4 GiB). */
  maxBytes?: number
}

/**
 * The tree in a .tar.gz. Refuses entries with absolute names or ".." (ValidationError naming
 * the entry) so an archive can never write outside the directory it is unpacked into.
 */
export async function extractTarGz(bytes: Uint8Array, options: ExtractOptions = {}): Promise<DirectoryNode> {
  const maxBytes = options.maxBytes ?? 4 * 1024 ** 3
  // The tar framing adds headers and padding around the contents it holds.
  let tar: Uint8Array
  try {
    tar = await gunzip(bytes, { signal: options.signal, maxBytes: maxBytes * 2 + 1024 * 1024 })
  } catch (err) {
    if (err instanceof ShoalError || options.signal?.aborted) throw err
    throw new ValidationError([{ path: '', message: `not a gzip-compressed tar archive (${(err as Error).message})` }], { cause: err })
  }
  return readTar(tar, { maxBytes })
}

import { constants, type Stats } from 'node:fs'
import { lstat, open, readdir, realpath, stat, type FileHandle } from 'node:fs/promises'
import { join, sep } from 'node:path'
import { StorageError } from '@shoal/models'
import { handOverChunk, type AbortOptions, type ReadableTree, type TreeEntry } from '@shoal/interface'

/** Whether `path` is `base` or inside it. */
export const isWithin = (base: string, path: string): boolean => path === base || path.startsWith(base.endsWith(sep) ? base : base + sep)

/** Options of {@link hostTree}. */
export interface HostTreeOptions {
  /** Known total bytes of its files (e.g. counted as it was written). */
  size?: number
  /** What to call it in errors (default: its path). */
  label?: string
}

const compareNames = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

/** Bytes read from disk at a time. */
const CHUNK_BYTES = 256 * 1024

/** The bytes of `path` as a web stream of exactly `size` bytes; fails if the file got shorter. */
function openFile(path: string, size: number, shown: string, options?: AbortOptions): ReadableStream<Uint8Array> {
  let handle: FileHandle | undefined
  let position = 0
  const close = async (): Promise<void> => {
    const open = handle
    handle = undefined
    await open?.close().catch(() => {})
  }
  return new ReadableStream<Uint8Array>(
    {
      async start() {
        // O_NOFOLLOW: `path` is already resolved, so a link planted there since the walk is not followed.
        if (size > 0) handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW)
      },
      async pull(controller) {
        try {
          options?.signal?.throwIfAborted()
          const want = Math.min(CHUNK_BYTES, size - position)
          if (want === 0 || handle === undefined) {
            await close()
            controller.close()
            return
          }
          const buffer = new Uint8Array(want)
          const { bytesRead } = await handle.read(buffer, 0, want, position)
          // A file that shrank since it was listed would give a tar header the wrong size.
          if (bytesRead === 0) throw new StorageError(`${shown} changed while it was read: listed with ${size} bytes, only ${position} there`)
          position += bytesRead
          // A buffer per chunk, handed over: the reader that writes it out may free it at once.
          controller.enqueue(handOverChunk(bytesRead === want ? buffer : buffer.subarray(0, bytesRead)))
        } catch (err) {
          await close()
          throw err
        }
      },
      cancel: close,
    },
    { highWaterMark: 0 },
  )
}

/** What a path is after following a link that stays inside `root`; refuses links out of it and loops. */
async function resolveEntry(path: string, root: string, ancestors: ReadonlySet<string>, shown: string): Promise<{ real: string; info: Stats }> {
  const info = await lstat(path)
  if (!info.isSymbolicLink()) return { real: path, info }
  const real = await realpath(path).catch((err: NodeJS.ErrnoException) => {
    throw new StorageError(`${shown} is a link that cannot be resolved (${err.code ?? err.message})`, { cause: err, hint: 'remove the broken or looping link' })
  })
  if (!isWithin(root, real)) {
    throw new StorageError(`${shown} is a link to ${real}, outside ${root}: links are only followed inside the volume`, {
      hint: 'replace the link with the file or directory it points to, or mount that path itself',
    })
  }
  if (ancestors.has(real)) {
    throw new StorageError(`${shown} is a link to ${real}, a directory that contains it: reading it would never end`, {
      hint: 'remove the link loop, or mount a directory without it',
    })
  }
  return { real, info: await stat(real) }
}

/**
 * A file or directory on this host as a {@link ReadableTree}, read as it is walked: entries in
 * the contract's order (parents first, names in code-unit order), exact sizes from the
 * filesystem, files streamed. Links are followed only while they stay inside `path` (resolved),
 * and a link back to a directory being walked is refused rather than walked forever.
 */
export function hostTree(path: string, root: 'file' | 'directory', options: HostTreeOptions = {}): ReadableTree {
  const shownRoot = options.label ?? path
  async function* walk(dir: string, realRoot: string, prefix: string, ancestors: Set<string>, signal?: AbortSignal): AsyncGenerator<TreeEntry> {
    const names = (await readdir(dir)).sort(compareNames)
    for (const name of names) {
      signal?.throwIfAborted()
      const entryPath = prefix === '' ? name : `${prefix}/${name}`
      const shown = `${shownRoot}/${entryPath}`
      const { real, info } = await resolveEntry(join(dir, name), realRoot, ancestors, shown)
      if (info.isDirectory()) {
        yield { path: entryPath, kind: 'directory', size: 0 }
        // `dir` is always a resolved path, so `real` is too.
        yield* walk(real, realRoot, entryPath, new Set(ancestors).add(real), signal)
      } else if (info.isFile()) {
        const size = info.size
        yield { path: entryPath, kind: 'file', size, open: (openOptions) => openFile(real, size, shown, openOptions) }
      } else {
        throw new StorageError(`${shown} is neither a file nor a directory (a device, socket or pipe cannot be read as data)`)
      }
    }
  }
  return {
    root,
    size: options.size,
    async *entries(entryOptions) {
      const realRoot = await realpath(path)
      const info = await stat(realRoot)
      if (root === 'file') {
        if (!info.isFile()) throw new StorageError(`${shownRoot} is no longer a regular file`)
        const size = info.size
        yield { path: '', kind: 'file', size, open: (openOptions) => openFile(realRoot, size, shownRoot, openOptions) }
        return
      }
      if (!info.isDirectory()) throw new StorageError(`${shownRoot} is no longer a directory`)
      yield* walk(realRoot, realRoot, '', new Set([realRoot]), entryOptions?.signal)
    },
  }
}

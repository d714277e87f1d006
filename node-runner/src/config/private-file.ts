import { chmod, link, readFile, stat, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { DataDirError, ensureDataDir } from './data-dir.ts'

/** How one private file of the data dir is made, read back, and named in errors. */
export interface PrivateFileCodec<T> {
  /** What the file holds, for messages: "node key", "peer key". */
  what: string
  /** A new value and the bytes that store it (first start). */
  create(): Promise<{ value: T; bytes: Uint8Array | string }>
  /** The value the stored bytes hold; throws when they are not one. */
  decode(bytes: Uint8Array): T | Promise<T>
  /** The error for a file that cannot be decoded (its path, the decoder's error). */
  corrupt(path: string, cause: unknown): Error
}

const codeOf = (err: unknown): string => (err as NodeJS.ErrnoException).code ?? (err as Error).message

/**
 * A secret kept in `<dataDir>/<fileName>` (mode 0600), stable across restarts: read back, or
 * created and stored on first use. Two processes sharing a data dir never end up with different
 * values: the new file is written aside and linked into place, and link fails if the other
 * process got there first. DataDirError when the dir cannot be read or written; the codec's
 * `corrupt` error when the file holds something else.
 */
export async function loadOrCreatePrivateFile<T>(dataDir: string, fileName: string, codec: PrivateFileCodec<T>): Promise<T> {
  const dir = await ensureDataDir(dataDir)
  const path = join(dir, fileName)
  const existing = await readPrivateFile(path, codec)
  if (existing !== undefined) return existing.value
  const created = await codec.create()
  const temp = `${path}.${crypto.randomUUID()}.tmp`
  try {
    await writeFile(temp, created.bytes, { mode: 0o600, flag: 'wx' })
    await link(temp, path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      const other = await readPrivateFile(path, codec)
      if (other !== undefined) return other.value
    }
    throw new DataDirError(`cannot store the ${codec.what} in ${path} (${codeOf(err)})`, {
      cause: err,
      hint: 'choose a writable directory with --data-dir or SHOAL_DIR',
    })
  } finally {
    await unlink(temp).catch(() => {})
  }
  return created.value
}

async function readPrivateFile<T>(path: string, codec: PrivateFileCodec<T>): Promise<{ value: T } | undefined> {
  let bytes: Uint8Array
  try {
    bytes = await readFile(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new DataDirError(`cannot read the ${codec.what} ${path} (${codeOf(err)})`, {
      cause: err,
      hint: 'make the file readable by the user running shoal',
    })
  }
  let value: T
  try {
    value = await codec.decode(bytes)
  } catch (err) {
    throw codec.corrupt(path, err)
  }
  // A secret readable by others is one others can use: keep it private.
  if (((await stat(path)).mode & 0o077) !== 0) await chmod(path, 0o600).catch(() => {})
  return { value }
}

import { createHash } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { once } from 'node:events'

/**
 * The size of one block of seeded data. Every block is the same seeded pseudo-random 16 KiB with
 * its first 8 bytes replaced by the block's index: a lost, repeated, reordered or zeroed block
 * changes the hash, and gzip (the `local` publisher's archive) compresses it at ~200 MiB/s,
 * where 2 GiB of incompressible bytes would take a minute of gzip at ~30 MiB/s on one core.
 */
export const SEEDED_BLOCK_BYTES = 16 * 1024

/** Bytes per chunk the generators yield (a whole number of blocks). */
const CHUNK_BYTES = 64 * SEEDED_BLOCK_BYTES

/** The seeded 16 KiB that every block repeats (xorshift32 from `seed`). */
function seededBase(seed: number): Uint8Array {
  const words = new Uint32Array(SEEDED_BLOCK_BYTES / 4)
  let x = seed >>> 0 || 0x9e3779b9
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13
    x >>>= 0
    x ^= x >>> 17
    x ^= x << 5
    x >>>= 0
    words[i] = x
  }
  return new Uint8Array(words.buffer)
}

/**
 * `size` bytes of seeded data (see {@link SEEDED_BLOCK_BYTES}) as chunks of up to 1 MiB, made as
 * they are read: nothing of the size is held in memory or stored in the repository.
 */
export function* seededChunks(size: number, seed = 1): Generator<Uint8Array> {
  const base = seededBase(seed)
  const template = new Uint8Array(CHUNK_BYTES)
  for (let at = 0; at < CHUNK_BYTES; at += SEEDED_BLOCK_BYTES) template.set(base, at)
  for (let offset = 0; offset < size; offset += CHUNK_BYTES) {
    const chunk = template.slice(0, Math.min(CHUNK_BYTES, size - offset))
    const view = new DataView(chunk.buffer)
    for (let at = 0; at + 8 <= chunk.length; at += SEEDED_BLOCK_BYTES) view.setBigUint64(at, BigInt((offset + at) / SEEDED_BLOCK_BYTES))
    yield chunk
  }
}

/** The SHA-256 (hex) of {@link seededChunks}`(size, seed)`, computed without storing them. */
export function seededSha256(size: number, seed = 1): string {
  const hash = createHash('sha256')
  for (const chunk of seededChunks(size, seed)) hash.update(chunk)
  return hash.digest('hex')
}

/** Writes {@link seededChunks}`(size, seed)` to `path` and resolves with their SHA-256 (hex). */
export async function writeSeededFile(path: string, size: number, seed = 1): Promise<string> {
  const hash = createHash('sha256')
  const out = createWriteStream(path)
  try {
    for (const chunk of seededChunks(size, seed)) {
      hash.update(chunk)
      if (!out.write(chunk)) await once(out, 'drain')
    }
  } finally {
    out.end()
    await once(out, 'close')
  }
  return hash.digest('hex')
}

/** The SHA-256 (hex) and size of the file at `path`, read as a stream. */
export async function sha256File(path: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256')
  let bytes = 0
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 }) as AsyncIterable<Buffer>) {
    hash.update(chunk)
    bytes += chunk.length
  }
  return { sha256: hash.digest('hex'), bytes }
}

/**
 * Chunks of job data whose producer gave their memory away: the last reader may free it at once
 * with {@link freeSpentChunk} instead of leaving it to the garbage collector. V8 collects dead
 * ArrayBuffers only when external memory has grown by ~64 MiB since the last full GC, so a node
 * streaming gigabytes through 4 MiB chunks kept up to ~70 MiB of spent chunks resident. A chunk
 * not marked is never freed this way: a producer may enqueue views of bytes it keeps.
 */
const handedOver = new WeakSet<ArrayBufferLike>()

/** Marks `chunk` as one whose buffer nothing but its readers holds; returns it. */
export function handOverChunk<T extends Uint8Array>(chunk: T): T {
  handedOver.add(chunk.buffer)
  return chunk
}

/**
 * Frees the memory of a chunk marked by {@link handOverChunk}, once its last reader is done with
 * it (the bytes written out, compressed, hashed); any other chunk is left alone. Views of it read
 * as empty afterwards.
 */
export function freeSpentChunk(chunk: Uint8Array): void {
  const buffer = chunk.buffer
  if (!handedOver.delete(buffer) || !(buffer instanceof ArrayBuffer) || buffer.detached) return
  // transfer(0) detaches the buffer, which releases its backing store now (ES2024).
  buffer.transfer(0)
}

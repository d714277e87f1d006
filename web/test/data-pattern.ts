/**
 * Test data of any size, the same wherever it is generated: word k (little-endian, 4 bytes) is
 * k times a large odd constant, so a lost, repeated or misplaced chunk changes the bytes at its
 * offset. The loopback server sends it; the page checks what comes back against it, byte by byte.
 */

/** `length` bytes of the pattern starting at byte `offset`. */
export function patternBytes(offset: number, length: number): Uint8Array {
  const firstWord = Math.floor(offset / 4)
  const words = new Uint32Array(Math.ceil((offset + length) / 4) - firstWord)
  for (let i = 0; i < words.length; i++) words[i] = Math.imul(firstWord + i, 2654435761) >>> 0
  const start = offset - firstWord * 4
  return new Uint8Array(words.buffer, start, length)
}

/** What {@link checkPattern} found. */
export interface PatternCheck {
  bytes: number
  /** Offset of the first byte that differs from the pattern, if any. */
  firstMismatch?: number
}

/** Reads `stream` to its end, comparing every byte with the pattern (without holding the data). */
export async function checkPattern(stream: ReadableStream<Uint8Array>): Promise<PatternCheck> {
  const reader = stream.getReader()
  let bytes = 0
  let firstMismatch: number | undefined
  // Bounded by the stream's length.
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    if (firstMismatch === undefined) {
      const expected = patternBytes(bytes, value.byteLength)
      for (let i = 0; i < value.byteLength; i++) {
        if (value[i] !== expected[i]) {
          firstMismatch = bytes + i
          break
        }
      }
    }
    bytes += value.byteLength
  }
  return { bytes, firstMismatch }
}

/** The pattern's first `total` bytes as a stream of `chunk`-byte pieces. */
export function patternStream(total: number, chunk = 256 * 1024): ReadableStream<Uint8Array> {
  let offset = 0
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= total) return controller.close()
      const length = Math.min(chunk, total - offset)
      controller.enqueue(patternBytes(offset, length).slice())
      offset += length
    },
  })
}

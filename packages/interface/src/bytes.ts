/**
 * Byte helpers every runtime needs (Web APIs only).
 */

/**
 * All bytes of a stream, refusing to hold more than `maxBytes`: the stream is cancelled and
 * `tooLarge()` is thrown as soon as the total passes the cap, so a huge or endless source never
 * fills memory.
 */
export async function readStreamBytes(
  stream: ReadableStream<Uint8Array>,
  maxBytes: number,
  tooLarge: () => Error,
): Promise<Uint8Array> {
  const reader = stream.getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  // Bounded: ends with the stream or once maxBytes is passed.
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    total += value.byteLength
    if (total > maxBytes) {
      await reader.cancel().catch(() => {})
      throw tooLarge()
    }
    chunks.push(value)
  }
  return concatBytes(chunks, total)
}

/** The chunks joined into one array. */
export function concatBytes(chunks: Uint8Array[], total = chunks.reduce((sum, c) => sum + c.byteLength, 0)): Uint8Array {
  const out = new Uint8Array(total)
  let offset = 0
  for (const chunk of chunks) {
    out.set(chunk, offset)
    offset += chunk.byteLength
  }
  return out
}

/** `value` as an unsigned LEB128 varint: 7 bits per byte, low bits first (WASM binaries, length prefixes). */
export function unsignedLeb128(value: number): number[] {
  const out: number[] = []
  let rest = value
  do {
    let byte = rest % 128
    rest = Math.floor(rest / 128)
    if (rest > 0) byte |= 0x80
    out.push(byte)
  } while (rest > 0)
  return out
}

/** Seeded pseudo-random bytes for tests: the same seed and size always give the same bytes. */
export function seededChunks(seed: number, size: number, chunkSize = 65_536): () => ReadableStream<Uint8Array> {
  return () => {
    // xorshift32: cheap and reproducible; not for anything but test data.
    let state = seed >>> 0 || 1
    let left = size
    return new ReadableStream<Uint8Array>({
      pull(controller) {
        if (left === 0) {
          controller.close()
          return
        }
        const n = Math.min(chunkSize, left)
        const chunk = new Uint8Array(n)
        for (let i = 0; i < n; i++) {
          state ^= state << 13
          state ^= state >>> 17
          state ^= state << 5
          chunk[i] = state & 0xff
        }
        left -= n
        controller.enqueue(chunk)
      },
    })
  }
}

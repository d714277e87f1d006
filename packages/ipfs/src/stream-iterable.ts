import type { AbortOptions } from '@shoal/interface'

/**
 * A ReadableStream as an async iterable, for runtimes whose streams are not iterable yet
 * (Safari). Cancels the stream when the consumer stops early, so a file's reader is released.
 */
export async function* streamIterable(stream: ReadableStream<Uint8Array>, options: AbortOptions = {}): AsyncGenerator<Uint8Array> {
  const reader = stream.getReader()
  let finished = false
  try {
    // Bounded: ends with the stream.
    for (;;) {
      options.signal?.throwIfAborted()
      const { done, value } = await reader.read()
      if (done) {
        finished = true
        return
      }
      if (value.byteLength > 0) yield value
    }
  } finally {
    if (!finished) await reader.cancel().catch(() => {})
    reader.releaseLock()
  }
}

/** An async iterable of chunks as a ReadableStream (pulled: nothing is read ahead of the reader). */
export function iterableStream(source: AsyncIterable<Uint8Array>): ReadableStream<Uint8Array> {
  let iterator: AsyncIterator<Uint8Array> | undefined
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      iterator ??= source[Symbol.asyncIterator]()
      const { done, value } = await iterator.next()
      if (done) controller.close()
      else controller.enqueue(value)
    },
    async cancel() {
      await iterator?.return?.()
    },
  }, { highWaterMark: 0 })
}

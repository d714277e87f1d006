/** Splitting a byte stream into lines (NDJSON), without buffering more than one line. */

/** Yields each non-empty line of `body` (without the newline). */
export async function* readLines(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const reader = body.getReader()
  const decoder = new TextDecoder()
  let buffered = ''
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      buffered += decoder.decode(value, { stream: true })
      let newline = buffered.indexOf('\n')
      while (newline >= 0) {
        const line = buffered.slice(0, newline).trim()
        buffered = buffered.slice(newline + 1)
        if (line !== '') yield line
        newline = buffered.indexOf('\n')
      }
    }
    buffered += decoder.decode()
    if (buffered.trim() !== '') yield buffered.trim()
  } finally {
    await reader.cancel().catch(() => {})
  }
}

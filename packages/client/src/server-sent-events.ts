/** Reading a text/event-stream body (Server-Sent Events) with fetch, so a bearer token can go with it. */

/** One event of a stream: its `event:` name (default `message`) and its `data:` lines joined. */
export interface ServerSentEvent {
  event: string
  data: string
}

/**
 * Yields the events of an SSE body in order, each when the blank line ending it arrives.
 * Comments (`: keepalive`) and `id:`/`retry:` fields are skipped. Aborting `signal` cancels
 * the body and ends the iteration.
 */
export async function* readServerSentEvents(body: ReadableStream<Uint8Array>, options: { signal?: AbortSignal } = {}): AsyncGenerator<ServerSentEvent> {
  const reader = body.getReader()
  const cancel = () => void reader.cancel().catch(() => {})
  options.signal?.addEventListener('abort', cancel, { once: true })
  const decoder = new TextDecoder()
  let buffered = ''
  let event: string | undefined
  let data: string[] = []
  try {
    while (!options.signal?.aborted) {
      const { done, value } = await reader.read()
      if (done) return
      buffered += decoder.decode(value, { stream: true })
      let newline = buffered.search(/\r?\n/)
      while (newline >= 0) {
        const line = buffered.slice(0, newline)
        buffered = buffered.slice(buffered[newline] === '\r' ? newline + 2 : newline + 1)
        newline = buffered.search(/\r?\n/)
        if (line === '') {
          if (data.length > 0) yield { event: event ?? 'message', data: data.join('\n') }
          event = undefined
          data = []
          continue
        }
        if (line.startsWith(':')) continue
        const colon = line.indexOf(':')
        const field = colon < 0 ? line : line.slice(0, colon)
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '')
        if (field === 'event') event = value
        else if (field === 'data') data.push(value)
      }
    }
  } finally {
    options.signal?.removeEventListener('abort', cancel)
    cancel()
  }
}

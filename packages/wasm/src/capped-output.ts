/** One output stream (stdout or stderr) of a job: the first `limit` bytes are kept, the rest counted. */

import { concatBytes } from '@shoal/interface'

/** Keeps the head of a stream and hands kept bytes to `onKept` as they arrive. */
export class CappedOutput {
  private readonly limit: number
  private readonly chunks: Uint8Array[] = []
  private kept = 0
  /** Total bytes written, kept or not. */
  total = 0
  private readonly onKept: ((data: Uint8Array) => void) | undefined
  constructor(limit: number, onKept?: (data: Uint8Array) => void) {
    this.limit = limit
    this.onKept = onKept
  }
  /** Appends a write; `data` may be reused by the caller afterwards. */
  write(data: Uint8Array): void {
    this.total += data.byteLength
    const room = this.limit - this.kept
    if (room <= 0) return
    const head = data.byteLength > room ? data.slice(0, room) : data.slice()
    this.chunks.push(head)
    this.kept += head.byteLength
    this.onKept?.(head)
  }
  get truncated(): boolean {
    return this.total > this.kept
  }
  /** The kept bytes, concatenated. */
  bytes(): Uint8Array {
    const out = new Uint8Array(this.kept)
    let offset = 0
    for (const chunk of this.chunks) {
      out.set(chunk, offset)
      offset += chunk.byteLength
    }
    return out
  }
}

/** Batches log chunks per stream; flushes when a batch is big or old, and on demand. */
export class LogBatcher {
  private readonly pending: [Uint8Array[], Uint8Array[]] = [[], []]
  private pendingBytes = 0
  private lastFlush = performance.now()
  private readonly send: (stream: 1 | 2, data: Uint8Array) => void
  private readonly maxBytes: number
  private readonly maxDelayMs: number
  constructor(send: (stream: 1 | 2, data: Uint8Array) => void, maxBytes = 64 * 1024, maxDelayMs = 50) {
    this.send = send
    this.maxBytes = maxBytes
    this.maxDelayMs = maxDelayMs
  }
  /** Queues a chunk. The job runs synchronously, so timers never fire: age is checked here. */
  push(stream: 1 | 2, data: Uint8Array): void {
    this.pending[stream - 1].push(data)
    this.pendingBytes += data.byteLength
    if (this.pendingBytes >= this.maxBytes || performance.now() - this.lastFlush >= this.maxDelayMs) this.flush()
  }
  flush(): void {
    for (const stream of [1, 2] as const) {
      const chunks = this.pending[stream - 1]
      if (chunks.length === 0) continue
      const data = concatBytes(chunks)
      chunks.length = 0
      this.send(stream, data)
    }
    this.pendingBytes = 0
    this.lastFlush = performance.now()
  }
}

/** Log chunks of a WASM job batched on their way out of its worker. */

import { concatBytes } from '@shoal/interface'

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

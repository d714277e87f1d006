/**
 * One output stream (stdout or stderr) of a job, as every engine keeps it: the first `limit`
 * bytes are kept, the rest only counted, so a job that prints without end holds bounded memory.
 */

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
  /** Whether bytes beyond the limit were dropped. */
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

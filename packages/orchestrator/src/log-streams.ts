import { ShoalError, UnreachableError } from '@shoal/models'
import type { ExecutionLogLine } from './requester-service.ts'

interface Stream {
  nodeId: string
  executionId: string
  follow: boolean
  lines: ExecutionLogLine[]
  wake?: () => void
  done: boolean
  error?: Error
}

/**
 * Log requests in flight to compute nodes: each LogsRequest has a RequestID; LogLine messages
 * with it are queued for the reader, LogsEnd (or the execution ending, the node leaving, the
 * reader aborting) ends it.
 */
export class LogStreams {
  private readonly streams = new Map<string, Stream>()

  /**
   * Reads the lines of one request. `request` sends the LogsRequest; `cancel` tells the node to
   * stop (called when the reader stops early).
   */
  async *read(
    requestId: string,
    target: { nodeId: string; executionId: string; follow: boolean },
    request: () => void,
    cancel: () => void,
    signal?: AbortSignal,
  ): AsyncGenerator<ExecutionLogLine> {
    signal?.throwIfAborted()
    const stream: Stream = { ...target, lines: [], done: false }
    this.streams.set(requestId, stream)
    const onAbort = () => {
      stream.done = true
      stream.wake?.()
    }
    signal?.addEventListener('abort', onAbort, { once: true })
    let finished = false
    try {
      request()
      for (;;) {
        while (stream.lines.length > 0) yield stream.lines.shift()!
        if (stream.done) break
        await new Promise<void>((resolve) => (stream.wake = resolve))
        stream.wake = undefined
      }
      if (stream.error) throw stream.error
      finished = !signal?.aborted
    } finally {
      signal?.removeEventListener('abort', onAbort)
      this.streams.delete(requestId)
      if (!finished) cancel()
    }
  }

  /** A LogLine arrived. False when no such request is open from that node. */
  line(nodeId: string, requestId: string, executionId: string, type: 1 | 2, line: string): boolean {
    const stream = this.streams.get(requestId)
    if (!stream || stream.nodeId !== nodeId) return false
    stream.lines.push({ ExecutionID: executionId, Type: type, Line: line })
    stream.wake?.()
    return true
  }

  /** A LogsEnd arrived; a non-empty `error` ends the stream with that error. */
  end(nodeId: string, requestId: string, error: string): boolean {
    const stream = this.streams.get(requestId)
    if (!stream || stream.nodeId !== nodeId) return false
    this.finish(stream, error ? new ShoalError(`logs unavailable: ${error}`, { component: 'compute' }) : undefined)
    return true
  }

  /**
   * The execution ended: streams following it end after the lines already received (a node
   * sends an execution's lines before its result, on the same ordered connection).
   */
  executionEnded(executionId: string): void {
    for (const stream of this.streams.values()) if (stream.follow && stream.executionId === executionId) this.finish(stream)
  }

  /** The node left: its streams end with an error. */
  nodeLost(nodeId: string, why: string): void {
    for (const stream of this.streams.values()) {
      if (stream.nodeId === nodeId) this.finish(stream, new UnreachableError(`node ${nodeId} ${why}; its logs are no longer reachable`))
    }
  }

  private finish(stream: Stream, error?: Error): void {
    if (stream.done) return
    stream.done = true
    stream.error = error
    stream.wake?.()
  }
}

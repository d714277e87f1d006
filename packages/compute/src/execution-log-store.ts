/** One line of an execution's output; `line` keeps its trailing "\n" (absent on a last partial line). */
export interface LogEntry {
  stream: 1 | 2
  line: string
}

/** Receives the lines of a followed execution, then `end` once it finished. */
export interface LogFollower {
  onLine(entry: LogEntry): void
  onEnd(): void
}

/** Options of an ExecutionLogStore. */
export interface ExecutionLogStoreInit {
  /** Characters of lines kept per execution; the oldest lines go first when exceeded. */
  maxCharsPerExecution: number
  /** Finished executions whose logs are kept (least recently used go first). */
  maxExecutions: number
}

class ExecutionLog {
  /**
   * Kept lines from `head` on. Dropping the oldest advances `head` instead of `shift()`, which
   * copies the whole array once it is large (a job printing 64 MiB of short lines made the node
   * spend 90 s there); the array is compacted when half of it is dropped lines.
   */
  private readonly lines: LogEntry[] = []
  private head = 0
  chars = 0
  /** Characters of the oldest lines dropped to stay within the limit. */
  dropped = 0
  finished = false
  received = false
  readonly followers = new Set<LogFollower>()
  /**
   * The unfinished last line of each stream, as pieces: a chunk without a newline is appended
   * without re-reading what came before (a job printing one endless line must cost linear time),
   * and the pieces are cut to the last `maxChars` characters once they hold twice that.
   */
  private readonly partial: Record<1 | 2, { pieces: string[]; chars: number }> = { 1: { pieces: [], chars: 0 }, 2: { pieces: [], chars: 0 } }
  private readonly decoders = { 1: new TextDecoder(), 2: new TextDecoder() }
  private readonly maxChars: number

  constructor(maxChars: number) {
    this.maxChars = maxChars
  }

  append(stream: 1 | 2, data: Uint8Array): void {
    this.received = true
    const text = this.decoders[stream].decode(data, { stream: true })
    const partial = this.partial[stream]
    let start = 0
    for (let newline = text.indexOf('\n'); newline >= 0; newline = text.indexOf('\n', start)) {
      const piece = text.slice(start, newline + 1)
      this.push({ stream, line: partial.pieces.length > 0 ? this.takePartial(stream) + piece : piece })
      start = newline + 1
    }
    if (start === text.length) return
    partial.pieces.push(start === 0 ? text : text.slice(start))
    partial.chars += text.length - start
    if (partial.chars > 2 * this.maxChars) {
      const line = this.takePartial(stream)
      this.dropped += line.length - this.maxChars
      partial.pieces.push(line.slice(-this.maxChars))
      partial.chars = this.maxChars
    }
  }

  finish(): void {
    if (this.finished) return
    for (const stream of [1, 2] as const) {
      const rest = this.takePartial(stream) + this.decoders[stream].decode()
      if (rest !== '') this.push({ stream, line: rest })
    }
    this.finished = true
    for (const follower of this.followers) follower.onEnd()
    this.followers.clear()
  }

  /** Lines kept. */
  get size(): number {
    return this.lines.length - this.head
  }

  /** The last `count` kept lines (all when undefined). */
  last(count?: number): LogEntry[] {
    return this.lines.slice(count === undefined ? this.head : Math.max(this.head, this.lines.length - count))
  }

  private takePartial(stream: 1 | 2): string {
    const partial = this.partial[stream]
    const line = partial.pieces.join('')
    partial.pieces.length = 0
    partial.chars = 0
    return line
  }

  private push(entry: LogEntry): void {
    // One line longer than the whole budget keeps its end, like the log as a whole.
    if (entry.line.length > this.maxChars) {
      this.dropped += entry.line.length - this.maxChars
      entry = { stream: entry.stream, line: entry.line.slice(-this.maxChars) }
    }
    this.lines.push(entry)
    this.chars += entry.line.length
    // Bounded: each iteration drops one entry.
    while (this.chars > this.maxChars && this.lines.length - this.head > 1) {
      const gone = this.lines[this.head++]!.line.length
      this.chars -= gone
      this.dropped += gone
    }
    if (this.head > 1024 && this.head * 2 > this.lines.length) {
      this.lines.splice(0, this.head)
      this.head = 0
    }
    for (const follower of this.followers) follower.onLine(entry)
  }
}

/**
 * Output of recent executions, kept in memory so `job logs` can read it after the run and
 * follow it while the run goes on. Running executions are always kept; finished ones are
 * evicted least-recently-used first.
 */
export class ExecutionLogStore {
  private readonly logs = new Map<string, ExecutionLog>()
  private readonly init: ExecutionLogStoreInit

  constructor(init: ExecutionLogStoreInit) {
    this.init = init
  }

  /** Starts collecting the output of an execution. */
  open(executionId: string): void {
    if (!this.logs.has(executionId)) this.logs.set(executionId, new ExecutionLog(this.init.maxCharsPerExecution))
  }

  /** Adds output of a running execution. */
  append(executionId: string, stream: 1 | 2, data: Uint8Array): void {
    this.logs.get(executionId)?.append(stream, data)
  }

  /** Whether any output arrived through `append` yet. */
  hasOutput(executionId: string): boolean {
    return this.logs.get(executionId)?.received ?? false
  }

  /** Marks an execution finished: ends followers and makes its log evictable. */
  finish(executionId: string): void {
    const log = this.logs.get(executionId)
    if (!log) return
    log.finish()
    this.evict()
  }

  /** Whether logs of the execution are known here. */
  has(executionId: string): boolean {
    return this.logs.has(executionId)
  }

  /**
   * The last `tail` lines (all when undefined), and whether the execution is still running. When
   * older lines were dropped to keep within the limit and the reader asked for them, the first
   * entry is a note on stderr saying so, so a cut log never passes for a whole one.
   */
  read(executionId: string, tail?: number): { entries: LogEntry[]; finished: boolean } | undefined {
    const log = this.logs.get(executionId)
    if (!log) return undefined
    // Touch: move to the most recently used end.
    this.logs.delete(executionId)
    this.logs.set(executionId, log)
    const entries = tail === 0 ? [] : log.last(tail)
    if (log.dropped > 0 && (tail === undefined || tail > log.size)) {
      entries.unshift({
        stream: 2,
        line: `[shoal] ${log.dropped} characters of earlier output are not shown: a compute node keeps the last ${this.init.maxCharsPerExecution} of each execution's log. \`shoal job get\` downloads the whole output.\n`,
      })
    }
    return { entries, finished: log.finished }
  }

  /** Follows a running execution; returns the function that stops following. */
  follow(executionId: string, follower: LogFollower): () => void {
    const log = this.logs.get(executionId)
    if (!log || log.finished) {
      follower.onEnd()
      return () => {}
    }
    log.followers.add(follower)
    return () => log.followers.delete(follower)
  }

  private evict(): void {
    let finished = 0
    for (const log of this.logs.values()) if (log.finished) finished++
    for (const [id, log] of this.logs) {
      if (finished <= this.init.maxExecutions) break
      if (!log.finished) continue
      this.logs.delete(id)
      finished--
    }
  }
}

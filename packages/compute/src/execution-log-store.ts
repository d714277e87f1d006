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
  readonly entries: LogEntry[] = []
  chars = 0
  /** Characters of the oldest lines dropped to stay within the limit. */
  dropped = 0
  finished = false
  received = false
  readonly followers = new Set<LogFollower>()
  private readonly partial: Record<1 | 2, string> = { 1: '', 2: '' }
  private readonly decoders = { 1: new TextDecoder(), 2: new TextDecoder() }
  private readonly maxChars: number

  constructor(maxChars: number) {
    this.maxChars = maxChars
  }

  append(stream: 1 | 2, data: Uint8Array): void {
    this.received = true
    const text = this.partial[stream] + this.decoders[stream].decode(data, { stream: true })
    const parts = text.split('\n')
    this.partial[stream] = parts.pop()!
    for (const part of parts) this.push({ stream, line: part + '\n' })
  }

  finish(): void {
    if (this.finished) return
    for (const stream of [1, 2] as const) {
      const rest = this.partial[stream] + this.decoders[stream].decode()
      this.partial[stream] = ''
      if (rest !== '') this.push({ stream, line: rest })
    }
    this.finished = true
    for (const follower of this.followers) follower.onEnd()
    this.followers.clear()
  }

  private push(entry: LogEntry): void {
    this.entries.push(entry)
    this.chars += entry.line.length
    // Bounded: each iteration drops one entry.
    while (this.chars > this.maxChars && this.entries.length > 1) {
      const gone = this.entries.shift()!.line.length
      this.chars -= gone
      this.dropped += gone
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
    const entries = tail === undefined ? log.entries.slice() : tail === 0 ? [] : log.entries.slice(-tail)
    if (log.dropped > 0 && (tail === undefined || tail > log.entries.length)) {
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

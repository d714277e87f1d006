import process from 'node:process'
import { createInterface } from 'node:readline/promises'

/** A sink for text, as process.stdout/stderr are. */
export interface TextSink {
  write(text: string): unknown
  /** True when the sink is an interactive terminal (progress lines are redrawn in place). */
  isTTY?: boolean
  /** Width of the terminal, when it is one (a redrawn line must fit on one row). */
  columns?: number
}

/**
 * What a CLI command touches outside itself: streams, environment, working directory, clock.
 * The real process in production; in-memory buffers in tests.
 */
export interface CliIo {
  stdout: TextSink
  stderr: TextSink
  /** Reads all of standard input (for `job run -`). */
  readStdin(): Promise<string>
  /** True when stdin is a terminal (nothing piped in). */
  stdinIsTTY?: boolean
  /** Asks `question` on the terminal and resolves the line typed (used only when stdin is a terminal). */
  prompt?(question: string, options?: { signal?: AbortSignal }): Promise<string>
  env: Record<string, string | undefined>
  cwd: string
  /** The HOME directory, where ~/.shoal lives. */
  home: string
  now(): number
  /** Waits `ms` milliseconds unless the signal aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>
  /** The fetch used to talk to the requester and download results. */
  fetch: typeof globalThis.fetch
}

/** Resolves after `ms`, or rejects with the signal's reason when it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason)
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    const onAbort = () => {
      clearTimeout(timer)
      reject(signal?.reason)
    }
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer))
  return Buffer.concat(chunks).toString('utf8')
}

/** Asks on stderr and reads one line from stdin. */
async function promptLine(question: string, options: { signal?: AbortSignal } = {}): Promise<string> {
  const lines = createInterface({ input: process.stdin, output: process.stderr })
  try {
    return await lines.question(question, { signal: options.signal })
  } finally {
    lines.close()
  }
}

/** The CliIo of this process. */
export function processIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    readStdin: () => readAll(process.stdin),
    stdinIsTTY: process.stdin.isTTY === true,
    prompt: promptLine,
    env: process.env,
    cwd: process.cwd(),
    home: process.env.HOME ?? process.env.USERPROFILE ?? process.cwd(),
    now: () => Date.now(),
    sleep,
    fetch: globalThis.fetch.bind(globalThis),
  }
}

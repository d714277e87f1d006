/** Options of {@link waitUntil}. */
export interface WaitUntilOptions {
  /** Give up after this long (default 10 s). */
  timeoutMs?: number
  /** Pause between attempts (default 100 ms). */
  intervalMs?: number
  /** What is awaited, for the failure message: "job j-… to complete". */
  what: string
  signal?: AbortSignal
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Calls `fn` until it returns something other than undefined/false, and resolves with it.
 * Rejects after `timeoutMs` with a message naming `what` and the last value or error seen.
 * An attempt that throws counts as "not yet".
 */
export async function waitUntil<T>(fn: () => T | Promise<T>, options: WaitUntilOptions): Promise<Exclude<T, false | undefined | null>> {
  const timeoutMs = options.timeoutMs ?? 10_000
  const intervalMs = options.intervalMs ?? 100
  const deadline = Date.now() + timeoutMs
  let last: unknown
  for (let attempt = 0; ; attempt++) {
    options.signal?.throwIfAborted()
    try {
      const value = await fn()
      if (value !== undefined && value !== null && value !== false) return value as Exclude<T, false | undefined | null>
      last = value
    } catch (error) {
      last = error
    }
    if (Date.now() >= deadline) {
      const detail = last instanceof Error ? `last error: ${last.message}` : `last value: ${JSON.stringify(last)}`
      throw new Error(`timed out after ${timeoutMs} ms (${attempt + 1} attempts) waiting for ${options.what}; ${detail}`)
    }
    await sleep(Math.min(intervalMs, Math.max(0, deadline - Date.now())))
  }
}

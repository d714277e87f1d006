/** Options every async operation accepts so it can be cancelled. */
export interface AbortOptions {
  signal?: AbortSignal
}

/** A progress event emitted by long work (downloads, compilation, publishing). */
export interface ProgressEvent<T = unknown> {
  type: string
  detail?: T
}

/** Options of operations that report progress. */
export interface ProgressOptions<T = unknown> {
  onProgress?: (event: ProgressEvent<T>) => void
}

/** Settles as `promise` does, or rejects with the signal's reason as soon as it aborts. */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise
  if (signal.aborted) return Promise.reject(signal.reason)
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(error)
      },
    )
  })
}

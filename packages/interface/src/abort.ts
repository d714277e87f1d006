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

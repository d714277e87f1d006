/**
 * Shoal's error vocabulary. Each failure has a class with a stable `code` that travels on the
 * wire (compute protocol ComputeError) and in the REST error body; `status` is the HTTP status
 * the API maps it to in one place (`app.onError`); `hint` tells the user what to do.
 */

/** Options shared by every Shoal error. */
export interface ShoalErrorOptions {
  cause?: unknown
  hint?: string
  /** The component that raised it, e.g. "orchestrator", "compute", "wasm". */
  component?: string
  details?: Record<string, unknown>
}

/** Base class of every error Shoal raises on purpose. */
export class ShoalError extends Error {
  /** Stable machine-readable code, e.g. "NotFound". */
  readonly code: string = 'InternalError'
  /** HTTP status the REST API answers with. */
  readonly status: number = 500
  readonly hint?: string
  readonly component?: string
  readonly details?: Record<string, unknown>
  constructor(message: string, options: ShoalErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = new.target.name
    this.hint = options.hint
    this.component = options.component
    this.details = options.details
  }
}

/** One problem found while validating input, with the field path it concerns. */
export interface ValidationIssue {
  /** Dotted/indexed field path, e.g. `Tasks[0].Engine.Params.EntryModule`; empty for the document. */
  path: string
  message: string
}

/** Input (a job spec, a request body, a flag) is invalid; `issues` names every problem. */
export class ValidationError extends ShoalError {
  override readonly code = 'ValidationError'
  override readonly status = 400
  readonly issues: ValidationIssue[]
  constructor(issues: ValidationIssue[], options: ShoalErrorOptions = {}) {
    super(issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; '), options)
    this.issues = issues
  }
}

/** The request is malformed (bad JSON, bad paging token, bad query parameter). */
export class BadRequestError extends ShoalError {
  override readonly code = 'BadRequest'
  override readonly status = 400
}

/** A job, execution, node or evaluation does not exist. */
export class NotFoundError extends ShoalError {
  override readonly code = 'NotFound'
  override readonly status = 404
}

/** A conditional update lost a race or the current state forbids the transition. */
export class ConflictError extends ShoalError {
  override readonly code = 'Conflict'
  override readonly status = 409
}

/** No or wrong credentials. */
export class UnauthorizedError extends ShoalError {
  override readonly code = 'Unauthorized'
  override readonly status = 401
}

/** Credentials valid but without the needed scope. */
export class ForbiddenError extends ShoalError {
  override readonly code = 'Forbidden'
  override readonly status = 403
}

/** The request body is larger than the configured cap. */
export class PayloadTooLargeError extends ShoalError {
  override readonly code = 'PayloadTooLarge'
  override readonly status = 413
}

/** An operation ran out of time. */
export class TimeoutError extends ShoalError {
  override readonly code = 'Timeout'
  override readonly status = 504
}

/** An operation was cancelled through its AbortSignal. */
export class AbortError extends ShoalError {
  override readonly code = 'Aborted'
  override readonly status = 499
}

/** An engine could not run the task (bad module, missing entrypoint, OOM, ...). */
export class ExecutionError extends ShoalError {
  override readonly code = 'ExecutionError'
  override readonly status = 500
}

/** An input could not be fetched or mounted. */
export class StorageError extends ShoalError {
  override readonly code = 'StorageError'
  override readonly status = 502
}

/** Results could not be published. */
export class PublishError extends ShoalError {
  override readonly code = 'PublishError'
  override readonly status = 502
}

/** A peer spoke the protocol wrongly (malformed, out of order, wrong version). */
export class ProtocolError extends ShoalError {
  override readonly code = 'ProtocolError'
  override readonly status = 400
}

/** A remote service (requester, compute node, URL) could not be reached. */
export class UnreachableError extends ShoalError {
  override readonly code = 'Unreachable'
  override readonly status = 503
}

/** A URL input points at an address compute nodes refuse (loopback, link-local, private) and is not allow-listed. */
export class UrlRefusedError extends ShoalError {
  override readonly code = 'UrlRefused'
  override readonly status = 403
}

/** Errors only the HTTP layer raises; everything else comes from @shoal/models' vocabulary. */
import { ShoalError } from '@shoal/models'
import type { ShoalErrorOptions } from '@shoal/models'

/** The route exists but not for this HTTP method (405); `allow` lists the methods it has. */
export class MethodNotAllowedError extends ShoalError {
  override readonly code = 'MethodNotAllowed'
  override readonly status = 405
  readonly allow: string[]
  constructor(message: string, allow: string[], options: ShoalErrorOptions = {}) {
    super(message, options)
    this.allow = allow
  }
}

/** This server cannot serve the request in this runtime or configuration (501). */
export class NotImplementedError extends ShoalError {
  override readonly code = 'NotImplemented'
  override readonly status = 501
}

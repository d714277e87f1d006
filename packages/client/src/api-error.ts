/** Errors the client raises for answers the server gave. */
import { ShoalError } from '@shoal/models'
import type { ApiErrorBody } from './api-types.ts'

/** The server answered with an error: its Status, Code, Message, Hint and RequestID. */
export class ApiError extends ShoalError {
  override readonly code: string
  override readonly status: number
  /** The request ID the server logged the request under. */
  readonly requestId: string
  /** The error body as received. */
  readonly body: ApiErrorBody

  constructor(body: ApiErrorBody) {
    super(body.Message, { hint: body.Hint, component: body.Component, details: body.Details })
    this.code = body.Code
    this.status = body.Status
    this.requestId = body.RequestID
    this.body = body
  }
}

/** The server ended a log stream with an error frame. */
export class LogStreamError extends ShoalError {
  override readonly code = 'LogStreamError'
  override readonly status = 502
}

/** Whether `value` looks like Bacalhau's error body. */
export function isApiErrorBody(value: unknown): value is ApiErrorBody {
  const v = value as Partial<ApiErrorBody> | null
  return typeof v === 'object' && v !== null && typeof v.Message === 'string' && (typeof v.Status === 'number' || typeof v.Code === 'string')
}

/** Bacalhau's REST error body and the one mapping from thrown errors to it. */
import { ShoalError, ValidationError, type ApiErrorBody } from '@shoal/models'

export type { ApiErrorBody }

/** The component name errors raised by the HTTP layer itself carry. */
export const API_COMPONENT = 'APIServer'

/**
 * The error body for `error`. ShoalErrors keep their status, code, message and hint; anything
 * else is an internal error whose message is not leaked (the caller logs it).
 */
export function toErrorBody(error: unknown, requestId: string): ApiErrorBody {
  if (error instanceof ShoalError) {
    const body: ApiErrorBody = {
      Status: error.status,
      Message: error.message,
      RequestID: requestId,
      Code: error.code,
      Component: error.component ?? API_COMPONENT,
    }
    if (error.hint) body.Hint = error.hint
    const details = stringDetails(error)
    if (details) body.Details = details
    return body
  }
  return {
    Status: 500,
    Message: 'Internal server error',
    RequestID: requestId,
    Code: 'InternalError',
    Component: API_COMPONENT,
    Hint: `the server logged the cause under request ID ${requestId}`,
  }
}

/**
 * Details as Bacalhau's map[string]string: strings as they are, a list as one key per item
 * (`warnings[0]`, …), empty lists and objects left out; anything else as its JSON text.
 */
function stringDetails(error: ShoalError): Record<string, string> | undefined {
  const out: Record<string, string> = {}
  for (const [key, value] of Object.entries(error.details ?? {})) {
    if (value === undefined || value === null) continue
    if (typeof value === 'string') out[key] = value
    else if (Array.isArray(value)) value.forEach((item, index) => (out[`${key}[${index}]`] = typeof item === 'string' ? item : JSON.stringify(item)))
    else if (typeof value === 'object' && Object.keys(value).length === 0) continue
    else out[key] = JSON.stringify(value)
  }
  if (error instanceof ValidationError) {
    for (const issue of error.issues) out[issue.path || '(document)'] = issue.message
  }
  return Object.keys(out).length > 0 ? out : undefined
}

/** The message a client may see for `error`: its own for ShoalErrors, a generic one otherwise. */
export function publicMessage(error: unknown, requestId: string): string {
  return toErrorBody(error, requestId).Message
}

/** Reading a JSON request body with a size cap, and picking envelope fields from it. */
import { BadRequestError, PayloadTooLargeError, ValidationError } from '@shoal/models'
import { readStreamBytes } from '@shoal/interface'

/** Default cap of a request body: inline WASM modules travel base64-encoded inside job specs. */
export const DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024

function tooLarge(maxBytes: number): PayloadTooLargeError {
  return new PayloadTooLargeError(`request body is larger than ${maxBytes} bytes`, {
    hint: 'publish large inputs (urlDownload, s3, ipfs) instead of inlining them, or raise the server body limit',
  })
}

/** Options of readJsonBody. */
export interface ReadJsonBodyOptions {
  /** An empty body reads as `undefined` instead of failing. */
  optional?: boolean
  /** What the endpoint expects, shown when the body is empty (default: a job envelope). */
  example?: string
}

/**
 * Reads `request`'s body as JSON, refusing bodies over `maxBytes` without buffering them.
 * An empty body is a BadRequestError, or `undefined` when `optional` is set.
 */
export async function readJsonBody(request: Request, maxBytes: number, options: ReadJsonBodyOptions = {}): Promise<unknown> {
  const declared = request.headers.get('content-length')
  if (declared !== null && Number(declared) > maxBytes) throw tooLarge(maxBytes)
  const bytes = request.body ? await readStreamBytes(request.body, maxBytes, () => tooLarge(maxBytes)) : new Uint8Array()
  const text = new TextDecoder().decode(bytes)
  if (text.trim() === '') {
    if (options.optional) return undefined
    throw new BadRequestError('request body is empty', { hint: `send a JSON object, e.g. ${options.example ?? '{"Job": {...}}'}` })
  }
  try {
    return JSON.parse(text) as unknown
  } catch (cause) {
    throw new BadRequestError(`request body is not valid JSON: ${(cause as Error).message}`, {
      cause,
      hint: 'send a JSON object with Content-Type: application/json',
    })
  }
}

/** `body` as an object, or a ValidationError naming the document. */
export function expectObject(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ValidationError([{ path: '', message: 'request body must be a JSON object' }])
  }
  return body as Record<string, unknown>
}

/** A field of an envelope, matched case-insensitively as Bacalhau's JSON decoder does. */
export function field(body: Record<string, unknown>, name: string): unknown {
  if (Object.hasOwn(body, name)) return body[name]
  const lower = name.toLowerCase()
  const key = Object.keys(body).find((k) => k.toLowerCase() === lower)
  return key === undefined ? undefined : body[key]
}

/** An optional string field; a ValidationError names it when it has another type. */
export function optionalString(body: Record<string, unknown>, name: string): string | undefined {
  const value = field(body, name)
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'string') throw new ValidationError([{ path: name, message: 'must be a string' }])
  return value
}

/** An optional boolean field; a ValidationError names it when it has another type. */
export function optionalBoolean(body: Record<string, unknown>, name: string): boolean | undefined {
  const value = field(body, name)
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'boolean') throw new ValidationError([{ path: name, message: 'must be true or false' }])
  return value
}

/** An optional non-negative integer field; a ValidationError names it when it is anything else. */
export function optionalInteger(body: Record<string, unknown>, name: string): number | undefined {
  const value = field(body, name)
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new ValidationError([{ path: name, message: 'must be a non-negative integer' }])
  }
  return value
}

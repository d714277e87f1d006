/**
 * Opaque paging tokens: base64url of a small JSON cursor naming the list it belongs to, the
 * ordering, and the sort key + ID of the last item returned. Keyset paging on that cursor means
 * items created or deleted between pages never shift the rest (no duplicates, no gaps).
 */
import { BadRequestError } from '@shoal/models'

/** Where a page ended: the list and ordering it belongs to and its last item's sort key and ID. */
export interface PageCursor {
  /** Which list: 'jobs', 'executions', 'history', 'nodes'. */
  list: string
  /** The ordering the cursor is valid for (e.g. 'created_at:asc'). */
  order: string
  /** Sort key of the last item returned. */
  key: string | number
  /** Tie-breaker of the last item returned (its ID or sequence number). */
  id: string | number
}

/** Default page size when a query gives no limit (or 0). */
export const DEFAULT_PAGE_LIMIT = 100
/** Largest page size; larger limits are reduced to it. */
export const MAX_PAGE_LIMIT = 1000

/** The page size for a requested limit: default when absent or 0, clamped to MAX_PAGE_LIMIT. */
export function pageLimit(limit: number | undefined): number {
  if (limit === undefined || limit === 0) return DEFAULT_PAGE_LIMIT
  if (!Number.isInteger(limit) || limit < 0) {
    throw new BadRequestError(`invalid limit ${limit}: use a positive whole number (at most ${MAX_PAGE_LIMIT})`)
  }
  return Math.min(limit, MAX_PAGE_LIMIT)
}

/** Encodes a cursor as an opaque URL-safe token. */
export function encodePageToken(cursor: PageCursor): string {
  const bytes = new TextEncoder().encode(JSON.stringify([1, cursor.list, cursor.order, cursor.key, cursor.id]))
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '')
}

/**
 * Decodes a token produced by encodePageToken for the same list and ordering; anything else
 * (garbage, tampering, a token of another list or ordering) is a BadRequestError.
 */
export function decodePageToken(token: string, list: string, order: string): PageCursor {
  let decoded: unknown
  try {
    if (!/^[A-Za-z0-9_-]+$/.test(token)) throw new Error('not base64url')
    const padded = token.replaceAll('-', '+').replaceAll('_', '/') + '='.repeat((4 - (token.length % 4)) % 4)
    const binary = atob(padded)
    const bytes = Uint8Array.from(binary, (char) => char.charCodeAt(0))
    decoded = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes))
  } catch {
    throw invalid(token, 'it is not a token this server issued')
  }
  if (
    !Array.isArray(decoded) ||
    decoded.length !== 5 ||
    decoded[0] !== 1 ||
    typeof decoded[1] !== 'string' ||
    typeof decoded[2] !== 'string' ||
    !isKey(decoded[3]) ||
    !isKey(decoded[4])
  ) {
    throw invalid(token, 'it is not a token this server issued')
  }
  if (decoded[1] !== list || decoded[2] !== order) {
    throw invalid(token, `it belongs to a different query (${decoded[1]} ordered by ${decoded[2]})`)
  }
  return { list, order, key: decoded[3], id: decoded[4] }
}

function isKey(value: unknown): value is string | number {
  return typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value))
}

function invalid(token: string, reason: string): BadRequestError {
  const shown = token.length > 40 ? `${token.slice(0, 40)}…` : token
  return new BadRequestError(`invalid next_token "${shown}": ${reason}`, {
    component: 'orchestrator',
    hint: 'Repeat the request without next_token to start from the first page.',
  })
}

/**
 * Opaque paging tokens: base64url of a small JSON cursor naming the list it belongs to, the
 * query's ordering and page size, and the sort key + ID of the last item returned. Keyset paging
 * on that cursor means items created or deleted between pages never shift the rest (no duplicates,
 * no gaps). As with Bacalhau's paging tokens, the token is authoritative: its ordering and page
 * size replace whatever the next request says, so `next_token` alone continues the same query.
 */
import { BadRequestError } from '@shoal/models'

/** Where a page ended: the list and query it belongs to and its last item's sort key and ID. */
export interface PageCursor {
  /** Which list: 'jobs', 'executions', 'history', 'nodes'. */
  list: string
  /** The ordering of the query (e.g. 'created_at', or 'seq' for storage order). */
  orderBy: string
  /** Whether the ordering is descending. */
  reverse: boolean
  /** Page size of the query. */
  limit: number
  /** Sort key of the last item returned. */
  key: string | number
  /** Tie-breaker of the last item returned (its ID or sequence number). */
  id: string | number
}

/** How a list query is ordered and paged, after its token (if any) has been applied. */
export interface PagePlan<O extends string> {
  orderBy: O
  reverse: boolean
  limit: number
  /** The cursor of the previous page, when the query continues one. */
  after?: PageCursor
}

/** Default page size when a query gives no limit (or 0). */
export const DEFAULT_PAGE_LIMIT = 100
/** Largest page size; larger limits are reduced to it. */
export const MAX_PAGE_LIMIT = 1000

const FORMAT = 2

/** The page size for a requested limit: default when absent or 0, clamped to MAX_PAGE_LIMIT. */
export function pageLimit(limit: number | undefined): number {
  if (limit === undefined || limit === 0) return DEFAULT_PAGE_LIMIT
  if (!Number.isInteger(limit) || limit < 0) {
    throw new BadRequestError(`invalid limit ${limit}: use a positive whole number (at most ${MAX_PAGE_LIMIT})`)
  }
  return Math.min(limit, MAX_PAGE_LIMIT)
}

/**
 * The ordering and page size of a query on `list`: from its token when it has one (the token
 * must name an ordering in `orderings`), else from the query itself.
 */
export function planPage<O extends string>(
  list: string,
  orderings: readonly O[],
  query: { orderBy?: O; reverse?: boolean; limit?: number; nextToken?: string },
  defaultOrder: O,
): PagePlan<O> {
  if (query.nextToken) {
    const after = decodePageToken(query.nextToken, list)
    if (!(orderings as readonly string[]).includes(after.orderBy)) throw invalid(query.nextToken, 'it is not a token this server issued')
    return { orderBy: after.orderBy as O, reverse: after.reverse, limit: after.limit, after }
  }
  return { orderBy: query.orderBy ?? defaultOrder, reverse: query.reverse ?? false, limit: pageLimit(query.limit) }
}

/** Encodes a cursor as an opaque URL-safe token. */
export function encodePageToken(cursor: PageCursor): string {
  const fields = [FORMAT, cursor.list, cursor.orderBy, cursor.reverse ? 1 : 0, cursor.limit, cursor.key, cursor.id]
  const bytes = new TextEncoder().encode(JSON.stringify(fields))
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '')
}

/**
 * Decodes a token produced by encodePageToken for the same list; anything else (garbage,
 * tampering, a token of another list) is a BadRequestError.
 */
export function decodePageToken(token: string, list: string): PageCursor {
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
    decoded.length !== 7 ||
    decoded[0] !== FORMAT ||
    typeof decoded[1] !== 'string' ||
    typeof decoded[2] !== 'string' ||
    (decoded[3] !== 0 && decoded[3] !== 1) ||
    !Number.isInteger(decoded[4]) ||
    decoded[4] < 1 ||
    decoded[4] > MAX_PAGE_LIMIT ||
    !isKey(decoded[5]) ||
    !isKey(decoded[6])
  ) {
    throw invalid(token, 'it is not a token this server issued')
  }
  if (decoded[1] !== list) throw invalid(token, `it belongs to a different list (${decoded[1]})`)
  return { list, orderBy: decoded[2], reverse: decoded[3] === 1, limit: decoded[4], key: decoded[5], id: decoded[6] }
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

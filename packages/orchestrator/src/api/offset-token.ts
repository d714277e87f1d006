/**
 * Opaque paging tokens for lists the API pages itself (nodes): a base64url offset plus the
 * query's ordering and page size, which the next request takes from the token (as Bacalhau's
 * paging tokens), so `next_token` alone continues the same query.
 */
import { BadRequestError } from '@shoal/models'

/** Where the next page of an offset-paged list starts, and how the list is ordered and paged. */
export interface OffsetCursor {
  offset: number
  orderBy: string
  reverse: boolean
  limit: number
}

/** A NextToken for `cursor`. */
export function encodeOffsetToken(cursor: OffsetCursor): string {
  const json = JSON.stringify({ offset: cursor.offset, order_by: cursor.orderBy, reverse: cursor.reverse, limit: cursor.limit })
  return btoa(json).replaceAll('+', '-').replaceAll('/', '_').replaceAll('=', '')
}

/** The cursor inside a NextToken from encodeOffsetToken; a BadRequestError for anything else. */
export function decodeOffsetToken(token: string): OffsetCursor {
  const bad = () =>
    new BadRequestError(`next_token ${JSON.stringify(token)} is not a paging token this server issued`, {
      hint: 'pass the NextToken of the previous page unchanged, or omit next_token to start from the first page',
    })
  let parsed: unknown
  try {
    parsed = JSON.parse(atob(token.replaceAll('-', '+').replaceAll('_', '/')))
  } catch {
    throw bad()
  }
  const { offset, order_by: orderBy, reverse, limit } = (parsed ?? {}) as Record<string, unknown>
  const whole = (n: unknown, min: number): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= min
  if (!whole(offset, 0) || !whole(limit, 1) || typeof orderBy !== 'string' || typeof reverse !== 'boolean') throw bad()
  return { offset, orderBy, reverse, limit }
}

/** Opaque paging tokens for lists the API pages itself (nodes): a base64url offset. */
import { BadRequestError } from '@shoal/models'

/** A NextToken for the page starting at `offset`. */
export function encodeOffsetToken(offset: number): string {
  return btoa(JSON.stringify({ offset })).replaceAll('+', '-').replaceAll('/', '_').replaceAll('=', '')
}

/** The offset inside a NextToken from encodeOffsetToken; a BadRequestError for anything else. */
export function decodeOffsetToken(token: string): number {
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
  const offset = (parsed as { offset?: unknown } | null)?.offset
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) throw bad()
  return offset
}

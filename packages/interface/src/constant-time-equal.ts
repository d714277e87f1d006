/**
 * Secret comparison that takes the same time wherever the inputs differ (Web APIs only).
 */

/**
 * Whether two secrets (join tokens, say) are equal, in time that does not depend on where they
 * differ or on the secret's length: both are hashed (SHA-256) first, then every byte of the
 * digests is compared without an early exit. A plain `===` stops at the first differing
 * character, which lets a caller guess a token one character at a time by timing answers.
 */
export async function constantTimeEqual(a: string, b: string): Promise<boolean> {
  const encoder = new TextEncoder()
  const [left, right] = await Promise.all([
    crypto.subtle.digest('SHA-256', encoder.encode(a)),
    crypto.subtle.digest('SHA-256', encoder.encode(b)),
  ])
  const x = new Uint8Array(left)
  const y = new Uint8Array(right)
  let difference = 0
  for (let i = 0; i < x.length; i++) difference |= x[i] ^ y[i]
  return difference === 0
}

import { describe, expect, it } from 'vitest'
import { constantTimeEqual } from '../src/index.ts'

// What can be asserted without timing: the answers. The timing property comes from the code's
// shape (fixed-size digests, a loop without an early exit), which review checks.
describe('constantTimeEqual', () => {
  it('is true only for identical secrets', async () => {
    expect(await constantTimeEqual('s3cret-token', 's3cret-token')).toBe(true)
    expect(await constantTimeEqual('', '')).toBe(true)
    expect(await constantTimeEqual('s3cret-token', 's3cret-tokeN')).toBe(false)
    expect(await constantTimeEqual('s3cret-token', 'X3cret-token')).toBe(false)
  })

  it('is false for a prefix, an extension and different lengths', async () => {
    expect(await constantTimeEqual('s3cret', 's3cret-token')).toBe(false)
    expect(await constantTimeEqual('s3cret-token', 's3cret')).toBe(false)
    expect(await constantTimeEqual('', 'x')).toBe(false)
  })

  it('compares Unicode text by its UTF-8 bytes', async () => {
    expect(await constantTimeEqual('clé-é', 'clé-é')).toBe(true)
    expect(await constantTimeEqual('clé', 'cle\u0301')).toBe(false)
  })
})

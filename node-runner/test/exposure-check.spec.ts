import { describe, expect, it } from 'vitest'
import { BadRequestError } from '@shoal/models'
import { checkExposure, isLoopbackHost } from '../src/serve/exposure-check.ts'

const open = { host: '0.0.0.0', orchestrator: true, apiTokens: false, joinToken: false }

describe('listening beyond loopback', () => {
  it('is refused without API tokens and a join token, naming each', () => {
    const error = (() => {
      try {
        checkExposure(open, false)
      } catch (e) {
        return e
      }
    })()
    expect(error).toBeInstanceOf(BadRequestError)
    expect((error as Error).message).toMatch(/^refusing to listen on 0\.0\.0\.0 unprotected:\n {2}- the REST API .*no API tokens.*\n {2}- the compute-protocol listener .*no join token/)
    expect(() => checkExposure({ ...open, apiTokens: true }, false)).toThrow(/no join token/)
    expect(() => checkExposure({ ...open, joinToken: true }, false)).toThrow(/no API tokens/)
  })

  it('is allowed with both tokens, on loopback, or for a compute-only node (its results are signed)', () => {
    expect(checkExposure({ ...open, apiTokens: true, joinToken: true }, false)).toEqual([])
    for (const host of ['127.0.0.1', '127.0.0.2', '::1', '[::1]', 'localhost']) expect(checkExposure({ ...open, host }, false)).toEqual([])
    expect(checkExposure({ ...open, orchestrator: false }, false)).toEqual([])
    expect(isLoopbackHost('10.0.0.1')).toBe(false)
  })

  it('with --insecure starts, and says why that is unsafe (printed on every start)', () => {
    const warnings = checkExposure(open, true)
    expect(warnings).toHaveLength(2)
    for (const warning of warnings) expect(warning).toMatch(/^WARNING \(--insecure\): /)
  })
})

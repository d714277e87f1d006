import { describe, expect, it } from 'vitest'
import type { Job } from '@shoal/models'
import { deterministicOptions, DETERMINISTIC_EPOCH_NS } from '../src/index.ts'

const job = { ID: 'j-1', Version: 2 } as Job

describe('deterministic mode options', () => {
  it('is off unless the task sets Engine.Params.Deterministic', () => {
    expect(deterministicOptions(job, 0, {})).toBeUndefined()
    expect(deterministicOptions(job, 0, { Deterministic: 'yes' })).toBeUndefined()
    expect(deterministicOptions(job, 0, undefined)).toBeUndefined()
  })

  it('seeds from the job, version and partition only, so any node gets the same seed', () => {
    const a = deterministicOptions(job, 1, { Deterministic: true })
    expect(a).toEqual({ seed: 'j-1/v2/p1', epochNs: DETERMINISTIC_EPOCH_NS })
    expect(deterministicOptions(job, 1, { Deterministic: true })).toEqual(a)
    expect(deterministicOptions(job, 2, { Deterministic: true })!.seed).not.toBe(a!.seed)
    expect(deterministicOptions({ ...job, Version: 3 }, 1, { Deterministic: true })!.seed).not.toBe(a!.seed)
  })
})

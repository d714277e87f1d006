import { describe, expect, it } from 'vitest'
import { matchesConstraint } from '../../src/scheduler/label-constraints.ts'

const labels = { region: 'eu', cores: '8', gpu: '' }

describe('label constraints', () => {
  it.each([
    ['=', 'region', ['eu'], true],
    ['==', 'region', ['us'], false],
    ['!=', 'region', ['us'], true],
    ['!=', 'zone', ['a'], true],
    ['in', 'region', ['us', 'eu'], true],
    ['in', 'zone', ['a'], false],
    ['notin', 'region', ['eu'], false],
    ['notin', 'zone', ['a'], true],
    ['exists', 'gpu', [], true],
    ['exists', 'zone', [], false],
    ['!', 'zone', [], true],
    ['!', 'region', [], false],
    ['gt', 'cores', ['4'], true],
    ['gt', 'cores', ['8'], false],
    ['lt', 'cores', ['16'], true],
    ['lt', 'region', ['16'], false],
    ['gt', 'zone', ['1'], false],
    ['unknown-op', 'region', ['eu'], false],
  ] as const)('%s %s %j -> %s', (Operator, Key, Values, expected) => {
    expect(matchesConstraint(labels, { Key, Operator, Values: [...Values] })).toBe(expected)
  })
})

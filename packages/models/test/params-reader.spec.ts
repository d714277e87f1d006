import { describe, expect, it } from 'vitest'
import { ParamsReader } from '../src/index.ts'

describe('ParamsReader', () => {
  it('matches keys case-insensitively, the exact key first', () => {
    const reader = new ParamsReader({ params: { image: 'lower', Parameters: ['a'], parameters: ['b'] }, path: 'Engine.Params' })
    expect(reader.string('Image')).toBe('lower')
    expect(reader.strings('Parameters')).toEqual(['a'])
    expect(reader.problems).toEqual([])
  })

  it('names the field path of every wrong field and returns defaults so all are reported', () => {
    const reader = new ParamsReader({ params: { Entrypoint: 3, Parameters: ['ok', 1], EnvironmentVariables: { A: 1 } }, path: 'Tasks[0].Engine.Params' })
    expect(reader.string('Entrypoint', '_start')).toBe('_start')
    expect(reader.strings('Parameters')).toEqual([])
    expect(reader.stringMap('EnvironmentVariables')).toEqual({})
    reader.problem('Image', 'set it to the image to run')
    reader.problem('EnvironmentVariables', 'expected NAME=value', 2)
    expect(reader.problems).toEqual([
      'Tasks[0].Engine.Params.Entrypoint: expected a string',
      'Tasks[0].Engine.Params.Parameters: expected a list of strings',
      'Tasks[0].Engine.Params.EnvironmentVariables: expected a map of strings',
      'Tasks[0].Engine.Params.Image: set it to the image to run',
      'Tasks[0].Engine.Params.EnvironmentVariables[2]: expected NAME=value',
    ])
  })

  it('reads absent and null fields as their defaults without a problem, and a non-object Params as empty', () => {
    const reader = new ParamsReader({ params: { WorkingDirectory: null }, path: 'Engine.Params' })
    expect(reader.string('WorkingDirectory')).toBe('')
    expect(reader.strings('Parameters')).toEqual([])
    expect(reader.stringMap('EnvironmentVariables')).toEqual({})
    expect(new ParamsReader({ params: ['x'], path: 'Engine.Params' }).field('0')).toBeUndefined()
    expect(reader.problems).toEqual([])
  })

  it('never reads inherited properties as fields', () => {
    const reader = new ParamsReader({ params: {}, path: 'Engine.Params' })
    expect(reader.field('constructor')).toBeUndefined()
    expect(reader.field('toString')).toBeUndefined()
  })
})

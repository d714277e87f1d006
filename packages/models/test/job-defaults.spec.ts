import { describe, expect, it } from 'vitest'
import { applyJobDefaults, JOB_DEFAULTS, jobSpecFromValue, normalizeJob, parseBytes } from '../src/index.ts'
import type { JobDefaults } from '../src/index.ts'

const uuid = () => '11111111-2222-4333-8444-555555555555'
const parse = (spec: Record<string, unknown>) => jobSpecFromValue(spec).job
const wasmTask = {
  Name: 'main',
  Engine: { Type: 'wasm', Params: { EntryModule: '/m.wasm' } },
  InputSources: [{ Target: '/m.wasm', Source: { Type: 'inline', Params: { URL: 'data:,x' } } }],
}

describe('normalizeJob', () => {
  it('makes every collection non-null and fills namespace, network and state', () => {
    const job = normalizeJob({ ID: '', Name: '', Namespace: '', Type: 'batch', Tasks: [{ Name: 'main' }] })
    expect(job).toMatchObject({ Namespace: 'default', Count: 1, Priority: 0, Constraints: [], Meta: {}, Labels: {}, State: { StateType: 'Undefined' } })
    expect(job.Tasks[0]).toEqual({
      Name: 'main',
      Engine: { Type: '', Params: {} },
      Publisher: { Type: '', Params: {} },
      Env: {},
      Meta: {},
      InputSources: [],
      ResultPaths: [],
      Resources: {},
      Network: { Type: 'Default', Domains: [] },
      Timeouts: {},
    })
  })

  it('spells known types canonically and lower-cases quantities and domains, like Bacalhau', () => {
    const job = normalizeJob({
      ID: '',
      Name: '',
      Namespace: ' team ',
      Type: 'Service',
      Tasks: [{ Name: 'main', Engine: { Type: ' WASM ', Params: {} }, Resources: { Memory: '1 GB' }, Network: { Type: 'http', Domains: [' Example.COM '] } }],
    })
    expect(job.Type).toBe('service')
    expect(job.Namespace).toBe('team')
    expect(job.Tasks[0].Engine.Type).toBe('wasm')
    expect(job.Tasks[0].Resources.Memory).toBe('1gb')
    expect(job.Tasks[0].Network).toEqual({ Type: 'HTTP', Domains: ['example.com'] })
  })
})

describe('applyJobDefaults', () => {
  it('assigns ID, Name, upstream resources, wasm entrypoint and times', () => {
    const job = applyJobDefaults(parse({ Type: 'batch', Tasks: [wasmTask] }), { uuid, now: () => 1_700_000_000_000 })
    expect(job.ID).toBe('j-11111111-2222-4333-8444-555555555555')
    expect(job.Name).toBe(job.ID)
    expect(job.Namespace).toBe('default')
    expect(job.Count).toBe(1)
    expect(job.Tasks[0].Resources).toEqual({ CPU: '500m', Memory: '512mb' })
    expect(parseBytes(job.Tasks[0].Resources.Memory as string)).toBe(512_000_000)
    expect(job.Tasks[0].Engine.Params.Entrypoint).toBe('_start')
    expect(job.Tasks[0].Publisher).toEqual({ Type: '', Params: {} })
    expect(job.Tasks[0].Timeouts).toEqual({})
    expect(job.CreateTime).toBe(1_700_000_000_000 * 1_000_000)
    expect(job.ModifyTime).toBe(job.CreateTime)
  })

  it('keeps what the user set', () => {
    const job = applyJobDefaults(
      parse({
        Name: 'mine',
        Namespace: 'team',
        Type: 'service',
        Count: 3,
        Priority: 5,
        Tasks: [{ ...wasmTask, Engine: { Type: 'wasm', Params: { EntryModule: '/m.wasm', Entrypoint: 'main' } }, Resources: { CPU: '2', Memory: '1Gi' } }],
      }),
      { uuid },
    )
    expect(job).toMatchObject({ Name: 'mine', Namespace: 'team', Count: 3, Priority: 5 })
    expect(job.Tasks[0].Resources).toEqual({ CPU: '2', Memory: '1gi' })
    expect(job.Tasks[0].Engine.Params.Entrypoint).toBe('main')
  })

  it.each(['ops', 'daemon'])('forces Count to 0 for %s jobs', (type) => {
    expect(applyJobDefaults(parse({ Type: type, Count: 1, Tasks: [wasmTask] }), { uuid }).Count).toBe(0)
  })

  it('does not modify its input', () => {
    const job = parse({ Type: 'batch', Tasks: [wasmTask] })
    const before = structuredClone(job)
    applyJobDefaults(job, { uuid })
    expect(job).toEqual(before)
  })

  it('applies configured defaults: publisher and batch timeouts', () => {
    const defaults: JobDefaults = {
      ...JOB_DEFAULTS,
      Types: {
        ...JOB_DEFAULTS.Types,
        batch: { Priority: 2, Resources: { CPU: '1' }, Publisher: { Type: 'local', Params: {} }, Timeouts: { ExecutionTimeout: 600, TotalTimeout: 1800 } },
      },
    }
    const job = applyJobDefaults(parse({ Type: 'batch', Tasks: [wasmTask] }), { uuid, defaults })
    expect(job.Priority).toBe(2)
    expect(job.Tasks[0].Publisher).toEqual({ Type: 'local', Params: {} })
    expect(job.Tasks[0].Timeouts).toEqual({ ExecutionTimeout: 600, TotalTimeout: 1800 })
    expect(job.Tasks[0].Resources).toEqual({ CPU: '1' })
  })

  it('keeps JOB_DEFAULTS immutable', () => {
    expect(Object.isFrozen(JOB_DEFAULTS)).toBe(true)
    expect(Object.isFrozen(JOB_DEFAULTS.Types.batch.Resources)).toBe(true)
  })
})

import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { applyJobDefaults, jobSpecFromValue, parseJobSpec, ValidationError } from '../src/index.ts'
import type { Job } from '../src/index.ts'

const fixture = (name: string): string => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')

const wasmTask = `
Tasks:
  - Name: main
    Engine:
      Type: wasm
      Params:
        EntryModule: /app/main.wasm
    InputSources:
      - Target: /app/main.wasm
        Source:
          Type: urlDownload
          Params:
            URL: https://example.com/main.wasm
`

const issuesOf = (fn: () => unknown): ValidationError => {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError)
    return error as ValidationError
  }
  throw new Error('expected a ValidationError')
}

describe('job types and Count', () => {
  it.each([
    ['batch', undefined, 1],
    ['batch', 0, 0],
    ['batch', 3, 3],
    ['service', undefined, 1],
    ['service', 2, 2],
    ['ops', undefined, 0],
    ['ops', 1, 0],
    ['daemon', undefined, 0],
    ['daemon', 1, 0],
  ])('%s with Count %s runs with Count %d', (type, count, expected) => {
    const { job } = parseJobSpec(`Type: ${type}\n${count === undefined ? '' : `Count: ${count}\n`}${wasmTask}`)
    expect(applyJobDefaults(job, { uuid: () => 'u' }).Count).toBe(expected)
  })

  it.each(['ops', 'daemon'])('%s jobs reject Count > 1', (type) => {
    const error = issuesOf(() => parseJobSpec(`Type: ${type}\nCount: 2\n${wasmTask}`))
    expect(error.issues).toEqual([{ path: 'Count', message: expect.stringContaining('every matching node') }])
  })

  it('keeps an explicit Count 0 of a batch job (stop all executions)', () => {
    expect(parseJobSpec(`Type: batch\nCount: 0\n${wasmTask}`).job.Count).toBe(0)
  })
})

describe('parseJobSpec', () => {
  it('matches keys case-insensitively at every level and writes PascalCase', () => {
    const { job, warnings } = parseJobSpec(`
type: BATCH
NAME: lower
tasks:
  - name: main
    ENGINE:
      type: WASM
      params:
        entrymodule: /app/main.wasm
        ENTRYPOINT: run
        parameters: [a, b]
        environmentvariables: { my_var: x }
    inputsources:
      - target: /app/main.wasm
        source: { type: URLDOWNLOAD, params: { url: "https://example.com/m.wasm" } }
    resources: { cpu: 1, MEMORY: 1GB }
    env: { lower_key_kept: "v" }
    network: { type: none }
    timeouts: { executiontimeout: 10 }
meta: { MyKey: v }
`, { validate: false })
    expect(warnings).toEqual([])
    expect(job.Type).toBe('batch')
    expect(job.Name).toBe('lower')
    expect(job.Meta).toEqual({ MyKey: 'v' })
    const task = job.Tasks[0]
    expect(task.Engine).toEqual({
      Type: 'wasm',
      Params: { EntryModule: '/app/main.wasm', Entrypoint: 'run', Parameters: ['a', 'b'], EnvironmentVariables: { my_var: 'x' } },
    })
    expect(task.InputSources[0].Source).toEqual({ Type: 'urlDownload', Params: { URL: 'https://example.com/m.wasm' } })
    expect(task.Resources).toEqual({ CPU: '1', Memory: '1gb' })
    expect(task.Env).toEqual({ lower_key_kept: 'v' })
    expect(task.Network.Type).toBe('None')
    expect(task.Timeouts).toEqual({ ExecutionTimeout: 10 })
  })

  it('keeps params of unknown engines as given', () => {
    const { job } = parseJobSpec('Type: batch\nTasks:\n  - Name: main\n    Engine: {Type: flibble, Params: {someKey: 1}}\n', { validate: false })
    expect(job.Tasks[0].Engine).toEqual({ Type: 'flibble', Params: { someKey: 1 } })
  })

  it('warns about unknown fields by path and ignores them', () => {
    const { job, warnings } = parseJobSpec(`Type: batch\nColour: blue\n${wasmTask}    Flavour: mint\n`.replace('EntryModule:', 'Extra: 1\n        EntryModule:'))
    expect(warnings).toEqual([
      'Colour: unknown field, ignored',
      'Tasks[0].Engine.Params.Extra: unknown parameter, passed through unchanged',
      'Tasks[0].Flavour: unknown field, ignored',
    ])
    expect(job).not.toHaveProperty('Colour')
    expect(job.Tasks[0].Engine.Params.Extra).toBe(1)
  })

  it('refuses unknown fields, each by path, when asked to (the CLI: a misspelt key is not dropped silently)', () => {
    const spec = `Type: batch\nContraints: [{Key: region, Operator: "=", Values: [eu]}]\n${wasmTask}    Flavour: mint\n`
    let caught: unknown
    try {
      parseJobSpec(spec, { source: 'job.yaml', unknownFields: 'error' })
    } catch (error) {
      caught = error
    }
    expect(caught).toBeInstanceOf(ValidationError)
    expect((caught as ValidationError).issues.map((issue) => issue.path)).toEqual(['Contraints', 'Tasks[0].Flavour'])
    expect((caught as ValidationError).issues[0].message).toBe('unknown field: check its spelling and where it sits in the job model')
    // The default (the REST API) warns and goes on.
    expect(parseJobSpec(spec).warnings).toContain('Contraints: unknown field, ignored')
  })

  it('says what type a field needs and what it got, not that it is missing', () => {
    expect(() => parseJobSpec('Type: batch\nCount: "1"\nTasks: [{Name: main, Engine: {Type: noop}}]\n')).toThrow(
      expect.objectContaining({ issues: [{ path: 'Count', message: 'expected a number, got string' }] }),
    )
  })

  it('warns about a key given twice in different cases', () => {
    const { job, warnings } = parseJobSpec(`type: ops\nName: a\nname: b\n${wasmTask}`)
    expect(job.Name).toBe('b')
    expect(warnings).toEqual(['name: duplicate of Name (keys are case-insensitive); the last one wins'])
  })

  it('accepts JSON and the PUT body form {Job: ...}', () => {
    const { job, warnings } = parseJobSpec(JSON.stringify({ Job: { Type: 'batch', Tasks: [{ Name: 'main', Engine: { Type: 'noop' } }] }, Force: true }))
    expect(job.Type).toBe('batch')
    expect(warnings).toEqual([])
  })

  it('names line and column of malformed YAML', () => {
    const error = issuesOf(() => parseJobSpec('Type: batch\nTasks:\n  - Name: main\n    Engine: {Type: wasm\n', { source: 'job.yaml' }))
    expect(error.issues[0].message).toMatch(/^job\.yaml: line \d+, column \d+: /)
  })

  it('names the line of malformed JSON', () => {
    const error = issuesOf(() => parseJobSpec('{\n  "Type": "batch",\n  "Tasks": [,]\n}'))
    expect(error.issues[0].message).toMatch(/^line 3, column \d+: /)
  })

  it('reports a duplicate key with its line', () => {
    const error = issuesOf(() => parseJobSpec('Type: batch\nType: ops\n'))
    expect(error.issues[0].message).toMatch(/^line 2, column 1: /)
  })

  it.each(['', '   \n', '# only a comment\n', '---\n'])('rejects an empty document %j', (text) => {
    expect(issuesOf(() => parseJobSpec(text)).issues[0].message).toMatch(/empty job spec/)
  })

  it('rejects several documents, naming the line of the second', () => {
    const error = issuesOf(() => parseJobSpec(`Type: batch\n${wasmTask}---\nType: ops\n`))
    expect(error.issues[0].message).toMatch(/^line 15: a second YAML document/)
  })

  it.each([
    ['- Type: batch\n', 'a list'],
    ['just text\n', 'a string'],
    ['42\n', 'a number'],
  ])('rejects a non-object root %j', (text, what) => {
    expect(issuesOf(() => parseJobSpec(text)).issues[0].message).toContain(`got ${what}`)
  })

  it('reports wrong field types with their paths, all at once', () => {
    const error = issuesOf(() => jobSpecFromValue({ Type: 'batch', Count: 'two', Tasks: [{ Name: 'main', InputSources: 'x', Timeouts: { QueueTimeout: 1.5 } }] }))
    expect(error.issues.map((issue) => issue.path)).toEqual(['Count', 'Tasks[0].InputSources', 'Tasks[0].Timeouts.QueueTimeout'])
  })

  it('resets fields a submitter may not set, with warnings (describe -> resubmit works)', () => {
    const { job, warnings } = jobSpecFromValue({
      ID: 'j-old',
      Name: 'kept',
      Type: 'batch',
      State: { StateType: 'Completed' },
      Version: 3,
      Revision: 7,
      CreateTime: 5,
      ModifyTime: 6,
      Meta: { 'bacalhau.org/requester.id': 'n-1', mine: 'x' },
      Tasks: [{ Name: 'main', Engine: { Type: 'noop' } }],
    })
    expect(job).toMatchObject({ ID: '', Name: 'kept', State: { StateType: 'Undefined' }, Version: 0, Revision: 0, CreateTime: 0, ModifyTime: 0, Meta: { mine: 'x' } })
    expect(warnings).toHaveLength(7)
    expect(warnings).toContain('Meta["bacalhau.org/requester.id"]: keys starting with bacalhau.org/ are reserved for the orchestrator; removed')
  })

  it('warns about the deprecated localDirectory type and uses local', () => {
    const { job, warnings } = parseJobSpec(`Type: batch\n${wasmTask}      - Target: /data\n        Source: {Type: localDirectory, Params: {SourcePath: /srv/data}}\n`)
    expect(job.Tasks[0].InputSources[1].Source.Type).toBe('local')
    expect(warnings).toEqual(['Tasks[0].InputSources[1].Source.Type: localDirectory is deprecated, using local'])
  })
})

describe('legacy wasm form', () => {
  it('moves an InputSource-shaped EntryModule into InputSources (upstream wasm_legacy.yaml shape)', () => {
    const { job, warnings } = parseJobSpec(`
Type: batch
Tasks:
  - Name: main
    Engine:
      Type: wasm
      Params:
        EntryModule:
          Alias: ""
          Source: { Type: inline, Params: { URL: "data:application/wasm;base64,AGFzbQEAAAA=" } }
          Target: ""
        EntryPoint: _start
        EnvironmentVariables: null
        ImportModules:
          - Source: { Type: urlDownload, Params: { URL: "https://example.com/lib.wasm" } }
            Target: /lib/lib.wasm
          - Source: { Type: ipfs, Params: { CID: QmX } }
        Parameters: null
`)
    const task = job.Tasks[0]
    expect(task.Engine.Params).toEqual({ EntryModule: '/wasm/entry.wasm', Entrypoint: '_start', ImportModules: ['/lib/lib.wasm', '/wasm/imports/module_1.wasm'] })
    expect(task.InputSources.map((input) => [input.Source.Type, input.Target])).toEqual([
      ['inline', '/wasm/entry.wasm'],
      ['urlDownload', '/lib/lib.wasm'],
      ['ipfs', '/wasm/imports/module_1.wasm'],
    ])
    expect(warnings).toHaveLength(3)
    expect(warnings[0]).toContain('Tasks[0].Engine.Params.EntryModule: legacy form')
  })

  it('converts the v0 StorageSpec form and keeps its Path as Target', () => {
    const { job } = parseJobSpec(`
Type: batch
Tasks:
  - Name: main
    Engine:
      Type: wasm
      Params:
        EntryModule: { StorageSource: urlDownload, URL: "https://example.com/m.wasm", Path: /m.wasm, Name: mod }
`)
    expect(job.Tasks[0].Engine.Params.EntryModule).toBe('/m.wasm')
    expect(job.Tasks[0].InputSources).toEqual([{ Source: { Type: 'urlDownload', Params: { URL: 'https://example.com/m.wasm' } }, Alias: 'mod', Target: '/m.wasm' }])
  })
})

describe('round trip', () => {
  it.each(['wasm-inline.yaml', 'docker.json', 'ops.yaml'])('%s: parse, normalise, JSON, parse again = equal', (name) => {
    const first = parseJobSpec(fixture(name), { source: name }).job
    const second = parseJobSpec(JSON.stringify(first)).job
    expect(second).toEqual(first)
    expect(JSON.stringify(second)).toBe(JSON.stringify(first))
    const defaulted = applyJobDefaults(first, { uuid: () => '00000000-0000-4000-8000-000000000000', now: () => 1 })
    const back: Job = JSON.parse(JSON.stringify(defaulted))
    expect(applyJobDefaults(jobSpecFromValue(back, { validate: false }).job, { now: () => 1 }).Tasks).toEqual(defaulted.Tasks)
  })
})

describe('fixtures', () => {
  it('wasm-inline.yaml is a valid wasm job whose module is inline', () => {
    const { job, warnings } = parseJobSpec(fixture('wasm-inline.yaml'))
    expect(warnings).toEqual([])
    expect(job.Tasks[0].Engine.Params.EntryModule).toBe(job.Tasks[0].InputSources[0].Target)
    expect(String(job.Tasks[0].InputSources[0].Source.Params.URL)).toMatch(/^data:application\/wasm;base64,AGFzbQ/)
  })

  it("ipfs.yaml, upstream's ipfs input source and ipfs publisher, validates unchanged", () => {
    const { job, warnings } = parseJobSpec(fixture('ipfs.yaml'))
    expect(warnings).toEqual([])
    expect(job.Tasks[0].Publisher).toEqual({ Type: 'ipfs', Params: {} })
    expect(job.Tasks[0].InputSources[1]).toMatchObject({ Target: '/data', Source: { Type: 'ipfs', Params: { CID: 'QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o' } } })
    // Lower-case keys, as some clients write them, and a missing CID named by its field path.
    const lower = parseJobSpec(fixture('ipfs.yaml').replace('          Type: ipfs\n          Params:\n            CID:', '          type: ipfs\n          params:\n            cid:'))
    expect(lower.job.Tasks[0].InputSources[1].Source.Params.CID).toBe('QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o')
    const error = issuesOf(() => parseJobSpec(fixture('ipfs.yaml').replace('CID: QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o', 'CID: ""')))
    expect(error.issues.map((issue) => issue.path)).toEqual(['Tasks[0].InputSources[1].Source.Params.CID'])
  })

  it('invalid.yaml fails with every problem named', () => {
    const error = issuesOf(() => parseJobSpec(fixture('invalid.yaml'), { source: 'invalid.yaml' }))
    expect(error.issues.map((issue) => issue.path).sort()).toEqual(
      [
        'Count',
        'Tasks[0].Engine.Params.EntryModule',
        'Tasks[0].Env.BACALHAU_JOB_ID',
        'Tasks[0].InputSources[0].Source.Type',
        'Tasks[0].InputSources[0].Target',
        'Tasks[0].ResultPaths[0].Path',
        'Tasks[0].Resources.CPU',
        'Tasks[0].Timeouts.ExecutionTimeout',
      ].sort(),
    )
  })
})

import { describe, expect, it } from 'vitest'
import { assertValidJob, JobSchema, jobSpecFromValue, normalizeJob, validateJob, ValidationError } from '../src/index.ts'

type Spec = Record<string, any>

/** A valid wasm batch job; each case below breaks one thing. */
const validSpec = (): Spec => ({
  Name: 'valid',
  Type: 'batch',
  Count: 1,
  Constraints: [{ Key: 'region', Operator: 'in', Values: ['eu'] }],
  Meta: { owner: 'me' },
  Tasks: [
    {
      Name: 'main',
      Engine: { Type: 'wasm', Params: { EntryModule: '/inputs/a', ImportModules: ['/inputs/lib/lib.wasm'], EnvironmentVariables: { MODE: 'x' } } },
      Publisher: { Type: 'local' },
      Env: { GREETING: 'hello' },
      InputSources: [
        { Target: '/inputs/a', Source: { Type: 'inline', Params: { URL: 'data:application/wasm;base64,AGFzbQEAAAA=' } } },
        { Target: '/inputs/lib', Alias: 'lib', Source: { Type: 'urlDownload', Params: { URL: 'https://example.com/lib' } } },
      ],
      ResultPaths: [{ Name: 'outputs', Path: '/outputs' }],
      Resources: { CPU: '500m', Memory: '512Mb', Disk: '1Gi', GPU: '0' },
      Network: { Type: 'HTTP', Domains: ['example.com'] },
      Timeouts: { ExecutionTimeout: 60, QueueTimeout: 10, TotalTimeout: 100 },
    },
  ],
})

const task = (spec: Spec): Spec => spec.Tasks[0]

const cases: Array<[string, (spec: Spec) => void, string]> = [
  ['missing job type', (s) => delete s.Type, 'Type'],
  ['unknown job type', (s) => (s.Type = 'cron'), 'Type'],
  ['negative Count', (s) => (s.Count = -1), 'Count'],
  ['ops job with Count 2', (s) => ((s.Type = 'ops'), (s.Count = 2)), 'Count'],
  ['daemon job with Count 5', (s) => ((s.Type = 'daemon'), (s.Count = 5)), 'Count'],
  ['no tasks', (s) => (s.Tasks = []), 'Tasks'],
  ['constraint with an unknown operator', (s) => (s.Constraints[0].Operator = '~='), 'Constraints[0].Operator'],
  ['constraint in without values', (s) => (s.Constraints[0].Values = []), 'Constraints[0].Values'],
  ['constraint exists with values', (s) => (s.Constraints[0] = { Key: 'gpu', Operator: 'exists', Values: ['x'] }), 'Constraints[0].Values'],
  ['constraint = with two values', (s) => (s.Constraints[0] = { Key: 'a', Operator: '=', Values: ['x', 'y'] }), 'Constraints[0].Values'],
  ['constraint gt with a word', (s) => (s.Constraints[0] = { Key: 'cpus', Operator: 'gt', Values: ['many'] }), 'Constraints[0].Values[0]'],
  ['constraint without key', (s) => (s.Constraints[0].Key = ''), 'Constraints[0].Key'],
  ['missing task name', (s) => delete task(s).Name, 'Tasks[0].Name'],
  ['missing engine', (s) => delete task(s).Engine, 'Tasks[0].Engine.Type'],
  ['unknown publisher type', (s) => (task(s).Publisher = { Type: 'ftp' }), 'Tasks[0].Publisher.Type'],
  ['s3 publisher without bucket', (s) => (task(s).Publisher = { Type: 's3', Params: { Key: 'k' } }), 'Tasks[0].Publisher.Params.Bucket'],
  ['unknown input source type', (s) => (task(s).InputSources[1].Source.Type = 'ftp'), 'Tasks[0].InputSources[1].Source.Type'],
  ['inline source without URL', (s) => (task(s).InputSources[0].Source.Params = {}), 'Tasks[0].InputSources[0].Source.Params.URL'],
  ['inline source that is not a data: URL', (s) => (task(s).InputSources[0].Source.Params.URL = 'https://x'), 'Tasks[0].InputSources[0].Source.Params.URL'],
  ['urlDownload with ftp URL', (s) => (task(s).InputSources[1].Source.Params.URL = 'ftp://x/y'), 'Tasks[0].InputSources[1].Source.Params.URL'],
  ['ipfs source without CID', (s) => (task(s).InputSources[1].Source = { Type: 'ipfs', Params: {} }), 'Tasks[0].InputSources[1].Source.Params.CID'],
  ['wasm without EntryModule', (s) => delete task(s).Engine.Params.EntryModule, 'Tasks[0].Engine.Params.EntryModule'],
  ['wasm EntryModule matching no Target', (s) => (task(s).Engine.Params.EntryModule = '/elsewhere/a.wasm'), 'Tasks[0].Engine.Params.EntryModule'],
  ['wasm ImportModules entry matching no Target', (s) => (task(s).Engine.Params.ImportModules = ['/nope.wasm']), 'Tasks[0].Engine.Params.ImportModules[0]'],
  ['wasm Parameters not strings', (s) => (task(s).Engine.Params.Parameters = [1, 'two']), 'Tasks[0].Engine.Params.Parameters[0]'],
  ['reserved name in wasm EnvironmentVariables', (s) => (task(s).Engine.Params.EnvironmentVariables = { BACALHAU_X: '1' }), 'Tasks[0].Engine.Params.EnvironmentVariables.BACALHAU_X'],
  ['docker without Image', (s) => (task(s).Engine = { Type: 'docker', Params: {} }), 'Tasks[0].Engine.Params.Image'],
  ['docker with relative WorkingDirectory', (s) => (task(s).Engine = { Type: 'docker', Params: { Image: 'x', WorkingDirectory: 'tmp' } }), 'Tasks[0].Engine.Params.WorkingDirectory'],
  ['reserved name in docker EnvironmentVariables', (s) => (task(s).Engine = { Type: 'docker', Params: { Image: 'x', EnvironmentVariables: ['A=1', 'bacalhau_job_id=2'] } }), 'Tasks[0].Engine.Params.EnvironmentVariables[1]'],
  ['input without Target', (s) => ((task(s).InputSources[1].Target = ''), delete task(s).Engine.Params.ImportModules), 'Tasks[0].InputSources[1].Target'],
  ['input Target climbing out with ..', (s) => ((task(s).InputSources[1].Target = '/inputs/../../etc'), delete task(s).Engine.Params.ImportModules), 'Tasks[0].InputSources[1].Target'],
  ['relative input Target climbing out with ..', (s) => ((task(s).InputSources[1].Target = '../lib'), delete task(s).Engine.Params.ImportModules), 'Tasks[0].InputSources[1].Target'],
  ['duplicate input Target', (s) => task(s).InputSources.push({ ...structuredClone(task(s).InputSources[1]), Alias: '' }), 'Tasks[0].InputSources[2].Target'],
  ['duplicate input Target, once relative', (s) => task(s).InputSources.push({ ...structuredClone(task(s).InputSources[1]), Alias: '', Target: 'inputs/lib/' }), 'Tasks[0].InputSources[2].Target'],
  ['wasm EntryModule climbing out with ..', (s) => (task(s).Engine.Params.EntryModule = '/inputs/a/../../etc/a.wasm'), 'Tasks[0].Engine.Params.EntryModule'],
  ['wasm ImportModules entry climbing out with ..', (s) => (task(s).Engine.Params.ImportModules = ['/inputs/lib/../../lib.wasm']), 'Tasks[0].Engine.Params.ImportModules[0]'],
  ['duplicate input Alias', (s) => task(s).InputSources.push({ ...structuredClone(task(s).InputSources[1]), Target: '/other' }), 'Tasks[0].InputSources[2].Alias'],
  ['result path without Name', (s) => (task(s).ResultPaths[0].Name = ''), 'Tasks[0].ResultPaths[0].Name'],
  ['duplicate result Name', (s) => task(s).ResultPaths.push({ Name: 'outputs', Path: '/other' }), 'Tasks[0].ResultPaths[1].Name'],
  ['relative result Path', (s) => (task(s).ResultPaths[0].Path = 'outputs'), 'Tasks[0].ResultPaths[0].Path'],
  ['result Path climbing out with ..', (s) => (task(s).ResultPaths[0].Path = '/outputs/../..'), 'Tasks[0].ResultPaths[0].Path'],
  ['result Name climbing out with ..', (s) => (task(s).ResultPaths[0].Name = '../outputs'), 'Tasks[0].ResultPaths[0].Name'],
  ['wasm result Name where an input is mounted', (s) => (task(s).ResultPaths[0].Name = 'inputs/a'), 'Tasks[0].ResultPaths[0].Name'],
  ['reserved env name', (s) => (task(s).Env = { BACALHAU_JOB_ID: 'x' }), 'Tasks[0].Env.BACALHAU_JOB_ID'],
  ['lower-case env name', (s) => (task(s).Env = { greeting: 'x' }), 'Tasks[0].Env.greeting'],
  ['env name starting with a digit', (s) => (task(s).Env = { '1ST': 'x' }), 'Tasks[0].Env["1ST"]'],
  ['empty env value', (s) => (task(s).Env = { EMPTY: '' }), 'Tasks[0].Env.EMPTY'],
  ['reserved Meta key', (s) => (s.Meta['bacalhau.org/mine'] = 'x'), 'Meta["bacalhau.org/mine"]'],
  ['bad CPU quantity', (s) => (task(s).Resources.CPU = 'two'), 'Tasks[0].Resources.CPU'],
  ['bad Memory quantity', (s) => (task(s).Resources.Memory = '1e3'), 'Tasks[0].Resources.Memory'],
  ['bad Disk quantity', (s) => (task(s).Resources.Disk = 'big'), 'Tasks[0].Resources.Disk'],
  ['fractional GPU', (s) => (task(s).Resources.GPU = '0.5'), 'Tasks[0].Resources.GPU'],
  ['negative CPU', (s) => (task(s).Resources.CPU = '-500m'), 'Tasks[0].Resources.CPU'],
  ['negative ExecutionTimeout', (s) => (task(s).Timeouts.ExecutionTimeout = -1), 'Tasks[0].Timeouts.ExecutionTimeout'],
  ['negative QueueTimeout', (s) => (task(s).Timeouts.QueueTimeout = -1), 'Tasks[0].Timeouts.QueueTimeout'],
  ['TotalTimeout below execution + queue', (s) => (task(s).Timeouts.TotalTimeout = 30), 'Tasks[0].Timeouts.TotalTimeout'],
  ['unknown network type', (s) => (task(s).Network = { Type: 'Mesh' }), 'Tasks[0].Network.Type'],
  ['Domains with network None', (s) => (task(s).Network.Type = 'None'), 'Tasks[0].Network.Domains'],
  ['invalid domain', (s) => (task(s).Network.Domains = ['not a domain']), 'Tasks[0].Network.Domains[0]'],
  ['ports on an HTTP network', (s) => (task(s).Network.Ports = [{ Name: 'WEB' }]), 'Tasks[0].Network.Ports'],
  ['privileged static port', (s) => (task(s).Network = { Type: 'Host', Ports: [{ Name: 'WEB', Static: 80 }] }), 'Tasks[0].Network.Ports[0].Static'],
  ['job ID with a space', (s) => ((s.Type = 'service'), (s.ID = 'my job')), 'ID'],
  ['Count above 100000', (s) => (s.Count = 100_001), 'Count'],
  ['job ID of 256 characters', (s) => ((s.Type = 'service'), (s.ID = 'j'.repeat(256))), 'ID'],
  ['job Name of 256 characters', (s) => (s.Name = 'n'.repeat(256)), 'Name'],
  ['Namespace of 256 characters', (s) => (s.Namespace = 'n'.repeat(256)), 'Namespace'],
  ['task Name of 256 characters', (s) => (task(s).Name = 't'.repeat(256)), 'Tasks[0].Name'],
  ['label key of 318 characters', (s) => (s.Labels = { ['k'.repeat(318)]: 'v' }), 'Labels'],
  ['constraint key of 318 characters', (s) => (s.Constraints[0].Key = 'k'.repeat(318)), 'Constraints[0].Key'],
]

describe('validateJob', () => {
  it('accepts the base spec', () => {
    expect(() => jobSpecFromValue(validSpec())).not.toThrow()
  })

  it(`has at least 25 invalid cases (${cases.length})`, () => {
    expect(cases.length).toBeGreaterThanOrEqual(25)
  })

  it.each(cases)('%s -> %s', (_name, breakIt, path) => {
    const spec = validSpec()
    breakIt(spec)
    const issues = validateJob(normalizeJob(JobSchema.parse(spec)))
    expect(issues.map((issue) => issue.path)).toEqual([path])
    expect(issues[0].message.length).toBeGreaterThan(10)
  })

  it('accepts an engine type it does not know, as Bacalhau does: the nodes decide (scheduling fails it, naming what they offer)', () => {
    const spec = validSpec()
    task(spec).Engine = { Type: 'vroomvroom', Params: { Anything: 1 } }
    expect(validateJob(normalizeJob(JobSchema.parse(spec)))).toEqual([])
    task(spec).Engine = { Type: '  ' }
    expect(validateJob(normalizeJob(JobSchema.parse(spec))).map((issue) => issue.path)).toEqual(['Tasks[0].Engine.Type'])
  })

  it('runs the first of several tasks and warns about the rest, as Bacalhau does', () => {
    const spec = validSpec()
    spec.Tasks.push({ ...structuredClone(task(spec)), Name: 'second' })
    const { job, warnings } = jobSpecFromValue(spec)
    expect(job.Tasks.map((t) => t.Name)).toEqual(['main'])
    expect(warnings).toContain('Tasks: only one task per job is supported; running the first (main) and ignoring second')
  })

  it('knows every upstream publisher and input source name, so such a job is accepted (and queued until a node offers it)', () => {
    const spec = validSpec()
    task(spec).Publisher = { Type: 's3managed' }
    task(spec).InputSources[1].Source = { Type: 's3PreSigned', Params: { PreSignedURL: 'https://example.com/x?sig=1' } }
    task(spec).InputSources.push({ Target: '/nothing', Source: { Type: 'noop' } })
    expect(validateJob(jobSpecFromValue(spec, { validate: false }).job)).toEqual([])
  })

  it('collects every issue, not just the first', () => {
    const spec = validSpec()
    spec.Type = 'cron'
    task(spec).Engine.Params.EntryModule = '/x'
    task(spec).ResultPaths[0].Path = 'rel'
    const issues = validateJob(normalizeJob(jobSpecFromValue(spec, { validate: false }).job))
    expect(issues.map((issue) => issue.path)).toEqual(['Type', 'Tasks[0].Engine.Params.EntryModule', 'Tasks[0].ResultPaths[0].Path'])
  })

  it('says which Targets exist when EntryModule matches none', () => {
    const spec = validSpec()
    task(spec).Engine.Params.EntryModule = '/elsewhere/a.wasm'
    const [issue] = validateJob(jobSpecFromValue(spec, { validate: false }).job)
    expect(issue.message).toBe('must be the Target of one of Tasks[0].InputSources, or a path inside one (have: /inputs/a, /inputs/lib)')
  })

  it('accepts an EntryModule inside an input directory or without the leading slash (Bacalhau mount semantics)', () => {
    for (const entry of ['/inputs/lib/main.wasm', 'inputs/a']) {
      const spec = validSpec()
      task(spec).Engine.Params.EntryModule = entry
      expect(validateJob(jobSpecFromValue(spec, { validate: false }).job)).toEqual([])
    }
  })

  it("accepts the job upstream's `bacalhau wasm run main.wasm` builds: relative Target main.wasm, EntryModule main.wasm", () => {
    // cmd/cli/wasm/wasm_run.go: parseWasmModule(ctx, "main.wasm" (the file), "main.wasm" (default target));
    // import modules given as lib.wasm:lib.wasm keep their relative targets too.
    const spec = validSpec()
    task(spec).InputSources = [
      { Target: 'main.wasm', Source: { Type: 'inline', Params: { URL: 'data:application/gzip;base64,H4sIAAAAAAAA/w==' } } },
      { Target: 'lib.wasm', Source: { Type: 'inline', Params: { URL: 'data:application/wasm;base64,AGFzbQEAAAA=' } } },
    ]
    task(spec).Engine.Params = { EntryModule: 'main.wasm', Entrypoint: '_start', Parameters: [], ImportModules: ['lib.wasm'] }
    const { job } = jobSpecFromValue(spec)
    // The spec stays as submitted: the relative paths are resolved against / only where they are mounted.
    expect(job.Tasks[0].InputSources.map((input) => input.Target)).toEqual(['main.wasm', 'lib.wasm'])
    expect(job.Tasks[0].Engine.Params.EntryModule).toBe('main.wasm')
  })

  it('says why a Target with ".." is refused, and which input a relative duplicate collides with', () => {
    const spec = validSpec()
    task(spec).InputSources[1].Target = '/inputs/../../etc'
    task(spec).InputSources.push({ Target: 'inputs/a', Source: { Type: 'inline', Params: { URL: 'data:,x' } } })
    delete task(spec).Engine.Params.ImportModules
    const issues = validateJob(normalizeJob(JobSchema.parse(spec)))
    expect(issues).toEqual([
      { path: 'Tasks[0].InputSources[1].Target', message: 'must not contain ".." (have: /inputs/../../etc); write the path without it' },
      { path: 'Tasks[0].InputSources[2].Target', message: 'duplicate target inputs/a: already used by Tasks[0].InputSources[0] (/inputs/a; both are /inputs/a)' },
    ])
  })

  it('assertValidJob throws a ValidationError carrying all issues', () => {
    const spec = validSpec()
    spec.Count = -2
    task(spec).Name = ''
    const { job } = jobSpecFromValue(spec, { validate: false })
    try {
      assertValidJob(job)
      expect.unreachable()
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError)
      expect((error as ValidationError).issues.map((issue) => issue.path)).toEqual(['Count', 'Tasks[0].Name'])
      expect((error as ValidationError).message).toContain('Count: must be a whole number >= 0 (have: -2)')
    }
  })

  it('a reserved Meta key is an issue for validateJob but only a warning when parsing a submission', () => {
    const spec = validSpec()
    spec.Meta['bacalhau.org/requester.id'] = 'n-1'
    expect(validateJob(normalizeJob(JobSchema.parse(spec))).map((issue) => issue.path)).toEqual(['Meta["bacalhau.org/requester.id"]'])
    expect(jobSpecFromValue(spec).warnings).toHaveLength(1)
  })

  it('bounds Count at 100000 with the limit in the message, and accepts exactly that many', () => {
    const spec = validSpec()
    spec.Count = 1e9
    expect(() => jobSpecFromValue(spec)).toThrow(/Count: must be at most 100000 \(have: 1000000000\)/)
    spec.Count = 100_000
    expect(jobSpecFromValue(spec).job.Count).toBe(100_000)
  })

  it('names an over-long name by its length instead of echoing megabytes back', () => {
    const spec = validSpec()
    spec.Name = 'x'.repeat(1 << 20)
    spec.Labels = { ['k'.repeat(1 << 20)]: 'v', ok: 'fine' }
    const issues = validateJob(jobSpecFromValue(spec, { validate: false }).job)
    expect(issues).toEqual([
      { path: 'Name', message: 'must be at most 255 characters (has 1048576 characters)' },
      { path: 'Labels', message: 'a key must be at most 317 characters (one has 1048576 characters)' },
    ])
  })

  it('refuses Params nested deeper than 64 levels before any recursive step overflows the stack', () => {
    const spec = validSpec()
    let deep: Record<string, unknown> = {}
    task(spec).Engine.Params.Deep = deep
    for (let level = 0; level < 2000; level++) deep = deep.a = {}
    const error = (() => {
      try {
        jobSpecFromValue(spec)
      } catch (caught) {
        return caught
      }
    })()
    expect(error).toBeInstanceOf(ValidationError)
    expect((error as ValidationError).issues).toEqual([
      { path: 'Tasks[0].Engine.Params.Deep.a', message: 'nested more than 64 levels deep (objects and lists): flatten it' },
    ])
    // A list nested as deep counts the same, and a shallow structure inside Params is fine.
    task(spec).Engine.Params.Deep = JSON.parse('['.repeat(100) + ']'.repeat(100))
    expect(() => jobSpecFromValue(spec)).toThrow(/Tasks\[0\]\.Engine\.Params\.Deep\[0\]: nested more than 64 levels deep/)
    task(spec).Engine.Params.Deep = { a: { b: [{ c: [1, 2] }] } }
    expect(() => jobSpecFromValue(spec)).not.toThrow()
  })

  it('parseJobSpec validates by default', () => {
    const spec = validSpec()
    spec.Type = 'cron'
    expect(() => jobSpecFromValue(spec)).toThrow(/Type: unknown job type "cron"/)
  })
})

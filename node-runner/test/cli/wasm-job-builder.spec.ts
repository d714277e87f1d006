import { describe, expect, it } from 'vitest'
import { jobSpecFromValue, ValidationError } from '@shoal/models'
import { buildWasmJob, type WasmRunFlags } from '../../src/cli/wasm-job-builder.ts'
import { parseConstraints, parseInputSpec, parsePublisherSpec } from '../../src/cli/storage-spec.ts'

const MODULE = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0])
const files: Record<string, Uint8Array> = { 'main.wasm': MODULE, './lib/helper.wasm': MODULE }
const readFile = async (path: string) => files[path]

async function build(flags: Partial<WasmRunFlags> & { module: string }) {
  const built = await buildWasmJob({ args: [], ...flags }, readFile)
  return jobSpecFromValue(built).job
}

describe('wasm run job construction', () => {
  it('sends a local module inline, mounted at /app/<name>, as the entry module', async () => {
    const job = await build({ module: 'main.wasm', args: ['--n', '3'] })
    const task = job.Tasks[0]
    expect(task.Engine).toEqual({ Type: 'wasm', Params: { EntryModule: '/app/main.wasm', Entrypoint: '_start', Parameters: ['--n', '3'], ImportModules: [] } })
    expect(task.InputSources).toEqual([{ Source: { Type: 'inline', Params: { URL: 'data:application/octet-stream;base64,AGFzbQEAAAA=' } }, Alias: 'main.wasm', Target: '/app/main.wasm' }])
    expect(task.Publisher.Type).toBe('local')
    expect(job.Type).toBe('batch')
    expect(job.Count).toBe(1)
  })

  it('honours path:/target for the module, and URLs become urlDownload/ipfs inputs', async () => {
    expect((await build({ module: 'main.wasm:/code/m.wasm' })).Tasks[0].Engine.Params.EntryModule).toBe('/code/m.wasm')
    const fromUrl = await build({ module: 'https://example.com/bin/tool.wasm' })
    expect(fromUrl.Tasks[0].InputSources[0]).toMatchObject({ Source: { Type: 'urlDownload', Params: { URL: 'https://example.com/bin/tool.wasm' } }, Target: '/app/tool.wasm' })
    expect(fromUrl.Tasks[0].Engine.Params.EntryModule).toBe('/app/tool.wasm')
    const fromIpfs = await build({ module: 'ipfs://QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG:/app/main.wasm' })
    expect(fromIpfs.Tasks[0].InputSources[0].Source).toEqual({ Type: 'ipfs', Params: { CID: 'QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG' } })
  })

  it('maps every flag onto the job as Bacalhau does', async () => {
    const job = await build({
      module: 'main.wasm',
      inputs: ['src=s3://bucket/data/,dst=/data,opt=region=eu-west-1', 'file:///srv/shared:/shared', 'https://example.com/a.csv'],
      outputs: ['out:/outputs'],
      publisher: 'ipfs',
      env: ['A=1', 'B=two'],
      memory: '64Mb',
      cpu: '500m',
      timeout: 30,
      entryPoint: 'run',
      importModules: ['./lib/helper.wasm:/app/helper.wasm'],
      count: 2,
      constraints: 'region=eu,arch!=arm',
      labels: ['team=a', 'demo'],
      name: 'my-job',
      deterministic: true,
    })
    const task = job.Tasks[0]
    expect(task.InputSources.map((i) => [i.Source.Type, i.Target])).toEqual([
      ['s3', '/data'],
      ['local', '/shared'],
      ['urlDownload', '/inputs'],
      ['inline', '/app/main.wasm'],
      ['inline', '/app/helper.wasm'],
    ])
    expect(task.InputSources[0].Source.Params).toEqual({ Bucket: 'bucket', Key: 'data/', Region: 'eu-west-1' })
    expect(task.InputSources[1].Source.Params).toEqual({ SourcePath: '/srv/shared', ReadWrite: false })
    expect(task.ResultPaths).toEqual([{ Name: 'out', Path: '/outputs' }])
    expect(task.Publisher.Type).toBe('ipfs')
    expect(task.Env).toEqual({ A: '1', B: 'two' })
    expect(task.Resources).toEqual({ CPU: '500m', Memory: '64mb' })
    expect(task.Timeouts.TotalTimeout).toBe(30)
    expect(task.Engine.Params).toMatchObject({ Entrypoint: 'run', ImportModules: ['/app/helper.wasm'], Deterministic: true })
    expect(job.Count).toBe(2)
    expect(job.Name).toBe('my-job')
    expect(job.Labels).toEqual({ team: 'a', demo: '' })
    expect(job.Constraints).toEqual([
      { Key: 'region', Operator: '=', Values: ['eu'] },
      { Key: 'arch', Operator: '!=', Values: ['arm'] },
    ])
  })

  it("takes upstream's path:target with a relative target, as `bacalhau wasm run main.wasm -I lib.wasm:lib.wasm` does", async () => {
    const job = await build({ module: 'main.wasm:main.wasm', importModules: ['./lib/helper.wasm:lib.wasm'] })
    expect(job.Tasks[0].InputSources.map((i) => i.Target)).toEqual(['main.wasm', 'lib.wasm'])
    expect(job.Tasks[0].Engine.Params).toMatchObject({ EntryModule: 'main.wasm', ImportModules: ['lib.wasm'] })
    const error = await buildWasmJob({ module: 'main.wasm:../main.wasm', args: [] }, readFile).catch((e: unknown) => e)
    expect((error as ValidationError).issues[0]).toEqual({ path: 'MODULE', message: '"main.wasm:../main.wasm": the target must be a path without ".." (have: "../main.wasm")' })
  })

  it('--target all makes an ops job', async () => {
    expect((await build({ module: 'main.wasm', target: 'all' })).Type).toBe('ops')
  })

  it('an entry module that is neither a file, a URI nor an input target is a clear error', async () => {
    const error = await buildWasmJob({ module: 'nope.wasm', args: [] }, readFile).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ValidationError)
    expect((error as ValidationError).issues[0].message).toContain('cannot read nope.wasm: no such file')
    const viaInput = await build({ module: '/inputs/main.wasm', inputs: ['ipfs://QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG:/inputs/main.wasm'] })
    expect(viaInput.Tasks[0].Engine.Params.EntryModule).toBe('/inputs/main.wasm')
  })

  it('an import module needs the path it is mounted at: a file or URI without one is refused, as Bacalhau does', async () => {
    for (const spec of ['./lib/helper.wasm', 'https://example.com/lib.wasm']) {
      const error = await buildWasmJob({ module: 'main.wasm', args: [], importModules: [spec] }, readFile).catch((e: unknown) => e)
      expect(error, spec).toBeInstanceOf(ValidationError)
      expect((error as ValidationError).issues[0]).toEqual({ path: '--import-modules', message: `"${spec}" has no target path, so the entry module could not find it when linking` })
      expect((error as ValidationError).hint).toContain(`-I ${spec}:/`)
    }
    const withTarget = await build({ module: 'main.wasm', importModules: ['./lib/helper.wasm:/helper.wasm', 'https://example.com/lib.wasm:/lib.wasm'] })
    expect(withTarget.Tasks[0].Engine.Params.ImportModules).toEqual(['/helper.wasm', '/lib.wasm'])
    expect(withTarget.Tasks[0].InputSources.map((i) => i.Target)).toEqual(['/app/main.wasm', '/helper.wasm', '/lib.wasm'])
    const mounted = await build({ module: 'main.wasm', inputs: ['ipfs://QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG:/lib.wasm'], importModules: ['/lib.wasm'] })
    expect(mounted.Tasks[0].Engine.Params.ImportModules).toEqual(['/lib.wasm'])
  })

  it('--gpu and --task-name set the task resources and name', async () => {
    const job = await build({ module: 'main.wasm', gpu: '2', taskName: 'render' })
    expect(job.Tasks[0]).toMatchObject({ Name: 'render', Resources: { GPU: '2' } })
    expect((await build({ module: 'main.wasm' })).Tasks[0].Name).toBe('main')
  })
})

describe('storage, publisher and selector flags', () => {
  it('parses --input in both Bacalhau spellings', () => {
    expect(parseInputSpec('ipfs://QmCID')).toEqual({ Source: { Type: 'ipfs', Params: { CID: 'QmCID' } }, Alias: 'ipfs://QmCID', Target: '/inputs' })
    expect(parseInputSpec('http://host:8080/f.txt:/in/f.txt').Target).toBe('/in/f.txt')
    expect(parseInputSpec('http://host:8080/f.txt:/in/f.txt').Source.Params.URL).toBe('http://host:8080/f.txt')
    expect(parseInputSpec('src=file://host/srv/data,dst=/data,opt=rw=true').Source).toEqual({ Type: 'local', Params: { SourcePath: '/host/srv/data', ReadWrite: true } })
    expect(() => parseInputSpec('ftp://x/y')).toThrow(/unsupported storage scheme "ftp:\/\/"/)
    // A relative target is mounted relative to /, as Bacalhau does; ".." and an empty target are refused.
    expect(parseInputSpec('ipfs://Qm,dst=relative').Target).toBe('relative')
    expect(parseInputSpec('https://example.com/data.csv:data.csv')).toMatchObject({ Source: { Params: { URL: 'https://example.com/data.csv' } }, Target: 'data.csv' })
    expect(parseInputSpec('http://host:8080/f.txt')).toMatchObject({ Source: { Params: { URL: 'http://host:8080/f.txt' } }, Target: '/inputs' })
    expect(() => parseInputSpec('ipfs://Qm,dst=/inputs/../etc')).toThrow('target "/inputs/../etc" must not contain ".."')
    expect(() => parseInputSpec('ipfs://Qm,dst=')).toThrow(/has an empty target/)
  })

  it('parses --publisher values and refuses unknown ones', () => {
    expect(parsePublisherSpec('local')).toEqual({ Type: 'local', Params: {} })
    expect(parsePublisherSpec('s3://results/jobs/{jobID},opt=region=eu')).toEqual({ Type: 's3', Params: { Bucket: 'results', Key: 'jobs/{jobID}', Region: 'eu' } })
    expect(() => parsePublisherSpec('dropbox')).toThrow(/unknown publisher "dropbox"/)
  })

  it('parses --constraints selectors', () => {
    expect(parseConstraints('zone in (a, b),gpu,!spot,mem>4')).toEqual([
      { Key: 'zone', Operator: 'in', Values: ['a', 'b'] },
      { Key: 'gpu', Operator: 'exists', Values: [] },
      { Key: 'spot', Operator: '!', Values: [] },
      { Key: 'mem', Operator: 'gt', Values: ['4'] },
    ])
  })
})

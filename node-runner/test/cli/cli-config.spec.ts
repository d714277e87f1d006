import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { parse as parseYaml } from 'yaml'
import { CONFIG_KEYS, resolveConfig } from '../../src/cli/cli-config.ts'
import { runCli } from '../../src/cli/program.ts'
import { memoryIo } from './cli-harness.ts'

const resolve = (init: { file?: Record<string, string>; env?: Record<string, string>; flags?: Record<string, string> }) =>
  resolveConfig({ file: init.file ?? {}, env: init.env ?? {}, flags: init.flags ?? {}, path: '/x/config.yaml' })

describe('configuration precedence: flag > env > file > default', () => {
  it('defaults to http://127.0.0.1:1234', () => {
    expect(resolve({}).apiUrl).toEqual({ value: 'http://127.0.0.1:1234', source: 'default' })
  })

  it('takes host/port from the file, the env over the file, a flag over the env', () => {
    const file = { 'api.host': 'file-host', 'api.port': '1111' }
    expect(resolve({ file }).apiUrl).toEqual({ value: 'http://file-host:1111', source: 'file' })
    const env = { BACALHAU_API_HOST: 'env-host' }
    expect(resolve({ file, env }).apiUrl.value).toBe('http://env-host:1111')
    expect(resolve({ file, env, flags: { 'api.port': '3333' } }).apiUrl).toEqual({ value: 'http://env-host:3333', source: 'flag' })
  })

  it('a URL wins over host/port from the same or a lower source, not a higher one', () => {
    expect(resolve({ env: { SHOAL_API_URL: 'https://shoal.example.com/' }, file: { 'api.host': 'h' } }).apiUrl.value).toBe('https://shoal.example.com')
    expect(resolve({ file: { 'api.url': 'http://from-file:1' }, env: { BACALHAU_API_PORT: '2222' } }).apiUrl.value).toBe('http://127.0.0.1:2222')
    expect(resolve({ env: { SHOAL_API_URL: 'http://e:1' }, flags: { 'api.url': 'http://f:2' } }).apiUrl).toEqual({ value: 'http://f:2', source: 'flag' })
  })

  it('refuses a bad port with where it came from', () => {
    expect(() => resolve({ env: { BACALHAU_API_PORT: 'http' } })).toThrow(/api\.port \(from env BACALHAU_API_PORT\): must be a port number/)
    expect(() => resolve({ file: { 'api.port': '0' } })).toThrow('api.port (from file /x/config.yaml): must be a port number between 1 and 65535')
  })

  it('checks only the client keys by default, so a bad server setting cannot break client commands', () => {
    expect(resolve({ env: { SHOAL_PORT: 'abc' } }).values['serve.port']).toEqual({ value: 'abc', source: 'env', origin: 'SHOAL_PORT' })
    expect(() => resolveConfig({ file: {}, env: { SHOAL_PORT: 'abc' }, flags: {}, path: '/x/config.yaml', validate: ['serve.port'] })).toThrow(
      'serve.port (from env SHOAL_PORT): must be a port number between 1 and 65535, or 0 for any free port',
    )
  })

  it('defaults the data dir to data/ next to the config file', () => {
    expect(resolve({}).values['serve.data-dir']).toEqual({ value: '/x/data', source: 'default' })
  })
})

describe('shoal config set / list', () => {
  const dirs: string[] = []
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true })
  })

  it('writes $SHOAL_DIR/config.yaml and lists each value with its source', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'shoal-config-'))
    dirs.push(dir)
    const env = { SHOAL_DIR: dir, BACALHAU_API_PORT: '4444' }
    const set = memoryIo({ env })
    expect(await runCli(['config', 'set', 'API.Host', '10.1.2.3'], { io: set })).toBe(0)
    expect(await readFile(join(dir, 'config.yaml'), 'utf8')).toBe('api:\n  host: 10.1.2.3\n')
    expect(await runCli(['config', 'set', 'api.token', 'secret'], { io: memoryIo({ env }) })).toBe(0)

    const list = memoryIo({ env })
    // The plug-in rows' checks are replaced here (what dockerd and AWS say differs by machine);
    // the real checks are exercised by the next test.
    const checkPlugins = async () => [
      { kind: 'engine' as const, type: 'wasm', on: true },
      { kind: 'engine' as const, type: 'docker', on: false, reason: 'dockerd does not answer at /var/run/docker.sock: connect ENOENT' },
    ]
    expect(await runCli(['config', 'list', '--output', 'csv'], { io: list, checkPlugins })).toBe(0)
    expect(list.stdout.text).toBe(
      [
        'KEY,VALUE,SOURCE',
        'api.host,10.1.2.3,file',
        'api.port,4444,env',
        'api.url,,',
        'api.token,********,file',
        'serve.host,127.0.0.1,default',
        'serve.port,1234,default',
        'serve.peer-port,,',
        `serve.data-dir,${join(dir, 'data')},default`,
        'serve.join-token,,',
        'serve.manual-approval,false,default',
        'serve.default-queue-timeout,0,default',
        'serve.verification-required-labels,,',
        'serve.api-tokens,,',
        'serve.default-execution-timeout,10m,default',
        'serve.api-tokens-file,,',
        'serve.insecure,false,default',
        'serve.tls-cert,,',
        'serve.tls-key,,',
        'serve.compute-transports,"libp2p,websocket",default',
        'compute.requester,,',
        'compute.labels,,',
        'compute.allow-listed-local-paths,,',
        'compute.capacity-cpu,,',
        'compute.capacity-memory,,',
        'compute.disk-budget,,',
        'compute.allow-url-hosts,,',
        'compute.publisher-url,,',
        'compute.docker,auto,default',
        'compute.docker-pull,if-missing,default',
        'compute.docker-user,,',
        'compute.disabled-engines,,',
        'compute.disabled-input-sources,,',
        'compute.disabled-publishers,,',
        'compute.allow-networks,,',
        'ipfs.peers,,',
        'ipfs.public,false,default',
        'ipfs.read-timeout,5m,default',
        'ipfs.pin-timeout,10m,default',
        'ipfs.pin-max-size,10Gi,default',
        'devstack.computes,3,default',
        'devstack.browsers,0,default',
        'devstack.data-dir,,',
        '(requester),http://10.1.2.3:4444,env',
        `(file),${join(dir, 'config.yaml')},`,
        '(engine wasm),on,',
        '(engine docker),off — dockerd does not answer at /var/run/docker.sock: connect ENOENT,',
        '',
      ].join('\n'),
    )
    const withFlag = memoryIo({ env })
    await runCli(['--api-url', 'http://flag:9', 'config', 'list', '--output', 'json'], { io: withFlag, checkPlugins })
    expect(JSON.parse(withFlag.stdout.text)).toContainEqual({ Key: '(requester)', Value: 'http://flag:9', Source: 'flag', Description: 'The API URL in use' })
  })

  it('refuses unknown keys and bad values, exit 1', async () => {
    const io = memoryIo({ env: { SHOAL_DIR: '/nonexistent/dir' } })
    expect(await runCli(['config', 'set', 'api.colour', 'blue'], { io })).toBe(1)
    expect(io.stderr.text).toContain('api.colour: unknown configuration key; known keys: api.host, api.port, api.url, api.token, serve.host, serve.port')
    const port = memoryIo({ env: { SHOAL_DIR: '/nonexistent/dir' } })
    expect(await runCli(['config', 'set', 'api.port', 'abc'], { io: port })).toBe(1)
    expect(port.stderr.text).toContain('api.port: must be a port number')
  })
})

describe('shoal config set / list for the server keys', () => {
  const dirs: string[] = []
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true })
  })
  const fresh = async (): Promise<string> => {
    const dir = await mkdtemp(join(tmpdir(), 'shoal-config-'))
    dirs.push(dir)
    return dir
  }
  const run = async (args: string[], env: Record<string, string>) => {
    const io = memoryIo({ env })
    const code = await runCli(args, { io })
    return { code, stdout: io.stdout.text, stderr: io.stderr.text }
  }

  it('writes typed YAML, accepts yes/no and Bacalhau spellings, and lists the values back with their origin', async () => {
    const dir = await fresh()
    const env = { SHOAL_DIR: dir }
    for (const [key, value] of [
      ['serve.port', '8080'],
      ['Serve.Manual_Approval', 'yes'],
      ['compute.labels', 'region=eu,gpu=no'],
      ['Compute.AllowListedLocalPaths', '/data:rw,/ref'],
      ['Orchestrator.Auth.Token', 's3cr3t'],
      ['devstack.computes', '2'],
    ]) {
      expect(await run(['config', 'set', key, value], env)).toMatchObject({ code: 0 })
    }
    expect(await readFile(join(dir, 'config.yaml'), 'utf8')).toBe(
      [
        'compute:',
        '  allow-listed-local-paths: /data:rw,/ref',
        '  labels: region=eu,gpu=no',
        'devstack:',
        '  computes: 2',
        'serve:',
        '  join-token: s3cr3t',
        '  manual-approval: true',
        '  port: 8080',
        '',
      ].join('\n'),
    )

    const listed = await run(['config', 'list', '--output', 'yaml'], { ...env, SHOAL_HOST: '0.0.0.0' })
    expect(listed.code).toBe(0)
    const rows = parseYaml(listed.stdout) as { Key: string; Value: string; Source: string; Origin?: string }[]
    const row = (key: string) => {
      const found = rows.find((r) => r.Key === key)
      return found && { Value: found.Value, Source: found.Source, Origin: found.Origin }
    }
    const file = join(dir, 'config.yaml')
    expect(row('serve.port')).toEqual({ Value: '8080', Source: 'file', Origin: file })
    expect(row('serve.manual-approval')).toEqual({ Value: 'true', Source: 'file', Origin: file })
    expect(row('serve.join-token')).toEqual({ Value: '********', Source: 'file', Origin: file })
    expect(row('serve.host')).toEqual({ Value: '0.0.0.0', Source: 'env', Origin: 'SHOAL_HOST' })
    expect(row('compute.labels')).toEqual({ Value: 'region=eu,gpu=no', Source: 'file', Origin: file })
    expect(row('compute.allow-listed-local-paths')).toEqual({ Value: '/data:rw,/ref', Source: 'file', Origin: file })
    expect(row('devstack.computes')).toEqual({ Value: '2', Source: 'file', Origin: file })
    expect(listed.stdout).not.toContain('s3cr3t')

    expect(await run(['config', 'set', 'serve.join-token', ''], env)).toMatchObject({ code: 0 })
    expect(await readFile(file, 'utf8')).not.toContain('join-token')
  })

  it('refuses bad server values on set, naming the key', async () => {
    const env = { SHOAL_DIR: await fresh() }
    const cases: [string, string, string][] = [
      ['serve.port', 'abc', 'serve.port: must be a port number between 1 and 65535'],
      ['serve.manual-approval', 'maybe', 'serve.manual-approval: must be true or false (1/0 and yes/no also work)'],
      ['compute.labels', 'region=e u', 'compute.labels: label value "e u" of "region"'],
      ['compute.allow-listed-local-paths', 'data:rw', 'compute.allow-listed-local-paths: "data:rw" must be an absolute path'],
      ['compute.capacity-cpu', 'lots', 'compute.capacity-cpu: must be a CPU quantity above zero'],
      ['compute.requester', 'ftp://10.0.0.5:1235', 'compute.requester: must be the requester API URL (http://10.0.0.5:1234), its compute WebSocket'],
      ['serve.compute-transports', 'libp2p,quic', 'serve.compute-transports: quic: not a compute transport (libp2p, websocket)'],
      ['devstack.computes', '-1', 'devstack.computes: must be a whole number'],
    ]
    for (const [key, value, message] of cases) {
      const result = await run(['config', 'set', key, value], env)
      expect(result.code).toBe(1)
      expect(result.stderr).toContain(message)
    }
  })

  it('lists what a compute node with this configuration would offer, each off one with why (the real catalogue)', async () => {
    const dir = await fresh()
    await writeFile(join(dir, 'config.yaml'), 'Engines:\n  Disabled: [docker]\ncompute:\n  disabled-publishers: ipfs\n')
    const result = await run(['config', 'list', '--output', 'json'], { SHOAL_DIR: dir })
    expect(result.code).toBe(0)
    const rows = Object.fromEntries((JSON.parse(result.stdout) as { Key: string; Value: string }[]).map((row) => [row.Key, row.Value]))
    expect(rows['compute.disabled-engines']).toBe('docker')
    expect(rows['(engine wasm)']).toBe('on')
    expect(rows['(engine docker)']).toBe('off — disabled by configuration (compute.disabled-engines)')
    expect(rows['(publisher ipfs)']).toBe('off — disabled by configuration (compute.disabled-publishers)')
    expect(rows['(storage local)']).toBe('off — no allowed paths configured (compute.allow-listed-local-paths)')
    expect(rows['(storage inline)']).toBe('on')
    // Probes only with --check.
    expect(rows['(storage s3)']).toBe('on if available (not checked: AWS credentials (environment, shared profile, instance role))')
    // With an allow-listed path, local is on.
    const withPath = await run(['config', 'list', '--output', 'json'], { SHOAL_DIR: dir, SHOAL_ALLOW_LISTED_LOCAL_PATHS: '/data' })
    expect(JSON.parse(withPath.stdout)).toContainEqual(expect.objectContaining({ Key: '(storage local)', Value: 'on' }))
  })

  it('config list --check looks for what the plug-ins need now: no AWS credentials turns s3 off, saying so', { timeout: 60_000 }, async () => {
    const saved = { ...process.env }
    try {
      for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE']) delete process.env[name]
      Object.assign(process.env, { AWS_SHARED_CREDENTIALS_FILE: '/nonexistent', AWS_CONFIG_FILE: '/nonexistent', AWS_EC2_METADATA_DISABLED: 'true' })
      const dir = await fresh()
      const result = await run(['config', 'list', '--check', '--output', 'json'], { SHOAL_DIR: dir, SHOAL_DOCKER: 'false' })
      expect(result.code).toBe(0)
      const rows = Object.fromEntries((JSON.parse(result.stdout) as { Key: string; Value: string }[]).map((row) => [row.Key, row.Value]))
      expect(rows['(storage s3)']).toMatch(/^off — no AWS credentials/)
      expect(rows['(publisher s3)']).toBe(rows['(storage s3)'])
      expect(rows['(engine docker)']).toBe('off — disabled by configuration (compute.docker is false)')
    } finally {
      process.env = saved
    }
  })

  it('lists an invalid value, then reports every bad one with its source (exit 1)', async () => {
    const dir = await fresh()
    await writeFile(join(dir, 'config.yaml'), 'compute:\n  capacity-memory: plenty\n')
    const result = await run(['config', 'list', '--output', 'csv'], { SHOAL_DIR: dir, SHOAL_PORT: 'abc' })
    expect(result.code).toBe(1)
    expect(result.stdout).toContain('serve.port,abc,env\n')
    expect(result.stdout).toContain('compute.capacity-memory,plenty,file\n')
    expect(result.stderr).toContain('Error: the input has 2 problems:')
    expect(result.stderr).toContain('serve.port (from env SHOAL_PORT): must be a port number between 1 and 65535')
    expect(result.stderr).toContain(`compute.capacity-memory (from file ${join(dir, 'config.yaml')}): must be a memory quantity above zero`)
  })
})

describe('docs/CONFIGURATION.md', () => {
  it('documents every key with its flag and environment variables', async () => {
    const doc = await readFile(new URL('../../../docs/CONFIGURATION.md', import.meta.url), 'utf8')
    const missing = Object.entries(CONFIG_KEYS).flatMap(([key, spec]) =>
      [`\`${key}\``, ...(spec.flag ? [`\`${spec.flag}`] : []), ...spec.env.map((name) => `\`${name}\``)].filter((text) => !doc.includes(text)).map((text) => `${key}: ${text}`),
    )
    expect(missing).toEqual([])
  })
})

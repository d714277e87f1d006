import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { DevstackCommandOptions, ServeCommandOptions } from '../../src/cli/cli-context.ts'
import { runCli } from '../../src/cli/program.ts'
import { memoryIo } from './cli-harness.ts'

const dirs: string[] = []
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true })
})

/** A fresh $SHOAL_DIR holding `yaml` as its config.yaml (none when undefined). */
async function shoalDir(yaml?: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'shoal-serve-config-'))
  dirs.push(dir)
  if (yaml !== undefined) await writeFile(join(dir, 'config.yaml'), yaml)
  return dir
}

/** Runs `shoal serve …args` with a recording runServe; returns the exit code, stderr and the options it got. */
async function serve(args: string[], env: Record<string, string>) {
  const seen: ServeCommandOptions[] = []
  const io = memoryIo({ env })
  const code = await runCli(['serve', ...args], { io, runServe: async (options) => seen.push(options) })
  return { code, stderr: io.stderr.text, options: seen[0] }
}

/** Runs `shoal devstack …args` with a recording runDevstack. */
async function devstack(args: string[], env: Record<string, string>) {
  const seen: DevstackCommandOptions[] = []
  const io = memoryIo({ env })
  const code = await runCli(['devstack', ...args], { io, runDevstack: async (options) => seen.push(options) })
  return { code, stderr: io.stderr.text, options: seen[0] }
}

/** `shoal config list --output json` as Key -> { Value, Source }. */
async function listed(env: Record<string, string>, args: string[] = []): Promise<Record<string, { Value: string; Source: string }>> {
  const io = memoryIo({ env })
  expect(await runCli([...args, 'config', 'list', '--output', 'json'], { io })).toBe(0)
  const rows = JSON.parse(io.stdout.text) as { Key: string; Value: string; Source: string }[]
  return Object.fromEntries(rows.map((row) => [row.Key, { Value: row.Value, Source: row.Source }]))
}

describe('shoal serve settings: flag > env > file > default', () => {
  it('takes serve.port from each of the four sources in turn, as config list reports it', async () => {
    const bare = await shoalDir()
    expect((await serve([], { SHOAL_DIR: bare })).options.port).toBe(1234)
    expect((await listed({ SHOAL_DIR: bare }))['serve.port']).toEqual({ Value: '1234', Source: 'default' })

    const dir = await shoalDir('serve:\n  port: 2000\n')
    expect((await serve([], { SHOAL_DIR: dir })).options.port).toBe(2000)
    expect((await listed({ SHOAL_DIR: dir }))['serve.port']).toEqual({ Value: '2000', Source: 'file' })

    const env = { SHOAL_DIR: dir, SHOAL_PORT: '3000' }
    expect((await serve([], env)).options.port).toBe(3000)
    expect((await listed(env))['serve.port']).toEqual({ Value: '3000', Source: 'env' })

    expect((await serve(['--port', '4000'], env)).options.port).toBe(4000)
  })

  it('reads every serve and compute setting from the environment', async () => {
    const dir = await shoalDir()
    const result = await serve([], {
      SHOAL_DIR: dir,
      SHOAL_HOST: '0.0.0.0',
      SHOAL_PORT: '0',
      SHOAL_PEER_PORT: '0',
      SHOAL_DATA_DIR: '/var/lib/shoal',
      SHOAL_JOIN_TOKEN: 'tok',
      SHOAL_MANUAL_APPROVAL: 'YES',
      SHOAL_DEFAULT_QUEUE_TIMEOUT: '30',
      SHOAL_DEFAULT_EXECUTION_TIMEOUT: '90s',
      SHOAL_REQUESTER: '/ip4/10.0.0.5/tcp/1235/ws',
      SHOAL_COMPUTE_LABELS: 'region=eu, gpu=no',
      SHOAL_ALLOW_LISTED_LOCAL_PATHS: '/data:rw, /ref',
      SHOAL_CAPACITY_CPU: '1500m',
      SHOAL_CAPACITY_MEMORY: '4Gb',
      SHOAL_PUBLISHER_URL: 'http://10.0.0.6:6001',
      SHOAL_ALLOW_URL_HOSTS: '127.0.0.1, files.internal,10.0.0.0/8',
      SHOAL_INSECURE: 'yes',
      SHOAL_TLS_CERT: '/etc/shoal/cert.pem',
      SHOAL_TLS_KEY: '/etc/shoal/key.pem',
      SHOAL_IPFS_PEERS: '/ip4/10.0.0.7/tcp/4002/ws/p2p/12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp, /ip4/10.0.0.8/udp/4003/webrtc-direct/p2p/12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp',
      SHOAL_IPFS_PUBLIC: 'true',
      SHOAL_IPFS_READ_TIMEOUT: '30s',
      SHOAL_IPFS_PIN_TIMEOUT: '0',
      SHOAL_IPFS_PIN_MAX_SIZE: '2Gi',
      SHOAL_DOCKER: 'true',
      SHOAL_DOCKER_PULL: 'always',
      SHOAL_DOCKER_USER: 'nobody',
      SHOAL_ALLOW_NETWORKS: 'Host',
      SHOAL_COMPUTE_TRANSPORTS: 'WebSocket, libp2p',
      SHOAL_VERIFICATION_REQUIRED_LABELS: 'runtime=browser',
      SHOAL_DISABLED_ENGINES: 'docker',
      SHOAL_DISABLED_INPUT_SOURCES: 's3, repoclone',
      SHOAL_DISABLED_PUBLISHERS: 'IPFS',
    })
    expect(result.stderr).toBe('')
    const { signal: _signal, ...options } = result.options
    expect(options).toEqual({
      orchestrator: true,
      compute: true,
      host: '0.0.0.0',
      port: 0,
      peerPort: 0,
      computeTransports: ['websocket', 'libp2p'],
      verificationRequiredLabels: { runtime: 'browser' },
      dataDir: '/var/lib/shoal',
      joinToken: 'tok',
      manualApproval: true,
      defaultQueueTimeoutS: 30,
      defaultExecutionTimeoutS: 90,
      requester: '/ip4/10.0.0.5/tcp/1235/ws',
      computeLabels: { region: 'eu', gpu: 'no' },
      allowListedLocalPaths: [
        { path: '/data', readWrite: true },
        { path: '/ref', readWrite: false },
      ],
      capacityCpu: '1500m',
      capacityMemory: '4Gb',
      publisherUrl: 'http://10.0.0.6:6001',
      allowUrlHosts: ['127.0.0.1', 'files.internal', '10.0.0.0/8'],
      insecure: true,
      tlsCert: '/etc/shoal/cert.pem',
      tlsKey: '/etc/shoal/key.pem',
      ipfs: { peers: ['/ip4/10.0.0.7/tcp/4002/ws/p2p/12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp', '/ip4/10.0.0.8/udp/4003/webrtc-direct/p2p/12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp'], public: true, readTimeoutMs: 30_000, pinTimeoutMs: 0, pinMaxBytes: 2 * 1024 ** 3 },
      docker: 'true',
      dockerPull: 'always',
      dockerUser: 'nobody',
      allowNetworks: ['Host'],
      disabledEngines: ['docker'],
      disabledInputSources: ['s3', 'repoclone'],
      disabledPublishers: ['IPFS'],
    })
  })

  it('a flag replaces a list from the env whole; --no-manual-approval beats the env, the env beats the file', async () => {
    const dir = await shoalDir('serve:\n  manual-approval: yes\ncompute:\n  labels:\n    Region: file\n')
    const fromFile = await serve([], { SHOAL_DIR: dir })
    expect(fromFile.options).toMatchObject({ manualApproval: true, computeLabels: { Region: 'file' } })

    const env = { SHOAL_DIR: dir, SHOAL_MANUAL_APPROVAL: '0', SHOAL_COMPUTE_LABELS: 'region=env,tier=a' }
    expect((await serve([], env)).options).toMatchObject({ manualApproval: false, computeLabels: { region: 'env', tier: 'a' } })

    const flagged = await serve(['--manual-approval', '-l', 'region=flag'], env)
    expect(flagged.options.manualApproval).toBe(true)
    expect(flagged.options.computeLabels).toEqual({ region: 'flag' })
    expect((await serve(['--manual-approval=false'], { SHOAL_DIR: dir })).options.manualApproval).toBe(false)
  })

  it('a compute-only node may take its requester from the config file', async () => {
    const dir = await shoalDir('compute:\n  requester: /ip4/10.0.0.5/tcp/1235/ws\n')
    const result = await serve(['--compute'], { SHOAL_DIR: dir })
    expect(result.code).toBe(0)
    expect(result.options).toMatchObject({ orchestrator: false, compute: true, requester: '/ip4/10.0.0.5/tcp/1235/ws' })
  })

  it("reads Bacalhau's spelling of the same settings from the file", async () => {
    const dir = await shoalDir(
      [
        'DataDir: /srv/bacalhau',
        'Labels:',
        '  region: eu',
        'Orchestrator:',
        '  Auth:',
        '    Token: tok',
        '  NodeManager:',
        '    ManualApproval: true',
        'Compute:',
        '  AllowListedLocalPaths:',
        '    - /data:rw',
        '  AllocatedCapacity:',
        '    CPU: "2"',
        '    Memory: 1Gi',
        'Engines:',
        '  Disabled: [docker]',
        'InputSources:',
        '  Disabled:',
        '    - s3',
        '    - repoclone',
        'Publishers:',
        '  Disabled: [ipfs]',
        '',
      ].join('\n'),
    )
    expect((await serve([], { SHOAL_DIR: dir })).options).toMatchObject({
      dataDir: '/srv/bacalhau',
      computeLabels: { region: 'eu' },
      joinToken: 'tok',
      manualApproval: true,
      allowListedLocalPaths: [{ path: '/data', readWrite: true }],
      capacityCpu: '2',
      capacityMemory: '1Gi',
      disabledEngines: ['docker'],
      disabledInputSources: ['s3', 'repoclone'],
      disabledPublishers: ['ipfs'],
    })
  })
})

describe('invalid serve settings are refused before anything starts, naming key and source', () => {
  it('names the environment variable', async () => {
    const result = await serve([], { SHOAL_DIR: await shoalDir(), SHOAL_PORT: 'abc' })
    expect(result.code).toBe(1)
    expect(result.options).toBeUndefined()
    expect(result.stderr).toContain('serve.port (from env SHOAL_PORT): must be a port number between 1 and 65535')
  })

  it('names the config file, and lists every problem at once', async () => {
    const dir = await shoalDir('serve:\n  manual-approval: perhaps\ncompute:\n  capacity-cpu: lots\n  publisher-url: ftp://x\n')
    const file = join(dir, 'config.yaml')
    const result = await serve([], { SHOAL_DIR: dir })
    expect(result.code).toBe(1)
    expect(result.options).toBeUndefined()
    expect(result.stderr).toContain('the input has 3 problems')
    expect(result.stderr).toContain(`serve.manual-approval (from file ${file}): must be true or false`)
    expect(result.stderr).toContain(`compute.capacity-cpu (from file ${file}): must be a CPU quantity above zero`)
    expect(result.stderr).toContain(`compute.publisher-url (from file ${file}): must be an http:// or https:// URL`)
  })

  it('names the flag', async () => {
    const result = await serve(['--peer-port', 'x', '--allow-listed-local-paths', 'relative'], { SHOAL_DIR: await shoalDir() })
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('serve.peer-port (from flag --peer-port): must be a port number')
    expect(result.stderr).toContain('compute.allow-listed-local-paths (from flag --allow-listed-local-paths): "relative" must be an absolute path')
  })

  it('refuses a plug-in type to disable that does not exist, naming the types to use', async () => {
    const result = await serve(['--disabled-engines', 'dokcer'], { SHOAL_DIR: await shoalDir(), SHOAL_DISABLED_PUBLISHERS: 'ipfs,ftp' })
    expect(result.code).toBe(1)
    expect(result.options).toBeUndefined()
    expect(result.stderr).toContain('compute.disabled-engines (from flag --disabled-engines): "dokcer" is not an engine type: use wasm, docker, noop')
    expect(result.stderr).toContain('compute.disabled-publishers (from env SHOAL_DISABLED_PUBLISHERS): "ftp" is not a publisher type: use local, ipfs, s3, s3managed, noop')
  })

  it('a default ExecutionTimeout: Bacalhau\'s key in the file, a bad duration named', async () => {
    const dir = await shoalDir('JobDefaults:\n  Batch:\n    Task:\n      Timeouts:\n        ExecutionTimeout: 30m\n')
    expect((await serve([], { SHOAL_DIR: dir })).options).toMatchObject({ defaultExecutionTimeoutS: 1800 })
    expect((await serve(['--default-execution-timeout', '0'], { SHOAL_DIR: dir })).options).toMatchObject({ defaultExecutionTimeoutS: 0 })
    const bad = await serve(['--default-execution-timeout', 'soon'], { SHOAL_DIR: dir })
    expect(bad.code).toBe(1)
    expect(bad.stderr).toContain('serve.default-execution-timeout (from flag --default-execution-timeout): must be a duration: seconds ("600") or with units ("10m", "1h30m", "90s"); 0 means none')
  })

  it('a fixed flag wins over a bad env value', async () => {
    const result = await serve(['--port', '8080'], { SHOAL_DIR: await shoalDir(), SHOAL_PORT: 'abc' })
    expect(result.code).toBe(0)
    expect(result.options.port).toBe(8080)
  })

  it('a bad server setting does not stop client commands', async () => {
    const urls: string[] = []
    const fetch: typeof globalThis.fetch = async (input) => {
      urls.push(String(input instanceof Request ? input.url : input))
      return Response.json({ Status: 'OK' })
    }
    const io = memoryIo({ env: { SHOAL_DIR: await shoalDir(), SHOAL_PORT: 'abc', SHOAL_COMPUTE_LABELS: '=' }, fetch })
    expect(await runCli(['agent', 'alive'], { io })).toBe(0)
    expect(urls).toEqual(['http://127.0.0.1:1234/api/v1/agent/alive'])
  })
})

describe('shoal devstack settings', () => {
  it('devstack.* keys and the shared listener and path keys, flag > env > file', async () => {
    const dir = await shoalDir('devstack:\n  computes: 2\n  browsers: 1\nserve:\n  port: 7000\ncompute:\n  allow-listed-local-paths: [/data:rw]\n')
    const fromFile = await devstack([], { SHOAL_DIR: dir, SHOAL_HOST: '0.0.0.0', SHOAL_DATA_DIR: '/not/for/devstack' })
    const { signal: _signal, ...options } = fromFile.options
    expect(options).toEqual({ computes: 2, browsers: 1, host: '0.0.0.0', port: 7000, dataDir: undefined, allowListedLocalPaths: [{ path: '/data', readWrite: true }], allowUrlHosts: [], insecure: false, docker: 'auto', disabledEngines: [], disabledInputSources: [], disabledPublishers: [] })

    const env = { SHOAL_DIR: dir, SHOAL_DEVSTACK_COMPUTES: '4', SHOAL_DEVSTACK_DATA_DIR: '/tmp/ds' }
    expect((await devstack([], env)).options).toMatchObject({ computes: 4, dataDir: '/tmp/ds' })
    expect((await devstack(['--computes', '5'], env)).options.computes).toBe(5)
    expect((await devstack(['--computes', '5', '--compute-nodes', '6'], env)).options.computes).toBe(6)
    // compute.docker reaches the devstack's compute nodes, from the env or --docker.
    expect((await devstack([], { ...env, SHOAL_DOCKER: 'false' })).options.docker).toBe('false')
    expect((await devstack(['--docker', 'true'], env)).options.docker).toBe('true')
  })

  it('refuses a bad devstack value from the env, naming it', async () => {
    const result = await devstack([], { SHOAL_DIR: await shoalDir(), SHOAL_DEVSTACK_COMPUTES: 'three' })
    expect(result.code).toBe(1)
    expect(result.options).toBeUndefined()
    expect(result.stderr).toContain('devstack.computes (from env SHOAL_DEVSTACK_COMPUTES): must be a whole number')
  })

  it('ignores serve-only settings it does not use, even when invalid', async () => {
    const result = await devstack([], { SHOAL_DIR: await shoalDir(), SHOAL_CAPACITY_CPU: 'lots' })
    expect(result.code).toBe(0)
  })
})

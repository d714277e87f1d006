import { describe, expect, it } from 'vitest'
import type { DevstackCommandOptions, ServeCommandOptions } from '../../src/cli/cli-context.ts'
import { runCli } from '../../src/cli/program.ts'
import { memoryIo } from './cli-harness.ts'

describe('serve and devstack hand their flags to the server as one options object', () => {
  it('serve with every flag', async () => {
    const seen: ServeCommandOptions[] = []
    const io = memoryIo({ env: { SHOAL_DIR: '/srv/shoal' } })
    const code = await runCli(
      [
        'serve', '--compute', '--requester', '/ip4/10.0.0.5/tcp/1235/ws', '--host', '0.0.0.0', '--port', '8080', '--peer-port', '1235',
        '-l', 'region=eu', '--compute-labels', 'gpu=no', '--allow-listed-local-paths', '/data:rw', '--allow-listed-local-paths', '/ref',
        '--join-token', 'tok', '--capacity-cpu', '2', '--capacity-memory', '4Gb', '--publisher-url', 'http://10.0.0.6:6001',
        '--allow-url-hosts', '127.0.0.1', '--allow-url-hosts', 'files.internal', '--insecure', '--tls-cert', 'c.pem', '--tls-key', 'k.pem',
        '--default-queue-timeout', '45', '--compute-transports', 'websocket',
        '--default-execution-timeout', '1h30m',
        '--ipfs-peers', '/ip4/10.0.0.7/tcp/4002/ws/p2p/12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp', '--ipfs-peers', '/ip4/10.0.0.8/udp/4003/webrtc-direct/p2p/12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp', '--ipfs-read-timeout', '1m', '--ipfs-pin-timeout', '2m', '--ipfs-pin-max-size', '1Gi',
        '--docker', 'false', '--docker-pull', 'never', '--docker-user', '1000:1000', '--allow-networks', 'Host', '--allow-networks', 'Full',
        '--disabled-engines', 'docker', '--disabled-input-sources', 's3,repoclone', '--disabled-publishers', 'ipfs', '--disabled-publishers', 's3',
      ],
      { io, runServe: async (options) => seen.push(options) },
    )
    expect(io.stderr.text).toBe('')
    expect(code).toBe(0)
    const { signal, ...options } = seen[0]
    expect(signal).toBeInstanceOf(AbortSignal)
    expect(options).toEqual({
      orchestrator: false,
      compute: true,
      host: '0.0.0.0',
      port: 8080,
      dataDir: '/srv/shoal/data',
      peerPort: 1235,
      computeTransports: ['websocket'],
      verificationRequiredLabels: {},
      computeLabels: { region: 'eu', gpu: 'no' },
      allowListedLocalPaths: [
        { path: '/data', readWrite: true },
        { path: '/ref', readWrite: false },
      ],
      joinToken: 'tok',
      manualApproval: false,
      defaultQueueTimeoutS: 45,
      defaultExecutionTimeoutS: 5400,
      capacityCpu: '2',
      capacityMemory: '4Gb',
      requester: '/ip4/10.0.0.5/tcp/1235/ws',
      publisherUrl: 'http://10.0.0.6:6001',
      allowUrlHosts: ['127.0.0.1', 'files.internal'],
      insecure: true,
      tlsCert: 'c.pem',
      tlsKey: 'k.pem',
      ipfs: { peers: ['/ip4/10.0.0.7/tcp/4002/ws/p2p/12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp', '/ip4/10.0.0.8/udp/4003/webrtc-direct/p2p/12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp'], public: false, readTimeoutMs: 60_000, pinTimeoutMs: 120_000, pinMaxBytes: 1024 ** 3 },
      docker: 'false',
      dockerPull: 'never',
      dockerUser: '1000:1000',
      allowNetworks: ['Host', 'Full'],
      disabledEngines: ['docker'],
      disabledInputSources: ['s3', 'repoclone'],
      disabledPublishers: ['ipfs', 's3'],
    })
  })

  it('serve alone runs requester and compute node on 127.0.0.1:1234; a compute-only node needs --requester', async () => {
    const seen: ServeCommandOptions[] = []
    expect(await runCli(['serve', '--manual-approval'], { io: memoryIo({ home: '/home/u' }), runServe: async (o) => seen.push(o) })).toBe(0)
    expect(seen[0]).toMatchObject({ orchestrator: true, compute: true, host: '127.0.0.1', port: 1234, dataDir: '/home/u/.shoal/data', manualApproval: true, computeLabels: {}, allowListedLocalPaths: [] })
    const io = memoryIo()
    expect(await runCli(['serve', '--compute'], { io, runServe: async () => {} })).toBe(1)
    expect(io.stderr.text).toContain('--requester: a compute-only node needs the requester to connect to')
  })

  it('HTTPS needs both the certificate and the key', async () => {
    const io = memoryIo()
    expect(await runCli(['serve', '--tls-cert', 'c.pem'], { io, runServe: async () => {} })).toBe(1)
    expect(io.stderr.text).toContain('--tls-key: --tls-cert needs --tls-key too')
  })

  it('devstack defaults and the --compute-nodes alias', async () => {
    const seen: DevstackCommandOptions[] = []
    expect(await runCli(['devstack'], { io: memoryIo(), runDevstack: async (o) => seen.push(o) })).toBe(0)
    expect(
      await runCli(['devstack', '--compute-nodes', '5', '--port', '0', '--data-dir', '/tmp/ds', '--browsers', '2', '--allow-listed-local-paths', '/data:rw', '--disabled-engines', 'docker'], {
        io: memoryIo(),
        runDevstack: async (o) => seen.push(o),
      }),
    ).toBe(0)
    expect(seen.map(({ signal: _signal, ...rest }) => rest)).toEqual([
      { computes: 3, host: '127.0.0.1', port: 1234, dataDir: undefined, browsers: 0, allowListedLocalPaths: [], allowUrlHosts: [], insecure: false, docker: 'auto', disabledEngines: [], disabledInputSources: [], disabledPublishers: [] },
      { computes: 5, host: '127.0.0.1', port: 0, dataDir: '/tmp/ds', browsers: 2, allowListedLocalPaths: [{ path: '/data', readWrite: true }], allowUrlHosts: [], insecure: false, docker: 'auto', disabledEngines: ['docker'], disabledInputSources: [], disabledPublishers: [] },
    ])
  })
})

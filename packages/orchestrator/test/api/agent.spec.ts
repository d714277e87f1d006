import { describe, expect, it } from 'vitest'
import { createHarness } from './helpers/api-harness.ts'

describe('agent endpoints', () => {
  it('GET /agent/alive answers {Status:"OK"}', async () => {
    expect(await createHarness().json('GET', '/api/v1/agent/alive')).toMatchObject({ status: 200, body: { Status: 'OK' } })
  })

  it('GET /agent/version inlines BuildVersionInfo with an RFC 3339 BuildDate', async () => {
    const defaults = await createHarness().json('GET', '/api/v1/agent/version')
    expect(Object.keys(defaults.body).sort()).toEqual(['BuildDate', 'GOARCH', 'GOOS', 'GitCommit', 'GitVersion', 'Major', 'Minor'])
    expect(Number.isNaN(Date.parse(defaults.body.BuildDate))).toBe(false)
    const given = await createHarness({ version: { GitVersion: 'v1.2.3', GOOS: 'linux' } }).json('GET', '/api/v1/agent/version')
    expect(given.body).toMatchObject({ GitVersion: 'v1.2.3', GOOS: 'linux', Major: '0' })
  })

  it("GET /agent/node inlines the requester's NodeInfo with every field Bacalhau always writes", async () => {
    const { body } = await createHarness({ version: { GitVersion: 'v1.2.3' } }).json('GET', '/api/v1/agent/node')
    expect(body).toMatchObject({ NodeID: 'n-requester', NodeType: 'Requester', Labels: { role: 'requester' }, SupportedProtocols: [] })
    expect(body.BacalhauVersion).toMatchObject({ GitVersion: 'v1.2.3', GitCommit: '', GOOS: '', GOARCH: '' })
    expect(Number.isNaN(Date.parse(body.BacalhauVersion.BuildDate))).toBe(false)
    const zero = { CPU: 0, Memory: 0, Disk: 0, GPU: 0 }
    expect(body.ComputeNodeInfo).toEqual({
      ExecutionEngines: [],
      Publishers: [],
      StorageSources: [],
      MaxCapacity: zero,
      QueueCapacity: zero,
      AvailableCapacity: zero,
      MaxJobRequirements: zero,
      RunningExecutions: 0,
      EnqueuedExecutions: 0,
    })
  })

  it('GET /agent/config redacts secrets under `config`', async () => {
    const config = {
      API: { Port: 1234, Auth: { Tokens: [{ token: 'abc', scopes: ['read'] }], Users: [{ Username: 'u', Password: 'pw', APIKey: '' }] } },
      Orchestrator: { Auth: { Token: 'secret-token' } },
      S3: { Endpoint: 'http://127.0.0.1:4568', SecretAccessKey: 'shh', AccessKeyID: 'AKIA' },
    }
    const { body } = await createHarness({ config }).json('GET', '/api/v1/agent/config')
    expect(body).toEqual({
      config: {
        API: { Port: 1234, Auth: { Tokens: [{ token: '********', scopes: ['read'] }], Users: [{ Username: 'u', Password: '********', APIKey: '' }] } },
        Orchestrator: { Auth: { Token: '********' } },
        S3: { Endpoint: 'http://127.0.0.1:4568', SecretAccessKey: '********', AccessKeyID: 'AKIA' },
      },
    })
    expect(JSON.stringify(body)).not.toMatch(/abc|secret-token|shh|"pw"/)
  })
})

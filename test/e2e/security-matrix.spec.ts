// The negative matrix of docs/SECURITY.md against a real `shoal serve` (requester + compute node
// in one process, API tokens and a join token on): every row is an attempt that must fail.
import { createServer, type Server } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ExecutionState } from '@shoal/models'
import { freePort, inlineWasmJob, killAllShoals, removeTempDirs, runShoal, spawnShoal, tempDir, waitUntil, wasmFixture, type ShoalProcess } from '../support/index.ts'

const TOKENS = { writer: 'writer-5d1e8c0f', reader: 'reader-9a7b3e21', admin: 'admin-4c6f0d93' }
const JOIN_TOKEN = 'join-0e8a4b7c'

let serve: ShoalProcess
let api: string
let port: number
/** A file server on 127.0.0.2, the one host this compute node allow-lists for URL inputs. */
let files: Server
let filesUrl: string
let nodeId: string

beforeAll(async () => {
  files = createServer((req, res) => {
    if (req.url === '/hello.txt') res.writeHead(200, { 'content-type': 'text/plain' }).end('hello from an allowed host\n')
    else if (req.url === '/to-config') res.writeHead(302, { location: `http://127.0.0.1:${port}/api/v1/agent/config` }).end()
    else res.writeHead(404).end()
  })
  await new Promise<void>((resolve) => files.listen(0, '127.0.0.2', resolve))
  const address = files.address()
  filesUrl = `http://127.0.0.2:${typeof address === 'object' && address ? address.port : 0}`

  port = await freePort({ span: 2, udp: true })
  const tokens = `${TOKENS.writer}:read,write;${TOKENS.reader}:read;${TOKENS.admin}:read,admin`
  serve = spawnShoal(
    ['serve', '--host', '127.0.0.1', '--port', String(port), '--data-dir', await tempDir('shoal-matrix-'), '--api-tokens', tokens, '--join-token', JOIN_TOKEN, '--allow-url-hosts', '127.0.0.2'],
    { env: { SHOAL_LOG_LEVEL: 'debug' } },
  )
  api = (await serve.waitForLine(/^\s+API:\s+(\S+)$/m, 20_000))[1]
  await serve.waitForLine(/Shoal compute node n-\S+ started/, 20_000)
  nodeId = await waitUntil(
    async () => {
      const { Nodes } = (await (await call('GET', '/api/v1/orchestrator/nodes', TOKENS.reader)).json()) as { Nodes: { Info: { NodeID: string; NodeType: string }; ConnectionState: { Status: string } }[] }
      return Nodes.find((n) => n.Info.NodeType === 'Compute' && n.ConnectionState.Status === 'CONNECTED')?.Info.NodeID
    },
    { what: 'the compute node to join with the join token', timeoutMs: 20_000 },
  )
})

afterAll(async () => {
  await serve?.stop()
  await new Promise((resolve) => files?.close(resolve))
  await killAllShoals()
  await removeTempDirs()
})

const call = (method: string, path: string, token?: string, body?: unknown) =>
  fetch(`${api}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  })

/** Whether the logs WebSocket at `path` opens (Node's WebSocket takes headers as an option). */
function opens(path: string, token?: string): Promise<boolean> {
  const url = `${api.replace(/^http/, 'ws')}${path}`
  const socket = token ? new WebSocket(url, { headers: { authorization: `Bearer ${token}` } } as unknown as string[]) : new WebSocket(url)
  return new Promise<boolean>((resolve) => {
    socket.onopen = () => {
      socket.close()
      resolve(true)
    }
    socket.onerror = () => resolve(false)
  })
}

/** Submits a job that cats the file a URL input downloads, and waits until it ends. */
async function catUrl(url: string): Promise<{ state: string; message: string; jobId: string }> {
  const job = inlineWasmJob(wasmFixture('cat'), { args: ['/inputs/' + (new URL(url).pathname.split('/').pop() || 'download')] }) as { Tasks: { InputSources: unknown[] }[] }
  job.Tasks[0].InputSources.push({ Target: '/inputs', Source: { Type: 'urlDownload', Params: { URL: url } } })
  const put = await call('PUT', '/api/v1/orchestrator/jobs', TOKENS.writer, { Job: job })
  expect(put.status).toBe(200)
  const { JobID } = (await put.json()) as { JobID: string }
  // Ends when the job completes or its execution fails (the job may then wait to be retried).
  const ended = await waitUntil(
    async () => {
      const job = (await (await call('GET', `/api/v1/orchestrator/jobs/${JobID}`, TOKENS.reader)).json()) as { Job: { State: { StateType: string } } }
      const executions = (await (await call('GET', `/api/v1/orchestrator/jobs/${JobID}/executions`, TOKENS.reader)).json()) as { Items: { ComputeState: { StateType: number; Message?: string } }[] }
      const failed = executions.Items.filter((e) => e.ComputeState.StateType === ExecutionState.Failed)
      if (job.Job.State.StateType === 'Completed') return { state: 'Completed', message: '' }
      return failed.length > 0 ? { state: 'Failed', message: failed.map((e) => e.ComputeState.Message ?? '').join('\n') } : undefined
    },
    { what: `job ${JobID} to complete or fail`, timeoutMs: 30_000 },
  )
  // A failed job may be retried later: stop it so it does not hold the node.
  if (ended.state === 'Failed') await call('DELETE', `/api/v1/orchestrator/jobs/${JobID}`, TOKENS.writer)
  return { ...ended, jobId: JobID }
}

describe('the negative matrix: every attempt fails', () => {
  const successes: string[] = []
  const attempt = async (row: string, refused: () => Promise<boolean>) => {
    if (!(await refused())) successes.push(row)
  }

  it('API tokens, scopes, the logs WebSocket and URL inputs: 0 successes', async () => {
    const noop = { Job: { Type: 'batch', Count: 1, Tasks: [{ Name: 'main', Engine: { Type: 'noop' } }] } }

    await attempt('no token lists jobs', async () => (await call('GET', '/api/v1/orchestrator/jobs')).status === 401)
    await attempt('no token reads /agent/config', async () => (await call('GET', '/api/v1/agent/config')).status === 401)
    await attempt('wrong token lists jobs', async () => (await call('GET', '/api/v1/orchestrator/jobs', 'writer-5d1e8c0e')).status === 401)
    await attempt('read token submits a job', async () => (await call('PUT', '/api/v1/orchestrator/jobs', TOKENS.reader, noop)).status === 403)
    await attempt('read token approves a node', async () => (await call('PUT', `/api/v1/orchestrator/nodes/${nodeId}`, TOKENS.reader, { Action: 'approve' })).status === 403)
    await attempt('write token approves a node', async () => (await call('PUT', `/api/v1/orchestrator/nodes/${nodeId}`, TOKENS.writer, { Action: 'approve' })).status === 403)
    await attempt('admin token (no write) submits a job', async () => (await call('PUT', '/api/v1/orchestrator/jobs', TOKENS.admin, noop)).status === 403)
    await attempt('logs WebSocket without a token', async () => !(await opens('/api/v1/orchestrator/jobs/j-none/logs')))

    await attempt('logs WebSocket with a wrong token', async () => opens(`/api/v1/orchestrator/jobs/j-none/logs`, 'reader-9a7b3e20').then((opened) => !opened))

    const config = `http://127.0.0.1:${port}/api/v1/agent/config`
    for (const [row, url] of [
      ['URL input to the requester on loopback', config],
      ['URL input to loopback written as a decimal number', `http://2130706433:${port}/api/v1/agent/config`],
      ['URL input to localhost', `http://localhost:${port}/api/v1/agent/config`],
      ['URL input to loopback as v4-mapped IPv6', `http://[::ffff:127.0.0.1]:${port}/api/v1/agent/config`],
      ['URL input redirected from an allowed host to loopback', `${filesUrl}/to-config`],
    ]) {
      await attempt(row, async () => {
        const run = await catUrl(url)
        return run.state === 'Failed' && /is a loopback address; compute nodes do not fetch URL inputs from it/.test(run.message)
      })
    }
    expect(successes).toEqual([])

    // The tokens worked where they should (so the refusals above are not an outage) ...
    expect((await call('GET', '/api/v1/orchestrator/jobs', TOKENS.reader)).status).toBe(200)
    const { Items } = (await (await call('GET', '/api/v1/orchestrator/jobs', TOKENS.reader)).json()) as { Items: { ID: string }[] }
    expect(await opens(`/api/v1/orchestrator/jobs/${Items[0].ID}/logs`, TOKENS.reader)).toBe(true)
    // Past auth with the admin scope: the node is approved already, which the requester says (409).
    expect((await call('PUT', `/api/v1/orchestrator/nodes/${nodeId}`, TOKENS.admin, { Action: 'approve' })).status).toBe(409)
    // ... and no token was ever written to the server's output, at debug level.
    for (const token of [...Object.values(TOKENS), JOIN_TOKEN]) expect(serve.stdout + serve.stderr).not.toContain(token)
  })

  it('result downloads need the signed link the requester hands out', async () => {
    const run = await catUrl(`${filesUrl}/hello.txt`)
    expect(run.state).toBe('Completed')
    const results = (await (await call('GET', `/api/v1/orchestrator/jobs/${run.jobId}/results`, TOKENS.reader)).json()) as { Items: { Params: { URL: string } }[] }
    const signed = new URL(results.Items[0].Params.URL)
    expect(signed.searchParams.get('sig')).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect((await fetch(signed)).status).toBe(200)
    const unsigned = new URL(signed.pathname, signed)
    expect((await fetch(unsigned)).status).toBe(403)
    const forged = new URL(signed)
    forged.searchParams.set('expires', String(Number(signed.searchParams.get('expires')) + 3600))
    expect((await fetch(forged)).status).toBe(403)

    // `shoal job get` with the read token downloads it through the signed link.
    const out = await tempDir('shoal-matrix-get-')
    const get = await runShoal(['job', 'get', run.jobId, '--output-dir', `${out}/r`], { env: { SHOAL_API_URL: api, SHOAL_API_TOKEN: TOKENS.reader } })
    expect(get.code).toBe(0)
  })
})

describe('exposure', () => {
  it('refuses to listen beyond loopback without API tokens and a join token, saying why', async () => {
    const run = await runShoal(['serve', '--orchestrator', '--host', '0.0.0.0', '--port', String(await freePort({ span: 2, udp: true })), '--data-dir', await tempDir('shoal-exposed-')])
    expect(run.code).toBe(1)
    expect(run.stderr).toContain('refusing to listen on 0.0.0.0 unprotected')
    expect(run.stderr).toContain('has no API tokens (--api-tokens, --api-tokens-file)')
    expect(run.stderr).toContain('has no join token (--join-token)')
    expect(run.stderr).toContain('--insecure')
    expect(run.stdout).not.toContain('Shoal requester ready')
  })
})

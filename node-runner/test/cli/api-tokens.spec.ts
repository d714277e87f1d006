import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ForbiddenError, UnauthorizedError } from '@shoal/models'
import type { ServeCommandOptions } from '../../src/cli/cli-context.ts'
import { parseApiTokens } from '../../src/cli/cli-config.ts'
import { reportFailure } from '../../src/cli/cli-errors.ts'
import { runCli } from '../../src/cli/program.ts'
import { memoryIo } from './cli-harness.ts'
import { startLiveRequester, type LiveRequester } from './live-requester.ts'

const NOOP_JOB = `
Name: cli-token-noop
Type: batch
Count: 1
Tasks:
  - Name: main
    Engine: { Type: noop }
    Publisher: { Type: noop }
`

let work: string
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'shoal-api-tokens-'))
})
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true })
})

/** Runs `shoal serve …args` with a recording runServe; returns the exit code, stderr and the options it got. */
async function serve(args: string[], env: Record<string, string> = {}) {
  const seen: ServeCommandOptions[] = []
  const io = memoryIo({ env: { SHOAL_DIR: work, ...env } })
  const code = await runCli(['serve', '--orchestrator', ...args], { io, runServe: async (options) => seen.push(options) })
  return { code, stderr: io.stderr.text, options: seen[0] }
}

describe('parseApiTokens', () => {
  it('reads token:scopes pairs separated by ";" or new lines, with comments; no scopes means every scope', () => {
    expect(parseApiTokens('ops:read,write; viewer:read\n# a comment\nall\nroot:read,admin')).toEqual([
      { token: 'ops', scopes: ['read', 'write'] },
      { token: 'viewer', scopes: ['read'] },
      { token: 'all', scopes: ['read', 'write', 'admin'] },
      { token: 'root', scopes: ['read', 'admin'] },
    ])
  })

  it('rejects unknown scopes and duplicate tokens without echoing the whole secret', () => {
    expect(() => parseApiTokens('s3cr3t-token:owner')).toThrow(/scopes "owner"; use read, write and admin/)
    expect(() => parseApiTokens('s3cr3t-token:owner')).not.toThrow(/s3cr3t-token/)
    expect(() => parseApiTokens('abcdef:read;abcdef:write')).toThrow(/listed twice/)
  })
})

describe('shoal serve --api-tokens', () => {
  it('leaves the API open when no token is configured', async () => {
    const run = await serve([])
    expect(run.code).toBe(0)
    expect(run.options.apiTokens).toBeUndefined()
  })

  it('passes the tokens from the flag, the environment or the config file to runServe', async () => {
    expect((await serve(['--api-tokens', 'w1:read,write;r1:read'])).options.apiTokens).toEqual([
      { token: 'w1', scopes: ['read', 'write'] },
      { token: 'r1', scopes: ['read'] },
    ])
    expect((await serve([], { SHOAL_API_TOKENS: 'e1:read' })).options.apiTokens).toEqual([{ token: 'e1', scopes: ['read'] }])
    const dir = await mkdtemp(join(work, 'dir-'))
    await writeFile(join(dir, 'config.yaml'), 'serve:\n  api-tokens: "f1:write"\n')
    expect((await serve([], { SHOAL_DIR: dir })).options.apiTokens).toEqual([{ token: 'f1', scopes: ['write'] }])
  })

  it('adds the tokens of --api-tokens-file to those of --api-tokens', async () => {
    const file = join(work, 'tokens.txt')
    await writeFile(file, '# operators\nops-1:read,write\nviewer-1:read\n')
    const run = await serve(['--api-tokens', 'ci:write', '--api-tokens-file', file])
    expect(run.options.apiTokens).toEqual([
      { token: 'ci', scopes: ['write'] },
      { token: 'ops-1', scopes: ['read', 'write'] },
      { token: 'viewer-1', scopes: ['read'] },
    ])
  })

  it('refuses a bad scope or an unreadable tokens file with one clear error and exit 1', async () => {
    const bad = await serve(['--api-tokens', 'abcdef:owner'])
    expect(bad.code).toBe(1)
    expect(bad.stderr).toContain('serve.api-tokens (from flag --api-tokens)')
    expect(bad.stderr).toContain('use read, write and admin')
    expect(bad.options).toBeUndefined()
    const missing = await serve(['--api-tokens-file', join(work, 'no-such-file')])
    expect(missing.code).toBe(1)
    expect(missing.stderr).toMatch(/^Error: cannot read the API tokens file .*no-such-file/)
  })

  it('is a secret in config list', async () => {
    const io = memoryIo({ env: { SHOAL_DIR: work, SHOAL_API_TOKENS: 'visible-secret:read' } })
    expect(await runCli(['config', 'list', '--output', 'json'], { io })).toBe(0)
    const rows = JSON.parse(io.stdout.text) as { Key: string; Value: string; Source: string }[]
    expect(rows.find((row) => row.Key === 'serve.api-tokens')).toMatchObject({ Value: '********', Source: 'env' })
    expect(io.stdout.text).not.toContain('visible-secret')
  })
})

describe('the CLI against a requester that requires API tokens', { timeout: 30_000 }, () => {
  let live: LiveRequester
  let jobFile: string

  const shoal = async (args: string[], token?: string) => {
    const env: Record<string, string> = { SHOAL_API_URL: live.url, SHOAL_DIR: work }
    if (token) env.SHOAL_API_TOKEN = token
    const io = memoryIo({ env, realTime: true, cwd: work })
    const code = await runCli(args, { io })
    return { code, stdout: io.stdout.text, stderr: io.stderr.text }
  }

  beforeAll(async () => {
    live = await startLiveRequester({ auth: { tokens: [{ token: 'writer-1', scopes: ['read', 'write'] }, { token: 'reader-1', scopes: ['read'] }] } })
    jobFile = join(work, 'job.yaml')
    await writeFile(jobFile, NOOP_JOB)
  })
  afterAll(async () => {
    await live?.stop()
  })

  it('without a token: exit 1 and one line saying how to pass one', async () => {
    const run = await shoal(['job', 'list'])
    expect(run.code).toBe(1)
    expect(run.stderr).toBe('Error: the requester needs an API token: pass --api-token or set SHOAL_API_TOKEN (or `shoal config set api.token <token>`).\n')
  })

  it('with an unknown token: one line saying the token was not accepted', async () => {
    const run = await shoal(['job', 'list'], 'nope')
    expect(run.code).toBe(1)
    expect(run.stderr.trimEnd().split('\n')).toHaveLength(1)
    expect(run.stderr).toMatch(/^Error: the requester did not accept the API token .*check --api-token, SHOAL_API_TOKEN or api\.token\.$/m)
  })

  it('a read token lists jobs but cannot submit one', async () => {
    expect((await shoal(['job', 'list'], 'reader-1')).code).toBe(0)
    const submit = await shoal(['job', 'run', jobFile, '--no-wait'], 'reader-1')
    expect(submit.code).toBe(1)
    expect(submit.stderr.trimEnd().split('\n')).toHaveLength(1)
    expect(submit.stderr).toMatch(/^Error: this token may only read .*use a token with the write scope/)
  })

  it('a write token submits, and the job then shows in the list', async () => {
    const submit = await shoal(['job', 'run', jobFile, '--no-wait'], 'writer-1')
    expect(submit.code).toBe(0)
    const jobId = submit.stdout.trim()
    expect(jobId).toMatch(/^j-/)
    const list = await shoal(['job', 'list', '--output', 'json'], 'reader-1')
    expect(list.stdout).toContain(jobId)
    // --api-token on the command line works the same as the environment variable.
    expect((await shoal(['--api-token', 'reader-1', 'job', 'describe', jobId])).code).toBe(0)
  })
})

describe('reportFailure for refused credentials', () => {
  it('names the fix for 401 and 403 in one line', () => {
    expect(reportFailure(new UnauthorizedError('this requester requires a bearer token')).lines).toEqual([
      'Error: the requester needs an API token: pass --api-token or set SHOAL_API_TOKEN (or `shoal config set api.token <token>`).',
    ])
    expect(reportFailure(new ForbiddenError('the bearer token lacks the write scope needed for PUT /api/v1/orchestrator/jobs')).lines).toHaveLength(1)
  })
})

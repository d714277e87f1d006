// The flags and outputs a Bacalhau CLI user relies on, run in-process against a live requester
// (one noop compute node). A recording fetch shows what each flag asks the API for.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { parse as parseYaml } from 'yaml'
import type { Execution, Job, NodeState } from '@shoal/models'
import { runCli } from '../../src/cli/program.ts'
import { defaultJobFolder } from '../../src/cli/commands/job-get-command.ts'
import { memoryIo } from './cli-harness.ts'
import { startLiveRequester, type LiveRequester } from './live-requester.ts'

const jobSpec = (name: string, extra = '') => `
Name: ${name}
Type: batch
Count: 1
Labels: { suite: flags }
Tasks:
  - Name: main
    Engine: { Type: noop }
    Publisher: { Type: noop }
    Network: { Type: None }
${extra}`

/** A job no node matches: it waits in the queue (for an hour) until stopped. */
const queuedSpec = (name: string) =>
  jobSpec(name, '    Timeouts: { QueueTimeout: 3600 }').replace('Count: 1', 'Count: 1\nConstraints: [{ Key: zone, Operator: "=", Values: [nowhere] }]')

interface Request {
  method: string
  url: URL
  body?: Record<string, unknown>
}

describe('Bacalhau CLI flags against a live requester', { timeout: 30_000 }, () => {
  let live: LiveRequester
  let work: string
  let requests: Request[] = []

  const recordingFetch: typeof fetch = async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input))
    requests.push({ method: init?.method ?? 'GET', url, body: typeof init?.body === 'string' ? (JSON.parse(init.body) as Record<string, unknown>) : undefined })
    return globalThis.fetch(input, init)
  }

  /** Runs the CLI; the clock only advances when the CLI sleeps, so waiting never takes real time. */
  const shoal = async (args: string[], extra: { stdin?: string } = {}) => {
    const io = memoryIo({ env: { SHOAL_API_URL: live.url }, stdin: extra.stdin, cwd: work, fetch: recordingFetch })
    const code = await runCli(args, { io })
    return { code, stdout: io.stdout.text, stderr: io.stderr.text }
  }
  /** Submits a spec; waits for it to finish unless `wait` is false. */
  const submit = async (spec: string, wait = true): Promise<string> => {
    const run = await shoal(['job', 'run', '-', '--id-only', ...(wait ? [] : ['--wait=false'])], { stdin: spec })
    expect(run.code, run.stderr).toBe(0)
    return run.stdout.trim().split('\n')[0]
  }
  const apiCalls = (suffix: string) => requests.filter((r) => r.url.pathname.endsWith(suffix))

  let jobId: string

  beforeAll(async () => {
    live = await startLiveRequester()
    work = await mkdtemp(join(tmpdir(), 'shoal-cli-flags-'))
    jobId = await submit(jobSpec('flags-versioned'))
    // The same Name with a changed spec is version 2 of the same job.
    const second = await submit(jobSpec('flags-versioned').replace('suite: flags', 'suite: flags, round: two'))
    expect(second).toBe(jobId)
  })
  afterAll(async () => {
    await live?.stop()
    if (work) await rm(work, { recursive: true, force: true })
  })
  beforeEach(() => {
    requests = []
  })

  it('job describe --output json prints the API answer: Executions and History as {Items, NextToken}; one line unless --pretty', async () => {
    const run = await shoal(['job', 'describe', jobId, '--output', 'json'])
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout.trimEnd().split('\n')).toHaveLength(1)
    const view = JSON.parse(run.stdout) as { Job: Job; Executions: { Items: Execution[]; NextToken: string }; History: { Items: unknown[]; NextToken: string } }
    expect(view.Job.ID).toBe(jobId)
    expect(view.Executions).toEqual({ Items: expect.any(Array), NextToken: expect.any(String) })
    expect(view.Executions.Items).toHaveLength(1)
    expect(view.History).toEqual({ Items: expect.any(Array), NextToken: expect.any(String) })
    const pretty = await shoal(['job', 'describe', jobId, '--output', 'json', '--pretty'])
    expect(pretty.stdout).toMatch(/^\{\n {2}"Job": \{\n/)
    expect(JSON.parse(pretty.stdout)).toEqual(view)
    const yaml = await shoal(['job', 'describe', jobId, '--output', 'yaml', '--pretty'])
    expect(parseYaml(yaml.stdout)).toMatchObject({ Job: { ID: jobId }, Executions: { Items: [{ JobID: jobId }] } })
  })

  it('--pretty is accepted by every command with --output, and harmless for tables', async () => {
    for (const args of [['job', 'list'], ['job', 'executions', jobId], ['job', 'history', jobId], ['job', 'versions', jobId], ['node', 'list'], ['version', '--client'], ['config', 'list']]) {
      const run = await shoal([...args, '--pretty', '--no-style'])
      expect(run.code, `${args.join(' ')}: ${run.stderr}`).toBe(0)
    }
    for (const args of [['node', 'describe', 'n-compute-1'], ['agent', 'version'], ['job', 'describe', jobId]]) {
      const run = await shoal([...args, '--pretty'])
      expect(run.code, `${args.join(' ')}: ${run.stderr}`).toBe(0)
    }
    const nodes = await shoal(['node', 'list', '--output', 'json', '--pretty'])
    expect(nodes.stdout).toMatch(/^\[\n {2}\{\n/)
  })

  it('-v/--version and --namespace on describe, executions, history; --all-versions; job versions', async () => {
    const described = await shoal(['job', 'describe', jobId, '-v', '1', '--namespace', 'default', '--no-style'])
    expect(described.code, described.stderr).toBe(0)
    expect(described.stdout).toContain('Version       = 1\n')
    expect(apiCalls(`/jobs/${jobId}`)[0].url.searchParams.get('job_version')).toBe('1')
    expect(apiCalls(`/jobs/${jobId}`)[0].url.searchParams.get('namespace')).toBe('default')

    const latest = JSON.parse((await shoal(['job', 'executions', jobId, '--output', 'json'])).stdout) as Execution[]
    expect(latest.map((e) => e.JobVersion)).toEqual([2])
    const first = JSON.parse((await shoal(['job', 'executions', jobId, '--version', '1', '--output', 'json'])).stdout) as Execution[]
    expect(first.map((e) => e.JobVersion)).toEqual([1])
    const all = JSON.parse((await shoal(['job', 'executions', jobId, '--all-versions', '--output', 'json'])).stdout) as Execution[]
    expect(all.map((e) => e.JobVersion).sort()).toEqual([1, 2])

    const history = await shoal(['job', 'history', jobId, '--all-versions', '--namespace', 'default', '--output', 'json'])
    expect(history.code, history.stderr).toBe(0)
    const versions = new Set((JSON.parse(history.stdout) as { JobVersion: number }[]).map((h) => h.JobVersion))
    expect([...versions].sort()).toEqual([1, 2])
    const v1 = JSON.parse((await shoal(['job', 'history', jobId, '-v', '1', '--output', 'json'])).stdout) as { JobVersion: number }[]
    expect(new Set(v1.map((h) => h.JobVersion))).toEqual(new Set([1]))

    const listed = await shoal(['job', 'versions', jobId, '--no-style'])
    expect(listed.code, listed.stderr).toBe(0)
    expect(listed.stdout).toMatch(/^VERSION\s+SUBMITTED\s+NAME\s+TYPE\n1\s+.*flags-versioned\s+batch\n2\s+.*flags-versioned\s+batch\n$/)
    const asJson = JSON.parse((await shoal(['job', 'versions', 'flags-versioned', '--output', 'json'])).stdout) as Job[]
    expect(asJson.map((j) => j.Version)).toEqual([1, 2])
  })

  it('an unknown version is the server\'s message, not "job not found"', async () => {
    const run = await shoal(['job', 'describe', jobId, '--version', '9'])
    expect(run.code).toBe(1)
    expect(run.stderr).toContain(`has no version 9`)
  })

  it('job logs: -e is --execution-id, -t/--tail asks only for new lines, --tail-lines N for the last N', async () => {
    const [execution] = JSON.parse((await shoal(['job', 'executions', jobId, '--output', 'json'])).stdout) as Execution[]
    requests = []
    expect((await shoal(['job', 'logs', jobId, '-e', execution.ID, '-t'])).code).toBe(0)
    expect((await shoal(['job', 'logs', jobId, '--tail=true', '--namespace', 'default'])).code).toBe(0)
    expect((await shoal(['job', 'logs', jobId, '--tail-lines', '20'])).code).toBe(0)
    const queries = apiCalls('/logs').map((r) => Object.fromEntries(r.url.searchParams))
    expect(queries[0]).toMatchObject({ execution_id: execution.ID, tail: 'true' })
    expect(queries[1]).toMatchObject({ tail: 'true', namespace: 'default' })
    expect(queries[2]).toMatchObject({ tail: '20' })
    expect(queries[2].execution_id).toBeUndefined()
    const both = await shoal(['job', 'logs', jobId, '-t', '--tail-lines', '2'])
    expect(both.code).toBe(1)
    expect(both.stderr).toContain('--tail and --tail-lines cannot be used together')
    const help = await shoal(['job', 'logs', '--help'])
    expect(help.stdout).toMatch(/-t, --tail\s+skip the lines already written/)
    expect(help.stdout).toContain('--tail-lines <n>')
  })

  it('job logs --version reads an execution of that version', async () => {
    const [v1] = JSON.parse((await shoal(['job', 'executions', jobId, '-v', '1', '--output', 'json'])).stdout) as Execution[]
    requests = []
    const run = await shoal(['job', 'logs', jobId, '-v', '1'])
    expect(run.code, run.stderr).toBe(0)
    expect(apiCalls('/logs')[0].url.searchParams.get('execution_id')).toBe(v1.ID)
  })

  it('job rerun takes the run-time flags: --wait=false prints the ID, --id-only, -v sends JobVersion, and it waits like job run', async () => {
    const noWait = await shoal(['job', 'rerun', jobId, '--wait=false'])
    expect(noWait).toMatchObject({ code: 0, stdout: `${jobId}\n` })
    expect(noWait.stderr).toBe('')
    const idOnly = await shoal(['job', 'rerun', jobId, '--id-only', '-v', '1', '--wait-timeout-secs', '60'])
    expect(idOnly).toMatchObject({ code: 0, stdout: `${jobId}\n`, stderr: '' })
    expect(apiCalls('/rerun').map((r) => r.body)).toEqual([{ Reason: '' }, { Reason: '', JobVersion: 1 }])
    const waited = await shoal(['job', 'rerun', jobId, '--node-details'])
    expect(waited.code, waited.stderr).toBe(0)
    expect(waited.stderr).toMatch(new RegExp(`^Job successfully rerun\\. Job ID: ${jobId} \\(version \\d+, evaluation \\S+\\)\n`))
    expect(waited.stderr).toContain(`Job ${jobId.slice(0, 10)}  Completed  (1 Completed)\n`)
    expect(waited.stderr).toMatch(/\nNodes:\n {2}n-compute-1 {2}execution e-[0-9a-f]{8} {2}Completed\n/)
    const help = await shoal(['job', 'rerun', '--help'])
    for (const flag of ['--wait', '--wait-timeout-secs', '--id-only', '-f, --follow', '--node-details', '-v, --version <n>', '--namespace']) expect(help.stdout).toContain(flag)
  })

  it('waiting longer than --wait-timeout-secs: a warning naming that flag, exit 0, the job keeps running', async () => {
    const run = await shoal(['job', 'run', '-', '--wait-timeout-secs', '3'], { stdin: queuedSpec('flags-timeout') })
    expect(run.code).toBe(0)
    const id = /Job ID: (j-\S+)/.exec(run.stderr)![1]
    expect(run.stderr).toContain(`Warning: stopped waiting for job ${id} after 3s (--wait-timeout-secs); it keeps running.\n`)
    expect(run.stderr).toContain('wait longer with --wait-timeout-secs <seconds>')
    expect(run.stderr).not.toContain('--timeout')
    const view = JSON.parse((await shoal(['job', 'describe', id, '--output', 'json'])).stdout) as { Job: Job }
    expect(['Pending', 'Queued']).toContain(view.Job.State.StateType)
    await shoal(['job', 'stop', id, '--quiet'])
  })

  it('job stop of a Stopped job refuses like Bacalhau (exit 1) and sends no second stop', async () => {
    const id = await submit(queuedSpec('flags-stop-twice'), false)
    const first = await shoal(['job', 'stop', id, '--namespace', 'default'])
    expect(first.code, first.stderr).toBe(0)
    await expect.poll(async () => (JSON.parse((await shoal(['job', 'describe', id, '--output', 'json'])).stdout) as { Job: Job }).Job.State.StateType).toBe('Stopped')
    requests = []
    const again = await shoal(['job', 'stop', id])
    expect(again.code).toBe(1)
    expect(again.stderr).toBe(`Error: job ${id} is already in a terminal state (Stopped); there is nothing to stop. It was stopped before.\n`)
    expect(requests.filter((r) => r.method === 'DELETE')).toEqual([])
  })

  it('job list: help says oldest first, and the paging hint repeats --limit', async () => {
    const help = await shoal(['job', 'list', '--help'])
    expect(help.stdout).toContain('List jobs, oldest first')
    await submit(jobSpec('flags-paging-1'))
    await submit(jobSpec('flags-paging-2'))
    const page = await shoal(['job', 'list', '--limit', '1', '--no-style'])
    expect(page.code).toBe(0)
    const hint = /^More jobs: shoal job list --limit 1 --next-token (\S+) \(or --all\)$/m.exec(page.stderr)
    expect(hint, page.stderr).not.toBeNull()
    const next = await shoal(['job', 'list', '--limit', '1', '--next-token', hint![1], '--output', 'json'])
    expect(JSON.parse(next.stdout)).toHaveLength(1)
  })

  it('node list: --filter-approval and --filter-status in any case; a bad value is a usage error', async () => {
    for (const value of ['approved', 'APPROVED', 'Approved']) {
      const run = await shoal(['node', 'list', '--filter-approval', value, '--output', 'json'])
      expect(run.code, run.stderr).toBe(0)
      expect((JSON.parse(run.stdout) as NodeState[]).map((n) => n.Info.NodeID)).toEqual(['n-compute-1'])
    }
    const pending = await shoal(['node', 'list', '--filter-approval', 'pending', '--filter-status', 'connected', '--output', 'json'])
    expect(JSON.parse(pending.stdout)).toEqual([])
    expect(apiCalls('/nodes').at(-1)!.url.searchParams.get('filter-approval')).toBe('PENDING')
    const connected = await shoal(['node', 'list', '--filter-status', 'Connected', '--output', 'json'])
    expect(JSON.parse(connected.stdout)).toHaveLength(1)
    const bad = await shoal(['node', 'list', '--filter-approval', 'maybe'])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain('--filter-approval must be one of approved, pending, rejected (any case), not "maybe".')
  })

  it('node list --show picks column groups', async () => {
    const features = await shoal(['node', 'list', '--show', 'features,version', '--no-style'])
    expect(features.code, features.stderr).toBe(0)
    expect(features.stdout.split('\n')[0]).toMatch(/^ID\s+TYPE\s+APPROVAL\s+STATUS\s+VERSION\s+ENGINES\s+INPUTS FROM\s+OUTPUTS$/)
    expect(features.stdout).toMatch(/n-compute-1\s+Compute\s+APPROVED\s+CONNECTED\s+.*noop/)
    const none = await shoal(['node', 'list', '--show', '', '--no-style'])
    expect(none.stdout.split('\n')[0]).toMatch(/^ID\s+TYPE\s+APPROVAL\s+STATUS$/)
    const byDefault = await shoal(['node', 'list', '--no-style'])
    expect(byDefault.stdout.split('\n')[0]).toMatch(/^ID\s+TYPE\s+APPROVAL\s+STATUS\s+LABELS\s+CPU\s+MEMORY$/)
    const bad = await shoal(['node', 'list', '--show', 'labels,colour'])
    expect(bad.code).toBe(2)
  })

  it('job run accepts --group-events; wasm run --gpu, --task-name, --concurrency, -s/--selector map onto the job', async () => {
    const run = await shoal(['job', 'run', '-', '--group-events', '--dry-run'], { stdin: jobSpec('flags-group-events') })
    expect(run.code, run.stderr).toBe(0)
    const module = join(work, 'tiny.wasm')
    await writeFile(module, new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]))
    const dry = await shoal(['wasm', 'run', module, '--dry-run', '--gpu', '1', '--task-name', 'compute', '--concurrency', '2', '-s', 'zone=test', '--group-events'])
    expect(dry.code, dry.stderr).toBe(0)
    const job = parseYaml(dry.stdout) as Job
    expect(job.Count).toBe(2)
    expect(job.Constraints).toEqual([{ Key: 'zone', Operator: '=', Values: ['test'] }])
    expect(job.Tasks[0]).toMatchObject({ Name: 'compute', Resources: { GPU: '1' } })
    const both = await shoal(['wasm', 'run', module, '--dry-run', '--count', '2', '--concurrency', '3'])
    expect(both.code).toBe(2)
    expect(both.stderr).toMatch(/--concurrency .* cannot be used with option '--count/)
    const selectorAndConstraints = await shoal(['wasm', 'run', module, '--dry-run', '--selector', 'a=b', '--constraints', 'c=d'])
    expect(selectorAndConstraints.code).toBe(2)
  })

  it('wasm run -I with a local module and no target is refused before anything is submitted', async () => {
    const module = join(work, 'main.wasm')
    const lib = join(work, 'lib.wasm')
    for (const path of [module, lib]) await writeFile(path, new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]))
    const run = await shoal(['wasm', 'run', module, '-I', lib])
    expect(run.code).toBe(1)
    expect(run.stderr).toContain(`--import-modules: "${lib}" has no target path`)
    expect(run.stderr).toContain(`-I ${lib}:/lib.wasm`)
    expect(requests.filter((r) => r.method === 'PUT')).toEqual([])
    const ok = await shoal(['wasm', 'run', module, '-I', `${lib}:/lib.wasm`, '--dry-run'])
    expect(ok.code, ok.stderr).toBe(0)
    expect((parseYaml(ok.stdout) as Job).Tasks[0].Engine.Params).toMatchObject({ ImportModules: ['/lib.wasm'] })
  })

  it('job get writes to ./job-<id as typed>, like Bacalhau; job-<namespace>-<id> outside the default namespace', () => {
    expect(defaultJobFolder('j-1234abcd')).toBe('job-j-1234abcd')
    expect(defaultJobFolder('j-01234567-89ab-4def-8000-000000000000', 'default')).toBe('job-j-01234567-89ab-4def-8000-000000000000')
    expect(defaultJobFolder('my-job', 'dev')).toBe('job-dev-my-job')
  })

  it('job get --raw and --namespace are accepted; --namespace reaches the API', async () => {
    const run = await shoal(['job', 'get', jobId, '--raw', '--namespace', 'default'])
    expect(run.code).toBe(1)
    expect(run.stderr).toContain('has nothing to download: its publisher is noop')
    expect(apiCalls(`/jobs/${jobId}`)[0].url.searchParams.get('namespace')).toBe('default')
  })

  it('config set KEY "" says it removed the key', async () => {
    const home = join(work, 'home')
    const io = memoryIo({ home })
    expect(await runCli(['config', 'set', 'api.port', '4321'], { io })).toBe(0)
    expect(io.stderr.text).toBe(`Set api.port in ${join(home, '.shoal', 'config.yaml')}\n`)
    const removed = memoryIo({ home })
    expect(await runCli(['config', 'set', 'api.port', ''], { io: removed })).toBe(0)
    expect(removed.stderr.text).toBe(`Removed api.port from ${join(home, '.shoal', 'config.yaml')}\n`)
    expect(await readFile(join(home, '.shoal', 'config.yaml'), 'utf8')).not.toContain('port')
  })

  it('--version before a command prints the client version; after one it is that command\'s job version', async () => {
    const client = await shoal(['--version'])
    expect(client.code).toBe(0)
    expect(client.stdout).toMatch(/^v\d+\.\d+\.\d+/)
    const job = await shoal(['job', 'describe', jobId, '--version', '2', '--no-style'])
    expect(job.stdout).toContain('Version       = 2\n')
    const help = await shoal(['--help'])
    expect(help.stdout).toMatch(/--version\s+print the client version/)
  })
})

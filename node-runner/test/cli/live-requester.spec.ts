import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from '../../src/cli/program.ts'
import { FIXTURES, memoryIo } from './cli-harness.ts'
import { startLiveRequester, type LiveRequester } from './live-requester.ts'

const NOOP_JOB = `
Name: cli-noop
Type: batch
Count: 1
Labels: { suite: cli }
Tasks:
  - Name: main
    Engine: { Type: noop }
    Publisher: { Type: noop }
    Network: { Type: None }
`

describe('shoal against a live requester', { timeout: 30_000 }, () => {
  let live: LiveRequester
  let work: string
  let jobFile: string
  let jobId: string

  const shoal = async (args: string[], extra: { stdin?: string } = {}) => {
    const io = memoryIo({ env: { SHOAL_API_URL: live.url }, realTime: true, stdin: extra.stdin, cwd: work })
    const code = await runCli(args, { io })
    return { code, stdout: io.stdout.text, stderr: io.stderr.text }
  }

  beforeAll(async () => {
    live = await startLiveRequester()
    work = await mkdtemp(join(tmpdir(), 'shoal-cli-live-'))
    jobFile = join(work, 'job.yaml')
    await writeFile(jobFile, NOOP_JOB)
  })
  afterAll(async () => {
    await live?.stop()
    if (work) await rm(work, { recursive: true, force: true })
  })

  it('job run submits, waits with progress lines on stderr, and exits 0 when the job completes', async () => {
    const run = await shoal(['job', 'run', jobFile])
    expect(run.stderr).toMatch(/^Job successfully submitted\. Job ID: (j-[0-9a-f-]{36})\n/)
    jobId = /Job ID: (j-[0-9a-f-]{36})/.exec(run.stderr)![1]
    expect(run.stderr).toContain(`Job ${jobId.slice(0, 10)}  Completed  (1 Completed)\n`)
    expect(run.stderr).toContain(`shoal job describe ${jobId}`)
    expect(run.code).toBe(0)
  })

  it('job run --no-wait prints only the job ID', async () => {
    const run = await shoal(['job', 'run', '-', '--wait=false'], { stdin: NOOP_JOB.replace('cli-noop', 'cli-nowait') })
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/^j-[0-9a-f-]{36}\n$/)
  })

  it('job run of a spec whose Name exists, without a terminal: submits and says it updated job X to version N', async () => {
    const spec = NOOP_JOB.replace('cli-noop', 'cli-update')
    const first = await shoal(['job', 'run', '-'], { stdin: spec })
    expect(first.code).toBe(0)
    expect(first.stderr).not.toContain('Updated job')
    const id = /Job ID: (j-[0-9a-f-]{36})/.exec(first.stderr)![1]
    const second = await shoal(['job', 'run', '-'], { stdin: spec.replace('suite: cli', 'suite: cli-v2') })
    expect(second.code).toBe(0)
    expect(second.stderr).toContain(`Updated job cli-update (${id}) to version 2.\n`)
    expect(second.stderr).toContain(`Job ID: ${id}`)
    // --id-only stays quiet: only the ID on stdout.
    const third = await shoal(['job', 'run', '-', '--id-only'], { stdin: spec.replace('suite: cli', 'suite: cli-v3') })
    expect(third.stdout).toBe(`${id}\n`)
    expect(third.stderr).not.toContain('Updated job')
  })

  it('job run on a terminal shows the changes and asks before updating an existing job; no leaves it as it was', async () => {
    // A terminal cannot be attached to an in-process run: the io says stdin and stderr are terminals
    // and answers the prompt, as processIo's readline prompt would with what the user typed.
    const spec = NOOP_JOB.replace('cli-noop', 'cli-ask')
    await writeFile(join(work, 'ask.yaml'), spec)
    expect((await shoal(['job', 'run', join(work, 'ask.yaml')])).code).toBe(0)
    await writeFile(join(work, 'ask.yaml'), spec.replace('suite: cli', 'suite: asked'))
    const ask = async (answer: string) => {
      const io = memoryIo({ env: { SHOAL_API_URL: live.url }, realTime: true, cwd: work })
      io.stderr.isTTY = true
      const questions: string[] = []
      io.prompt = async (question) => {
        questions.push(question)
        return answer
      }
      const code = await runCli(['job', 'run', join(work, 'ask.yaml')], { io })
      return { code, stderr: io.stderr.text, questions }
    }
    const declined = await ask('n')
    expect(declined.code).toBe(1)
    expect(declined.stderr).toMatch(/^Job cli-ask \(j-[0-9a-f-]{36}\) exists at version 1\. Submitting this spec updates it to version 2:\n/)
    expect(declined.stderr).toContain('- Labels.suite: "cli"')
    expect(declined.stderr).toContain('+ Labels.suite: "asked"')
    expect(declined.questions).toEqual(['Update job cli-ask to version 2? [y/N] '])
    expect(declined.stderr).toContain('Error: job cli-ask was not updated (it stays at version 1); nothing was submitted')
    const described = await shoal(['job', 'describe', 'cli-ask', '--output', 'json'])
    expect(JSON.parse(described.stdout).Job).toMatchObject({ Version: 1, Labels: { suite: 'cli' } })

    const accepted = await ask('y')
    expect(accepted.code).toBe(0)
    expect(accepted.stderr).toMatch(/Updated job cli-ask \(j-[0-9a-f-]{36}\) to version 2\.\n/)
  })

  it('job list shows the job in a table with a short ID, and as full objects in JSON', async () => {
    const table = await shoal(['job', 'list', '--no-style', '--labels', 'suite=cli'])
    expect(table.code).toBe(0)
    const lines = table.stdout.trimEnd().split('\n')
    expect(lines[0]).toMatch(/^CREATED\s+ID\s+JOB\s+TYPE\s+STATE$/)
    expect(table.stdout).toMatch(new RegExp(`s ago\\s+${jobId.slice(0, 10)}\\s+cli-noop\\s+batch\\s+Completed`))
    const json = await shoal(['job', 'list', '--output', 'json'])
    const jobs = JSON.parse(json.stdout) as { ID: string; Tasks: unknown[] }[]
    expect(jobs.find((j) => j.ID === jobId)?.Tasks).toHaveLength(1)
  })

  it('job describe, executions and history show what happened', async () => {
    const describe = await shoal(['job', 'describe', jobId, '--no-style'])
    expect(describe.code).toBe(0)
    expect(describe.stdout).toContain(`ID            = ${jobId}\n`)
    expect(describe.stdout).toContain('State         = Completed\n')
    expect(describe.stdout).toContain('\nSummary\n  Completed: 1\n')
    expect(describe.stdout).toMatch(/\nExecutions\n {2}CREATED\s+MODIFIED\s+ID\s+NODE ID/)
    const yaml = await shoal(['job', 'describe', jobId, '--output', 'yaml'])
    expect(yaml.stdout).toMatch(/^Job:\n/)
    const executions = await shoal(['job', 'executions', jobId, '--output', 'csv', '--wide'])
    expect(executions.stdout.split('\n')[1]).toMatch(/,n-compute-1,\d+,Completed,Stopped|,n-compute-1,\d+,Completed,/)
    const history = await shoal(['job', 'history', jobId, '--output', 'json'])
    expect((JSON.parse(history.stdout) as unknown[]).length).toBeGreaterThan(1)
  })

  it('an unknown job is one clear line and exit 1', async () => {
    const run = await shoal(['job', 'describe', 'j-00000000-0000-4000-8000-000000000000'])
    expect(run.code).toBe(1)
    expect(run.stderr).toBe('Error: job j-00000000-0000-4000-8000-000000000000 not found. List jobs with `shoal job list`.\n')
  })

  it('job get explains that a noop-published job has nothing to download, and writes nothing', async () => {
    const run = await shoal(['job', 'get', jobId])
    expect(run.code).toBe(1)
    expect(run.stderr).toContain(`Error: job ${jobId} has nothing to download: its publisher is noop, so no results were kept.`)
    expect(run.stderr).toContain('local, ipfs or s3')
  })

  it('node list, agent alive and version talk to the requester', async () => {
    const nodes = await shoal(['node', 'list', '--no-style'])
    expect(nodes.code).toBe(0)
    expect(nodes.stdout).toMatch(/n-compute-1\s+Compute\s+APPROVED\s+CONNECTED\s+zone=test/)
    const alive = await shoal(['agent', 'alive'])
    expect(alive.stdout).toBe('Status: OK\n')
    const version = await shoal(['version', '--output', 'json'])
    expect(JSON.parse(version.stdout)).toMatchObject({ serverVersion: { GitVersion: 'v9.9.9-test' } })
  })

  it('job logs of a finished job, job rerun, and wasm run --no-wait', async () => {
    const logs = await shoal(['job', 'logs', jobId])
    expect(logs).toMatchObject({ code: 0, stdout: '' })
    const rerun = await shoal(['job', 'rerun', jobId])
    expect(rerun.code).toBe(0)
    expect(rerun.stderr).toMatch(new RegExp(`^Job successfully rerun\\. Job ID: ${jobId} \\(version \\d+, evaluation v-`))
    expect(rerun.stderr).toContain(`Job ${jobId.slice(0, 10)}  Completed  (1 Completed)\n`)
    const wasm = await shoal(['wasm', 'run', join(FIXTURES, 'tiny.wasm'), '--no-wait', '-l', 'suite=wasm'])
    expect(wasm.code).toBe(0)
    const wasmId = wasm.stdout.trim()
    expect(wasmId).toMatch(/^j-[0-9a-f-]{36}$/)
    const described = await shoal(['job', 'describe', wasmId, '--output', 'json'])
    const view = JSON.parse(described.stdout) as { Job: { Tasks: { Engine: { Type: string; Params: { EntryModule: string } }; Publisher: { Type: string } }[] } }
    expect(view.Job.Tasks[0].Engine).toMatchObject({ Type: 'wasm', Params: { EntryModule: '/app/tiny.wasm' } })
    expect(view.Job.Tasks[0].Publisher.Type).toBe('local')
  })

  it('job stop of a completed job refuses before asking the requester, exit 1', async () => {
    const run = await shoal(['job', 'stop', jobId])
    expect(run.code).toBe(1)
    expect(run.stderr).toBe(`Error: job ${jobId} is already in a terminal state (Completed); there is nothing to stop. Run it again with \`shoal job rerun\`.\n`)
  })
})

// `shoal docker run` and jobs no node can run, in-process against a live requester whose one
// compute node offers the noop engine only (no node offers docker yet).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse as parseYaml } from 'yaml'
import type { Job } from '@shoal/models'
import { runCli } from '../../src/cli/program.ts'
import { memoryIo } from './cli-harness.ts'
import { startLiveRequester, type LiveRequester } from './live-requester.ts'

/**
 * Bacalhau's `docker run` flags (cmd/cli/docker/docker_run.go with cliflags' job, task and
 * run-time groups), with their shorthands; the deprecated --concurrency and -s/--selector are
 * hidden upstream too.
 */
const UPSTREAM_DOCKER_RUN_FLAGS = [
  '--name', '--namespace', '--priority', '-l, --labels', '--count', '--target', '--constraints',
  '--task-name', '-e, --env', '-i, --input', '-o, --output', '-p, --publisher', '--cpu', '--memory', '--disk', '--gpu',
  '--network', '--domain', '--timeout', '--queue-timeout',
  '--wait', '--wait-timeout-secs', '--id-only', '--node-details', '-f, --follow', '--dry-run',
  '-w, --workdir', '--entrypoint',
]
/** The groups `wasm run` shares with `docker run` (everything but docker's own two flags). */
const SHARED_FLAGS = UPSTREAM_DOCKER_RUN_FLAGS.filter((flag) => !flag.includes('--workdir') && !flag.includes('--entrypoint'))

describe('shoal docker run', { timeout: 30_000 }, () => {
  let live: LiveRequester

  const shoal = async (args: string[], extra: { stdin?: string; realTime?: boolean } = {}) => {
    const io = memoryIo({ env: { SHOAL_API_URL: live.url }, stdin: extra.stdin, realTime: extra.realTime })
    const code = await runCli(args, { io })
    return { code, stdout: io.stdout.text, stderr: io.stderr.text }
  }

  beforeAll(async () => {
    live = await startLiveRequester()
  })
  afterAll(async () => {
    await live?.stop()
  })

  it("--help lists Bacalhau's flags with their shorthands, and wasm run shares the job and task groups", async () => {
    const help = await shoal(['docker', 'run', '--help'])
    expect(help.code).toBe(0)
    expect(help.stdout).toMatch(/^Usage: shoal docker run \[options\] IMAGE\[:TAG\|@DIGEST\] \[COMMAND\] \[ARG\.\.\.\]/)
    const flagsOf = (text: string) => [...text.matchAll(/^ {2}((?:-\w, )?--[\w-]+)/gm)].map((m) => m[1])
    const docker = flagsOf(help.stdout)
    expect(UPSTREAM_DOCKER_RUN_FLAGS.filter((flag) => !docker.includes(flag))).toEqual([])
    const wasm = flagsOf((await shoal(['wasm', 'run', '--help'])).stdout)
    expect(SHARED_FLAGS.filter((flag) => !wasm.includes(flag))).toEqual([])
    expect(wasm).not.toContain('-w, --workdir')
  })

  it('--dry-run prints the job Bacalhau builds: engine docker with Image, Entrypoint, Parameters, WorkingDirectory, and the shared flags', async () => {
    const run = await shoal([
      'docker', 'run', '--dry-run',
      '-e', 'GREETING=hi', '-i', 'https://example.com/data.csv,dst=/data/in.csv', '-o', 'out:/outputs', '-p', 'noop',
      '--cpu', '500m', '--memory', '256Mb', '--network', 'HTTP', '--domain', 'example.com', '--timeout', '60', '--queue-timeout', '30',
      '--count', '2', '--constraints', 'zone=test', '-l', 'team=data', '--name', 'docker-dry', '--priority', '3',
      '-w', '/work', '--entrypoint', '/bin/sh,-c',
      'busybox:1.36', '--', 'echo $GREETING > /outputs/x',
    ])
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    const job = parseYaml(run.stdout) as Job
    expect(job).toMatchObject({ Name: 'docker-dry', Type: 'batch', Count: 2, Priority: 3, Labels: { team: 'data' } })
    expect(job.Constraints).toEqual([{ Key: 'zone', Operator: '=', Values: ['test'] }])
    const [task] = job.Tasks
    expect(task.Engine).toEqual({ Type: 'docker', Params: { Image: 'busybox:1.36', Entrypoint: ['/bin/sh', '-c'], Parameters: ['echo $GREETING > /outputs/x'], WorkingDirectory: '/work' } })
    expect(task.Env).toEqual({ GREETING: 'hi' })
    expect(task.InputSources).toEqual([{ Source: { Type: 'urlDownload', Params: { URL: 'https://example.com/data.csv' } }, Alias: 'https://example.com/data.csv', Target: '/data/in.csv' }])
    expect(task.ResultPaths).toEqual([{ Name: 'out', Path: '/outputs' }])
    expect(task.Publisher.Type).toBe('noop')
    expect(task.Resources).toMatchObject({ CPU: '500m', Memory: '256mb' })
    expect(task.Network).toEqual({ Type: 'HTTP', Domains: ['example.com'] })
    expect(task.Timeouts).toMatchObject({ TotalTimeout: 60, QueueTimeout: 30 })
    // As upstream: no network chosen leaves the Default (the node decides), and --target all is an ops job.
    const plain = parseYaml((await shoal(['docker', 'run', '--dry-run', '--target', 'all', 'busybox', 'echo', 'hi'])).stdout) as Job
    expect(plain.Type).toBe('ops')
    expect(plain.Tasks[0].Network.Type).toBe('Default')
    expect(plain.Tasks[0].Engine.Params).toEqual({ Image: 'busybox', Parameters: ['echo', 'hi'] })
  })

  it('refuses a relative --workdir, naming the flag', async () => {
    const run = await shoal(['docker', 'run', '--dry-run', '-w', 'work', 'busybox', 'pwd'])
    expect(run.code).toBe(1)
    expect(run.stderr).toContain('--workdir: must be an absolute path inside the container (have: work)')
  })

  it('`docker run busybox echo hi` fails at once while no node offers docker, naming what the nodes offer', async () => {
    const run = await shoal(['docker', 'run', 'busybox', 'echo', 'hi'])
    expect(run.code).toBe(1)
    expect(run.stderr).toMatch(/^Job successfully submitted\. Job ID: j-/)
    expect(run.stderr).toContain('failed: not enough nodes to run job: 0 of 1 node can run it — 1 lacks engine docker (it offers noop)')
    expect(run.stderr).not.toMatch(/Queued/)
    const idOnly = await shoal(['docker', 'run', '--id-only', '--wait=false', 'busybox', 'echo', 'hi'])
    expect(idOnly.code).toBe(0)
    expect(idOnly.stdout).toMatch(/^j-[0-9a-f-]+\n$/)
  })

  it('`job run` of an unknown engine type is accepted and fails at once with the engines the nodes offer', async () => {
    const spec = 'Name: vroom\nType: batch\nCount: 1\nTasks:\n  - Name: main\n    Engine:\n      Type: vroomvroom\n'
    const run = await shoal(['job', 'run', '-'], { stdin: spec })
    expect(run.code).toBe(1)
    expect(run.stderr).toContain('Job successfully submitted')
    expect(run.stderr).toContain('failed: not enough nodes to run job: 0 of 1 node can run it — 1 lacks engine vroomvroom (it offers noop)')
  })

  it('shows why a queued job (with a QueueTimeout) waits on the progress line of job run, job run --follow and job logs --follow', async () => {
    const queued = (name: string, timeout: number) =>
      `Name: ${name}\nType: batch\nCount: 1\nConstraints: [{ Key: zone, Operator: "=", Values: [nowhere] }]\nTasks:\n  - Name: main\n    Engine: { Type: noop }\n    Timeouts: { QueueTimeout: ${timeout} }\n`
    const reason = "Queued: 0 of 1 node can run it — 1 doesn't match constraint zone=nowhere; waiting up to"
    // job run: the wait gives up (the job keeps waiting); the reason was on the progress line.
    const run = await shoal(['job', 'run', '-', '--wait-timeout-secs', '2'], { stdin: queued('queued-run', 3600) })
    expect(run.code).toBe(0)
    expect(run.stderr).toContain(`  ${reason} 60 min (QueueTimeout)`)
    // job run --follow shows it too while no node has taken the job.
    const follow = await shoal(['job', 'run', '-', '--follow', '--wait-timeout-secs', '2'], { stdin: queued('queued-follow', 3600) })
    expect(follow.stderr).toContain(`  ${reason} 60 min (QueueTimeout)`)
    expect(follow.stderr).not.toContain('Streaming logs')
    // job logs --follow waits with the reason shown until the job fails at its QueueTimeout, then says why.
    const submitted = await shoal(['job', 'run', '-', '--wait=false'], { stdin: queued('queued-logs', 1) })
    const jobId = submitted.stdout.trim()
    const logs = await shoal(['job', 'logs', '--follow', jobId], { realTime: true })
    expect(logs.code).toBe(1)
    expect(logs.stderr).toContain(`  ${reason} 1 s (QueueTimeout)`)
    expect(logs.stderr).toContain(`job ${jobId} failed before it ran, so it has no logs: no node could take the job within its QueueTimeout of 1 s`)
  })
})

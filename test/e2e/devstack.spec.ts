// `shoal devstack` as a real process, driven by the real `shoal` CLI over loopback.
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Execution, Job, JobHistory, NodeState } from '@shoal/models'
import { JOB_FIXTURES, killAllShoals, removeTempDirs, runShoal, shoalJson, startDevstack, tempDir, wasmFixture, type RequesterProcess } from '../support/index.ts'

let stack: RequesterProcess
let allowedDir: string
let outsideDir: string

/** `shoal ARGS` against the devstack. */
const shoal = (args: string[], options: { cwd?: string; input?: string } = {}) => runShoal(args, { ...options, env: stack.env })
const json = <T>(args: string[]) => shoalJson<T>(args, { env: stack.env })

beforeAll(async () => {
  allowedDir = await tempDir('shoal-allowed-')
  outsideDir = await tempDir('shoal-outside-')
  await writeFile(join(allowedDir, 'data.txt'), 'rows of allow-listed data\n')
  await writeFile(join(outsideDir, 'secret.txt'), 'not for jobs\n')
  // No docker here: these tests need a network none of whose nodes offers docker (and a docker
  // job must never try to pull an image from the internet).
  stack = await startDevstack({ computes: 3, args: ['--allow-listed-local-paths', `${allowedDir}:ro`, '--docker', 'false'] })
})

afterAll(async () => {
  await stack?.process.stop()
  await killAllShoals()
  await removeTempDirs()
})

describe('shoal devstack', () => {
  it('prints where the API and the libp2p listener are, and has 3 compute nodes connected', async () => {
    expect(stack.process.stdout).toMatch(/^Shoal devstack ready in [\d.]+ s: 1 requester, 3 compute node\(s\)$/m)
    expect(stack.apiUrl).toBe(`http://127.0.0.1:${stack.port}`)
    expect(stack.wsMultiaddr).toMatch(new RegExp(`^/ip4/127\\.0\\.0\\.1/tcp/${stack.port + 1}/ws/p2p/12D3KooW\\w+$`))
    const nodes = await json<NodeState[]>(['node', 'list'])
    const computes = nodes.filter((n) => n.Info.NodeType === 'Compute')
    expect(computes).toHaveLength(3)
    expect(computes.every((n) => n.ConnectionState.Status === 'CONNECTED')).toBe(true)
  })

  it('runs a YAML job with an inline WASI module, and every job verb shows it', async () => {
    const run = await shoal(['job', 'run', join(JOB_FIXTURES, 'wasm-inline.yaml')])
    expect(run.stderr).toContain('Job successfully submitted')
    expect(run.code).toBe(0)
    expect(run.stdout).toBe('hello from shoal\n')
    const jobId = /Job ID: (j-[0-9a-f-]+)/.exec(run.stderr)![1]

    // describe: state, the execution and the node it ran on, the output
    // As the API answers (and `bacalhau job describe --output json`): lists as {Items, NextToken}.
    const described = await json<{ Job: Job; Executions: { Items: Execution[]; NextToken: string }; History: { Items: JobHistory[] } }>(['job', 'describe', jobId])
    expect(described.Job.State.StateType).toBe('Completed')
    expect(described.Job.Name).toBe('wasm-hello')
    expect(described.Executions.Items).toHaveLength(1)
    expect(described.History.Items.length).toBeGreaterThan(1)
    const [execution] = described.Executions.Items
    const nodeIds = (await json<NodeState[]>(['node', 'list'])).map((n) => n.Info.NodeID)
    expect(nodeIds).toContain(execution.NodeID)
    expect(execution.RunOutput?.ExitCode).toBe(0)
    const table = await shoal(['job', 'describe', jobId])
    expect(table.stdout).toMatch(/^State\s+= Completed$/m)
    expect(table.stdout).toContain(execution.ID.slice(0, 10))
    expect(table.stdout).toContain('hello from shoal')

    // list
    const listed = await json<Job[]>(['job', 'list', '--limit', '100'])
    expect(listed.find((j) => j.ID === jobId)?.State.StateType).toBe('Completed')

    // logs: the job's stdout
    const logs = await shoal(['job', 'logs', jobId])
    expect(logs.code).toBe(0)
    expect(logs.stdout).toContain('hello from shoal')

    // executions: one, completed, on that node
    const executions = await json<Execution[]>(['job', 'executions', jobId])
    expect(executions.map((e) => [e.ID, e.NodeID, e.RunOutput?.Stdout])).toEqual([[execution.ID, execution.NodeID, 'hello from shoal\n']])

    // history: submitted → running → the execution completed on the node → completed
    const history = await json<JobHistory[]>(['job', 'history', jobId])
    const events = history.map((h) => h.Event.Message)
    expect(events).toContain('Job submitted')
    expect(events.some((m) => m.includes(`completed on node ${execution.NodeID.slice(0, 10)}`) || m.includes(`completed on node ${execution.NodeID}`))).toBe(true)
    expect(history.at(-1)?.JobState?.New).toBe('Completed')

    // get: ./job-<id as typed>/ with stdout, stderr, exitCode under the working directory (as Bacalhau)
    const cwd = await tempDir('shoal-get-')
    const get = await shoal(['job', 'get', jobId], { cwd })
    expect(get.code).toBe(0)
    const dir = join(cwd, `job-${jobId}`)
    expect(get.stdout.trim().split('\n').at(-1)).toBe(dir)
    expect(await readFile(join(dir, 'stdout'), 'utf8')).toBe('hello from shoal\n')
    expect((await readFile(join(dir, 'exitCode'), 'utf8')).trim()).toBe('0')
  })

  it('mounts an allow-listed host file with -i file://…, and `job get` downloads what the job wrote under -o (an output it left empty is an empty folder, as upstream)', async () => {
    const cat = await shoal(['wasm', 'run', wasmFixture('cat'), '/inputs/x', '-i', `file://${join(allowedDir, 'data.txt')},dst=/inputs/x`])
    expect(cat.stderr).toContain('Job successfully submitted')
    expect(cat.code).toBe(0)
    expect(cat.stdout).toBe('rows of allow-listed data\n')

    const write = await shoal(['wasm', 'run', wasmFixture('write-file'), '--id-only', '-o', 'outputs:/outputs', '-o', 'unused:/unused', '--', '/outputs/deep/result.txt', 'written by the job'])
    expect(write.code).toBe(0)
    const jobId = write.stdout.trim()
    expect(jobId).toMatch(/^j-[0-9a-f-]{36}$/)
    const cwd = await tempDir('shoal-get-')
    await mkdir(join(cwd, 'results'))
    const get = await shoal(['job', 'get', jobId, '--output-dir', 'results'], { cwd })
    expect(get.code).toBe(0)
    expect(await readFile(join(cwd, 'results', 'outputs', 'deep', 'result.txt'), 'utf8')).toBe('written by the job')
    expect(await readFile(join(cwd, 'results', 'stdout'), 'utf8')).toBe('wrote /outputs/deep/result.txt\n')
    expect(await readdir(join(cwd, 'results', 'unused'))).toEqual([])
  })

  it('job get of a --count 2 job whose executions wrote the same file: refused naming it, nothing written; --raw keeps each', async () => {
    const write = await shoal(['wasm', 'run', wasmFixture('write-file'), '--count', '2', '--id-only', '-o', 'outputs:/outputs', '--', '/outputs/result.txt', 'same name'])
    expect(write.code, write.stderr).toBe(0)
    const jobId = write.stdout.trim()
    const cwd = await tempDir('shoal-get-')
    const merged = await shoal(['job', 'get', jobId], { cwd })
    expect(merged.code).toBe(1)
    expect(merged.stderr).toContain('Error: cannot merge results: more than one execution wrote outputs/result.txt.')
    expect(merged.stderr).toContain('--raw')
    expect(await readdir(cwd)).toEqual([])

    const short = jobId.slice(0, 10)
    const raw = await shoal(['job', 'get', short, '--raw'], { cwd })
    expect(raw.code, raw.stderr).toBe(0)
    const dir = join(cwd, `job-${short}`)
    expect(raw.stdout.trim()).toBe(dir)
    const executions = await json<Execution[]>(['job', 'executions', jobId])
    expect((await readdir(join(dir, 'raw'))).sort()).toEqual(executions.map((e) => e.ID).sort())
    for (const execution of executions) {
      expect(await readFile(join(dir, 'raw', execution.ID, 'outputs', 'result.txt'), 'utf8')).toBe('same name')
      expect(await readFile(join(dir, 'raw', execution.ID, 'stdout'), 'utf8')).toBe('wrote /outputs/result.txt\n')
    }
  })

  it('refuses a host path that is not allow-listed, saying which path and how to allow it', async () => {
    const secret = join(outsideDir, 'secret.txt')
    const run = await shoal(['wasm', 'run', wasmFixture('cat'), '/inputs/x', '-i', `file://${secret},dst=/inputs/x`])
    expect(run.code).toBe(1)
    expect(run.stdout).not.toContain('not for jobs')
    expect(run.stderr).toContain(`local path ${secret} is not allow-listed on this compute node`)
    expect(run.stderr).toContain('--allow-listed-local-paths')
  })

  it('runs Count=3 on 3 distinct nodes with partition indexes 0, 1 and 2', async () => {
    const run = await shoal(['wasm', 'run', wasmFixture('env-args'), '--count', '3', '--id-only'])
    expect(run.code).toBe(0)
    const jobId = run.stdout.trim()
    const executions = await json<Execution[]>(['job', 'executions', jobId])
    expect(executions).toHaveLength(3)
    const printed = executions.map((e) => Number(/^env BACALHAU_PARTITION_INDEX=(\d+)$/m.exec(e.RunOutput?.Stdout ?? '')?.[1]))
    expect(new Set(printed)).toEqual(new Set([0, 1, 2]))
    expect(executions.every((e) => /^env BACALHAU_PARTITION_INDEX=(\d+)$/m.exec(e.RunOutput!.Stdout)![1] === String(e.PartitionIndex))).toBe(true)
    expect(new Set(executions.map((e) => e.NodeID)).size).toBe(3)
    expect(executions.every((e) => /^env BACALHAU_PARTITION_COUNT=3$/m.test(e.RunOutput!.Stdout))).toBe(true)
  })

  it('fails `shoal docker run busybox echo hi` at once while no node offers docker, naming the engines the nodes offer', async () => {
    const nodes = await json<NodeState[]>(['node', 'list'])
    const engines = [...new Set(nodes.flatMap((n) => n.Info.ComputeNodeInfo?.ExecutionEngines ?? []))].sort()
    expect(engines).not.toContain('docker')
    const run = await shoal(['docker', 'run', 'busybox', 'echo', 'hi'])
    expect(run.code).toBe(1)
    expect(run.stdout).toBe('')
    expect(run.stderr).toContain('Job successfully submitted')
    expect(run.stderr).toContain(`failed: not enough nodes to run job: 0 of 3 nodes can run it — 3 lack engine docker (they offer ${engines.join(', ')})`)
    // It never waited in the queue: no Queued state, and the default QueueTimeout is none.
    expect(run.stderr).not.toContain('Queued')
    const jobId = /Job ID: (j-[0-9a-f-]+)/.exec(run.stderr)![1]
    const history = await json<JobHistory[]>(['job', 'history', jobId])
    expect(history.map((h) => h.JobState?.New).filter((state) => state !== undefined)).not.toContain('Queued')
  })

  it('accepts a job with an engine type no node knows and fails it at once, as Bacalhau ("not enough nodes … vroomvroom")', async () => {
    const spec = ['Name: vroom', 'Type: batch', 'Count: 1', 'Tasks:', '  - Name: main', '    Engine:', '      Type: vroomvroom', ''].join('\n')
    const run = await shoal(['job', 'run', '-'], { input: spec })
    expect(run.code).toBe(1)
    expect(run.stderr).toContain('Job successfully submitted')
    expect(run.stderr).toMatch(/failed: not enough nodes to run job: 0 of 3 nodes can run it — 3 lack engine vroomvroom \(they offer [a-z, ]*wasm[a-z, ]*\)/)
  })

  it('queues a job no node can run when it has a QueueTimeout, shows why live on the progress line, and fails it at its QueueTimeout', async () => {
    const spec = ['Name: needs-docker', 'Type: batch', 'Count: 1', 'Tasks:', '  - Name: main', '    Engine:', '      Type: docker', '      Params:', '        Image: ubuntu:24.04', '    Timeouts:', '      QueueTimeout: 3', ''].join('\n')
    // `job run` waits, shows the job Queued with its reason, and fails once its QueueTimeout has passed.
    const run = await shoal(['job', 'run', '-'], { input: spec })
    expect(run.code).toBe(1)
    const jobId = /Job ID: (j-[0-9a-f-]+)/.exec(run.stderr)![1]
    expect(run.stderr).toMatch(/^Job j-\w+ {2}Queued: 0 of 3 nodes can run it — 3 lack engine docker \(they offer [^)]+\); waiting up to 3 s \(QueueTimeout\) for nodes to join or free up$/m)
    expect(run.stderr).toMatch(/failed: no node could take the job within its QueueTimeout of 3 s: 0 of 3 nodes can run it — 3 lack engine docker/)

    const history = await json<JobHistory[]>(['job', 'history', jobId])
    const queuedEvent = history.find((h) => h.JobState?.New === 'Queued')
    expect(queuedEvent?.Event.Message).toMatch(/queued: 0 of 3 nodes can run it — 3 lack engine docker/)
    const final = await json<{ Job: Job }>(['job', 'describe', jobId])
    expect(final.Job.State.StateType).toBe('Failed')
    expect(history.at(-1)?.JobState?.New).toBe('Failed')
  })
  it('stops on SIGTERM (Ctrl-C) by itself, with exit code 0', async () => {
    const exit = await stack.process.stop('SIGTERM', 10_000)
    expect(exit, stack.process.describeOutput()).toEqual({ code: 0, signal: null })
    const after = await runShoal(['job', 'list'], { env: stack.env })
    expect(after.code).toBe(3)
  })
})

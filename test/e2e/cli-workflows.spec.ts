// What a user does with the `shoal` CLI beyond submit-and-wait: follow a job's output live, stop
// and rerun jobs, approve or reject compute nodes, and talk to a requester that requires tokens.
// Real `shoal serve` processes over loopback, driven by the real CLI.
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import wabtInit from 'wabt'
import { ExecutionState, TERMINAL_EXECUTION_STATES, type Execution, type Job, type NodeState } from '@shoal/models'
import {
  inlineWasmJob,
  killAllShoals,
  removeTempDirs,
  runShoal,
  shoalJson,
  spawnShoal,
  startCompute,
  startRequester,
  tempDir,
  waitForComputeNodes,
  waitForJobState,
  waitUntil,
  wasmFixture,
  type ComputeProcess,
  type RequesterProcess,
} from '../support/index.ts'

/** A WASI module printing `tick 0` … `tick <count-1>`, one line every `intervalMs` (it sleeps with poll_oneoff). */
function tickerWat(count: number, intervalMs: number): string {
  return `(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 128) "tick 0\\n")
  (func (export "_start") (local $i i32)
    ;; iovec {128, 7} at 0; a relative monotonic-clock subscription at 16
    (i32.store (i32.const 0) (i32.const 128))
    (i32.store (i32.const 4) (i32.const 7))
    (i32.store (i32.const 32) (i32.const 1))
    (i64.store (i32.const 40) (i64.const ${intervalMs * 1_000_000}))
    (loop $next
      (i32.store8 (i32.const 133) (i32.add (i32.const 48) (local.get $i)))
      (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
      (drop (call $poll (i32.const 16) (i32.const 64) (i32.const 1) (i32.const 12)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $next (i32.lt_u (local.get $i) (i32.const ${count}))))))`
}

const TICKS = 6
const ticks = (count: number) => Array.from({ length: count }, (_, i) => `tick ${i}\n`).join('')

let work: string
/** Job spec files, by name. */
const jobs: Record<string, string> = {}

async function writeJob(name: string, spec: Record<string, unknown>): Promise<string> {
  const path = join(work, `${name}.json`)
  await writeFile(path, JSON.stringify(spec))
  jobs[name] = path
  return path
}

beforeAll(async () => {
  work = await tempDir('shoal-cli-workflows-')
  const wabt = await wabtInit()
  const ticker = wabt.parseWat('ticker.wat', tickerWat(TICKS, 400))
  const tickerPath = join(work, 'ticker.wasm')
  await writeFile(tickerPath, ticker.toBinary({}).buffer)
  ticker.destroy()
  // A named job submitted twice unchanged is refused ("use job rerun"): each test has its own name.
  for (const name of ['ticker-run', 'ticker-logs']) await writeJob(name, inlineWasmJob(tickerPath, { name, executionTimeoutS: 60 }))
  // The compute node of the first stack offers one CPU: a 1-CPU job occupies it entirely.
  await writeJob('loop', inlineWasmJob(wasmFixture('loop'), { name: 'forever', cpu: '1', executionTimeoutS: 300 }))
  for (const name of ['hello-after-stop', 'hello-rerun', 'hello-token']) await writeJob(name, inlineWasmJob(wasmFixture('hello'), { name, cpu: '1' }))
  // Waits for a node to be approved: without a QueueTimeout a job no node can take fails at once.
  await writeJob('hello-queued', inlineWasmJob(wasmFixture('hello'), { name: 'hello-queued', cpu: '1', queueTimeoutS: 120 }))
})

afterAll(async () => {
  await killAllShoals()
  await removeTempDirs()
})

describe('following, stopping and rerunning jobs', () => {
  let requester: RequesterProcess
  const shoal = (args: string[]) => runShoal(args, { env: requester.env })
  const json = <T>(args: string[]) => shoalJson<T>(args, { env: requester.env })

  beforeAll(async () => {
    requester = await startRequester()
    const compute = await startCompute(requester.wsMultiaddr, { capacityCpu: '1' })
    await waitForComputeNodes(requester.client, 1, { nodeIds: [compute.nodeId] })
  })

  it('job run --follow prints each line of the job while it runs, then exits 0', async () => {
    const run = spawnShoal(['job', 'run', jobs['ticker-run'], '--follow'], { env: requester.env })
    await run.waitForLine(/^tick 0$/m, 20_000)
    // The first line arrives before the job has written its last one: it is streamed, not replayed at the end.
    expect(run.stdout).not.toContain(`tick ${TICKS - 1}`)
    expect(run.running).toBe(true)
    const exit = await run.exited
    expect(exit.code, run.describeOutput()).toBe(0)
    expect(run.stdout).toContain(ticks(TICKS))
  })

  it('job logs --follow on a running job streams until the execution ends', async () => {
    const submit = await shoal(['job', 'run', jobs['ticker-logs'], '--no-wait'])
    expect(submit.code, submit.stderr).toBe(0)
    const jobId = submit.stdout.trim()
    await waitForJobState(requester.client, jobId, { state: 'Running' })
    const logs = spawnShoal(['job', 'logs', jobId, '--follow'], { env: requester.env })
    await logs.waitForLine(/^tick \d$/m, 20_000)
    expect(logs.stdout).not.toContain(`tick ${TICKS - 1}`)
    const exit = await logs.exited
    expect(exit.code, logs.describeOutput()).toBe(0)
    expect(logs.stdout).toBe(ticks(TICKS))
    expect((await waitForJobState(requester.client, jobId)).State.StateType).toBe('Completed')
  })

  it('job stop ends a running job as Stopped, and the compute node takes the next job at once', async () => {
    const submit = await shoal(['job', 'run', jobs.loop, '--no-wait'])
    expect(submit.code, submit.stderr).toBe(0)
    const jobId = submit.stdout.trim()
    await waitForJobState(requester.client, jobId, { state: 'Running' })

    const stop = await shoal(['job', 'stop', jobId, '--reason', 'enough'])
    expect(stop.code, stop.stderr).toBe(0)
    expect(stop.stdout).toMatch(/^Job stop successfully submitted with evaluation ID: \S+$/m)
    expect((await waitForJobState(requester.client, jobId)).State.StateType).toBe('Stopped')
    // Stopping it again is refused, as Bacalhau refuses a job in a terminal state.
    const again = await shoal(['job', 'stop', jobId])
    expect(again.code).toBe(1)
    expect(again.stderr).toBe(`Error: job ${jobId} is already in a terminal state (Stopped); there is nothing to stop. It was stopped before.\n`)
    const executions = await waitUntil(
      async () => {
        const list = await json<Execution[]>(['job', 'executions', jobId])
        return list.length > 0 && list.every((e) => TERMINAL_EXECUTION_STATES.includes(e.ComputeState.StateType)) ? list : undefined
      },
      { what: `the executions of ${jobId} to end`, timeoutMs: 15_000 },
    )
    expect(executions.map((e) => e.ComputeState.StateType)).toEqual([ExecutionState.Cancelled])

    // The node offers one CPU and both jobs need it: the next job runs only if the stopped one let go.
    const hello = await shoal(['job', 'run', jobs['hello-after-stop']])
    expect(hello.code, hello.stderr).toBe(0)
    expect(hello.stdout).toBe('hello from wasm\n')
  })

  it('job rerun runs a completed job again as a new execution that completes', async () => {
    const first = await shoal(['job', 'run', jobs['hello-rerun'], '--id-only'])
    expect(first.code, first.stderr).toBe(0)
    const jobId = first.stdout.trim()
    const [before] = await json<Execution[]>(['job', 'executions', jobId])
    expect(before.ComputeState.StateType).toBe(ExecutionState.Completed)

    // As `bacalhau job rerun`: it waits for the new run and prints its output, like job run.
    const rerun = await shoal(['job', 'rerun', jobId])
    expect(rerun.code, rerun.stderr).toBe(0)
    expect(rerun.stderr).toMatch(new RegExp(`^Job successfully rerun\\. Job ID: ${jobId} \\(version \\d+, evaluation \\S+\\)$`, 'm'))
    expect(rerun.stdout).toBe('hello from wasm\n')
    // `job executions` lists the executions of the job's current version: the rerun's.
    const [after] = await waitUntil(
      async () => {
        const list = await json<Execution[]>(['job', 'executions', jobId])
        return list.length === 1 && list[0].ID !== before.ID && list[0].ComputeState.StateType === ExecutionState.Completed ? list : undefined
      },
      { what: `a new completed execution of ${jobId}`, timeoutMs: 20_000 },
    )
    expect(after.JobVersion).toBe(before.JobVersion + 1)
    expect(after.RunOutput?.Stdout).toBe('hello from wasm\n')
    expect((await waitForJobState(requester.client, jobId)).State.StateType).toBe('Completed')
  })
})

describe('a requester with --manual-approval', () => {
  let requester: RequesterProcess
  let first: ComputeProcess
  const shoal = (args: string[]) => runShoal(args, { env: requester.env })
  const json = <T>(args: string[]) => shoalJson<T>(args, { env: requester.env })
  const membership = async (nodeId: string) => (await json<NodeState[]>(['node', 'list'])).find((n) => n.Info.NodeID === nodeId)?.Membership

  beforeAll(async () => {
    requester = await startRequester({ args: ['--manual-approval'] })
    first = await startCompute(requester.wsMultiaddr)
    await waitUntil(async () => (await membership(first.nodeId)) === 'PENDING', { what: `${first.nodeId} to be listed as PENDING` })
  })

  it('gives a PENDING node no work: the job stays Queued and says why, until `node approve`', async () => {
    const submit = await shoal(['job', 'run', jobs['hello-queued'], '--no-wait'])
    expect(submit.code, submit.stderr).toBe(0)
    const jobId = submit.stdout.trim()
    const queued = await waitForJobState(requester.client, jobId, { state: 'Queued' })
    // The explanation names the reason and the fix.
    expect(queued.State.Message).toMatch(/0 of 1 node can run it — 1 awaits approval \(shoal node approve <id>\)/)
    const described = await shoal(['job', 'describe', jobId])
    expect(described.stdout).toMatch(/^State\s+= Queued$/m)
    expect(described.stdout).toContain(queued.State.Message)
    expect(await json<Execution[]>(['job', 'executions', jobId])).toEqual([])

    const approve = await shoal(['node', 'approve', first.nodeId])
    expect(approve.code, approve.stderr).toBe(0)
    expect(approve.stdout).toBe(`Node ${first.nodeId} approved.\n`)
    expect(await membership(first.nodeId)).toBe('APPROVED')
    const job = await waitForJobState(requester.client, jobId, { timeoutMs: 20_000 })
    expect(job.State.StateType).toBe('Completed')
    const [execution] = await json<Execution[]>(['job', 'executions', jobId])
    expect(execution.NodeID).toBe(first.nodeId)
  })

  it('node reject marks a node REJECTED', async () => {
    const second = await startCompute(requester.wsMultiaddr)
    await waitUntil(async () => (await membership(second.nodeId)) === 'PENDING', { what: `${second.nodeId} to be listed as PENDING` })
    const reject = await shoal(['node', 'reject', second.nodeId, '-m', 'unknown operator'])
    expect(reject.code, reject.stderr).toBe(0)
    expect(reject.stdout).toBe(`Node ${second.nodeId} rejected.\n`)
    expect(await membership(second.nodeId)).toBe('REJECTED')
  })
})

describe('a requester started with --api-tokens', () => {
  let requester: RequesterProcess
  const as = (token: string | undefined, args: string[]) => runShoal(args, { env: { ...requester.env, SHOAL_API_TOKEN: token } })

  beforeAll(async () => {
    requester = await startRequester({ args: ['--api-tokens', 'writer-e2e:read,write;reader-e2e:read'] })
  })

  it('says it requires tokens when it starts', () => {
    expect(requester.process.stdout).toMatch(/^\s+Auth:\s+bearer token required on the API \(2 token\(s\) configured\)$/m)
  })

  it('without a token: exit 1 and one line naming --api-token and SHOAL_API_TOKEN', async () => {
    const run = await as(undefined, ['job', 'list'])
    expect(run.code).toBe(1)
    expect(run.stdout).toBe('')
    expect(run.stderr).toBe('Error: the requester needs an API token: pass --api-token or set SHOAL_API_TOKEN (or `shoal config set api.token <token>`).\n')
  })

  it('a read token lists jobs but cannot submit; a write token submits', async () => {
    expect((await as('reader-e2e', ['job', 'list'])).code).toBe(0)
    const refused = await as('reader-e2e', ['job', 'run', jobs['hello-token'], '--no-wait'])
    expect(refused.code).toBe(1)
    expect(refused.stderr.trimEnd().split('\n')).toHaveLength(1)
    expect(refused.stderr).toMatch(/^Error: this token may only read /)

    const submit = await as('writer-e2e', ['job', 'run', jobs['hello-token'], '--no-wait'])
    expect(submit.code, submit.stderr).toBe(0)
    const jobId = submit.stdout.trim()
    const listed = await shoalJson<Job[]>(['job', 'list'], { env: { ...requester.env, SHOAL_API_TOKEN: 'reader-e2e' } })
    expect(listed.map((j) => j.ID)).toContain(jobId)
    // The flag works as well as the environment variable.
    expect((await runShoal(['--api-token', 'reader-e2e', 'job', 'describe', jobId], { env: requester.env })).code).toBe(0)
  })
})

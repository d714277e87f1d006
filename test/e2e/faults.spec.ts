// Faults across real processes: a compute node killed mid-job, a requester killed mid-flight.
import { afterEach, describe, expect, it } from 'vitest'
import { ExecutionState, executionStateName, shortId, type Execution, type Job } from '@shoal/models'
import {
  inlineWasmJob,
  killAllShoals,
  removeTempDirs,
  runShoal,
  shoalJson,
  startCompute,
  startRequester,
  waitForComputeNodes,
  waitForJobState,
  waitUntil,
  wasmFixture,
  type ComputeProcess,
} from '../support/index.ts'

afterEach(async () => {
  await killAllShoals()
  await removeTempDirs()
})

const stateNames = (executions: Execution[]) => executions.map((e) => `${e.NodeID.slice(0, 10)}:${executionStateName(e.ComputeState.StateType)}`).join(', ')

describe('a compute node dies while running a job', () => {
  it('the requester notices it is gone (connection closed, or heartbeats missed) and the job completes on the other node', async () => {
    const requester = await startRequester()
    const computes: ComputeProcess[] = await Promise.all([startCompute(requester.wsMultiaddr), startCompute(requester.wsMultiaddr)])
    await waitForComputeNodes(requester.client, 2, { nodeIds: computes.map((c) => c.nodeId) })

    // ~3 s of CPU on this machine; no time limit that could end it first.
    const spec = inlineWasmJob(wasmFixture('compute'), { name: 'long-compute', args: ['1000000000'], executionTimeoutS: 300 })
    const submitted = await runShoal(['job', 'run', '-', '--wait=false'], { env: requester.env, input: JSON.stringify(spec) })
    expect(submitted.code, submitted.stderr).toBe(0)
    const jobId = submitted.stdout.trim()

    const first = await waitUntil(
      async () => (await requester.client.jobExecutions(jobId)).Items.find((e) => e.ComputeState.StateType === ExecutionState.Running),
      { what: `an execution of ${jobId} to be Running`, timeoutMs: 15_000 },
    )
    const victim = computes.find((c) => c.nodeId === first.NodeID)!
    const survivor = computes.find((c) => c !== victim)!
    expect(victim, `the execution ran on ${first.NodeID}, not one of our nodes`).toBeDefined()
    victim.process.kill('SIGKILL')
    await victim.process.exited

    const job = await waitForJobState(requester.client, jobId, { timeoutMs: 30_000 })
    const executions = await shoalJson<Execution[]>(['job', 'executions', jobId], { env: requester.env })
    expect(job.State.StateType, `executions: ${stateNames(executions)}`).toBe('Completed')

    // The first attempt is recorded as failed on the dead node; the retry completed on the other one.
    const lost = executions.find((e) => e.ID === first.ID)!
    expect(lost.NodeID).toBe(victim.nodeId)
    expect(executionStateName(lost.ComputeState.StateType)).toMatch(/^(Failed|Cancelled)$/)
    const retried = executions.filter((e) => e.ID !== first.ID)
    expect(retried.map((e) => [e.NodeID, executionStateName(e.ComputeState.StateType)])).toEqual([[survivor.nodeId, 'Completed']])
    expect(retried[0].RunOutput?.Stdout).toMatch(/^\d+\n$/)

    const nodes = await requester.client.listNodes()
    expect(nodes.Nodes.find((n) => n.Info.NodeID === victim.nodeId)?.ConnectionState.Status).toBe('DISCONNECTED')
    // The history tells the story: the first execution failed with the node, the retry completed.
    const history = await requester.client.jobHistory(jobId, { limit: 100 })
    const messages = history.Items.map((h) => h.Event.Message)
    expect(messages).toContainEqual(expect.stringMatching(new RegExp(`^execution ${shortId(first.ID)} on node ${shortId(victim.nodeId)} failed: node ${shortId(victim.nodeId)} .* while running this execution .*retrying on another node \\(attempt 2 of 3\\)$`)))
    expect(messages).toContain(`execution ${shortId(retried[0].ID)} completed on node ${shortId(survivor.nodeId)} (exit code 0)`)
  })
})

describe('a compute node freezes while running a job', () => {
  it('is declared lost after missed heartbeats, the job completes elsewhere, and its late result does not count twice', async () => {
    const requester = await startRequester()
    const computes = await Promise.all([startCompute(requester.wsMultiaddr), startCompute(requester.wsMultiaddr)])
    await waitForComputeNodes(requester.client, 2, { nodeIds: computes.map((c) => c.nodeId) })
    const job = await requester.client.putJob(inlineWasmJob(wasmFixture('compute'), { args: ['600000000'], executionTimeoutS: 300 }))
    const first = await waitUntil(
      async () => (await requester.client.jobExecutions(job.JobID)).Items.find((e) => e.ComputeState.StateType === ExecutionState.Running),
      { what: `an execution of ${job.JobID} to be Running`, timeoutMs: 15_000 },
    )
    const frozen = computes.find((c) => c.nodeId === first.NodeID)!
    // SIGSTOP keeps its connection open: only the missing heartbeats (1 s × 3 by default) give it away.
    frozen.process.kill('SIGSTOP')
    try {
      const done = await waitForJobState(requester.client, job.JobID, { timeoutMs: 30_000 })
      expect(done.State.StateType).toBe('Completed')
      const history = (await requester.client.jobHistory(job.JobID, { limit: 100 })).Items.map((h) => h.Event.Message)
      expect(history).toContainEqual(expect.stringMatching(new RegExp(`^execution ${shortId(first.ID)} on node ${shortId(frozen.nodeId)} failed: node ${shortId(frozen.nodeId)} stopped sending heartbeats`)))
    } finally {
      frozen.process.kill('SIGCONT')
    }
    // Awake again, the node reconnects and reports what it finished; the job stays completed once.
    await waitForComputeNodes(requester.client, 2, { nodeIds: computes.map((c) => c.nodeId), timeoutMs: 30_000 })
    await waitUntil(async () => !(await requester.client.jobExecutions(job.JobID)).Items.some((e) => e.ComputeState.StateType === ExecutionState.Running), {
      what: `no execution of ${job.JobID} to be Running after the frozen node woke up`,
      timeoutMs: 15_000,
    })
    const { Items } = await requester.client.jobExecutions(job.JobID)
    expect(Items.filter((e) => e.ComputeState.StateType === ExecutionState.Completed), stateNames(Items)).toHaveLength(1)
    expect((await requester.client.getJob(job.JobID)).Job.State.StateType).toBe('Completed')
  })
})

describe('the requester dies with jobs in flight', () => {
  it('after a restart with the same data dir and port, every job completes exactly once and none is lost', async () => {
    const requester = await startRequester()
    const computes = await Promise.all([startCompute(requester.wsMultiaddr), startCompute(requester.wsMultiaddr)])
    const nodeIds = computes.map((c) => c.nodeId)
    await waitForComputeNodes(requester.client, 2, { nodeIds })

    // 20 short jobs (~0.2 s of CPU each), submitted without waiting. More than the nodes run at
    // once: they wait their turn (and for the nodes to come back) within their QueueTimeout.
    const jobIds = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const answer = await requester.client.putJob(inlineWasmJob(wasmFixture('compute'), { name: `flight-${i}`, args: ['60000000'], cpu: '1', executionTimeoutS: 120, queueTimeoutS: 300 }))
        return answer.JobID
      }),
    )
    expect(new Set(jobIds).size).toBe(20)
    // Kill it once the work is under way, before it is all done.
    await waitUntil(
      async () => {
        const { Items } = await requester.client.listJobs({ limit: 100 })
        return Items.some((j) => j.State.StateType === 'Completed' || j.State.StateType === 'Running')
      },
      { what: 'the first of the 20 jobs to start', timeoutMs: 15_000, intervalMs: 20 },
    )
    const before = (await requester.client.listJobs({ limit: 100 })).Items
    requester.process.kill('SIGKILL')
    await requester.process.exited
    const doneBefore = before.filter((j) => j.State.StateType === 'Completed').length
    expect(doneBefore, 'the requester must die with work still in flight').toBeLessThan(20)

    const restarted = await startRequester({ port: requester.port, dataDir: requester.dataDir })
    expect(restarted.wsMultiaddr, 'the peer ID (from the data dir) and the ws address must survive the restart').toBe(requester.wsMultiaddr)
    await waitForComputeNodes(restarted.client, 2, { nodeIds, timeoutMs: 30_000 })

    const final = await waitUntil(
      async () => {
        const { Items } = await restarted.client.listJobs({ limit: 100 })
        const ours = Items.filter((j) => jobIds.includes(j.ID))
        return ours.length === 20 && ours.every((j) => j.State.StateType === 'Completed') ? ours : undefined
      },
      { what: 'all 20 jobs to be Completed after the restart', timeoutMs: 40_000, intervalMs: 250 },
    ).catch(async (error: Error) => {
      const { Items } = await restarted.client.listJobs({ limit: 100 })
      const states = Items.map((j) => `${j.Name}=${j.State.StateType}${j.State.Message ? ` (${j.State.Message})` : ''}`).join('\n  ')
      throw new Error(`${error.message}\n  ${states}`)
    })
    expect(final).toHaveLength(20)

    // The CLI sees the same: 20 jobs, each listed once.
    const listed = await shoalJson<Job[]>(['job', 'list', '--all', '--limit', '50'], { env: restarted.env })
    expect(listed.map((j) => j.ID).sort()).toEqual([...jobIds].sort())

    // Each job ran exactly once: one execution, Completed. Executions that ended while the
    // requester was down are reported after the reconnect and kept, not failed and run again.
    for (const jobId of jobIds) {
      const { Items } = await restarted.client.jobExecutions(jobId, { limit: 100 })
      const completed = Items.filter((e) => e.ComputeState.StateType === ExecutionState.Completed)
      expect(completed, `${jobId}: ${stateNames(Items)}`).toHaveLength(1)
      expect(nodeIds).toContain(completed[0].NodeID)
      expect(completed[0].RunOutput?.Stdout).toMatch(/^\d+\n$/)
      const history = await restarted.client.jobHistory(jobId, { limit: 100 })
      expect(Items, `${jobId} ran more than once:\n${history.Items.map((h) => h.Event.Message).join('\n')}`).toHaveLength(1)
    }
  })
})

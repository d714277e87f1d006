// The requester SIGKILLed again and again under load: after each restart (same data dir and
// port) the compute nodes reconnect and report what they finished meanwhile. No job may be lost
// and none may run twice. Sizes: SHOAL_E2E_KILLS (default 5) kills of SHOAL_E2E_KILL_JOBS
// (default 120) jobs each; the issue's figure was 5 × 500 (run by hand with SHOAL_E2E_KILL_JOBS=500).
import { afterEach, describe, expect, it } from 'vitest'
import { ExecutionState, executionStateName, type Execution, type Job } from '@shoal/models'
import {
  inlineWasmJob,
  killAllShoals,
  removeTempDirs,
  startCompute,
  startRequester,
  waitForComputeNodes,
  waitUntil,
  wasmFixture,
  type ComputeProcess,
  type RequesterProcess,
} from '../support/index.ts'

afterEach(async () => {
  await killAllShoals()
  await removeTempDirs()
})

const KILLS = Number(process.env.SHOAL_E2E_KILLS ?? 5)
const JOBS_PER_KILL = Number(process.env.SHOAL_E2E_KILL_JOBS ?? 120)
/** Executions each compute node ran to the end, from its own log (`execution <id> completed`). */
const ranOn = (compute: ComputeProcess): string[] => [...compute.process.stderr.matchAll(/execution (e-[0-9a-f-]+) completed/g)].map((m) => m[1])

async function submitAll(requester: RequesterProcess, round: number, count: number): Promise<string[]> {
  const spec = (i: number) => inlineWasmJob(wasmFixture('compute'), { name: `kill-${round}-${i}`, args: ['200000'], cpu: '250m', executionTimeoutS: 300, queueTimeoutS: 3600 })
  const ids: string[] = []
  // Bounded concurrency: the API is not the subject here.
  for (let start = 0; start < count; start += 20) {
    const batch = await Promise.all(Array.from({ length: Math.min(20, count - start) }, async (_, k) => (await requester.client.putJob(spec(start + k))).JobID))
    ids.push(...batch)
  }
  return ids
}

describe('the requester is SIGKILLed repeatedly under load', () => {
  it(`loses no job and runs none twice over ${KILLS} kills of ${JOBS_PER_KILL} jobs each`, async () => {
    let requester = await startRequester({ timeoutMs: 60_000 })
    const requesters = [requester]
    const computes = await Promise.all([0, 1].map(() => startCompute(requester.wsMultiaddr, { capacityCpu: '2', timeoutMs: 60_000 })))
    const nodeIds = computes.map((c) => c.nodeId)
    await waitForComputeNodes(requester.client, 2, { nodeIds, timeoutMs: 60_000 })

    const jobIds: string[] = []
    for (let round = 0; round < KILLS; round++) {
      const ranBefore = computes.reduce((sum, c) => sum + ranOn(c).length, 0)
      jobIds.push(...(await submitAll(requester, round, JOBS_PER_KILL)))
      // Kill once a fifth of this round has run on the nodes, with the rest in flight.
      await waitUntil(() => computes.reduce((sum, c) => sum + ranOn(c).length, 0) - ranBefore >= JOBS_PER_KILL / 5, {
        what: `a fifth of round ${round}'s jobs to run`,
        timeoutMs: 120_000,
        intervalMs: 5,
      })
      requester.process.kill('SIGKILL')
      await requester.process.exited
      requester = await startRequester({ port: requester.port, dataDir: requester.dataDir, timeoutMs: 60_000 })
      requesters.push(requester)
      await waitForComputeNodes(requester.client, 2, { nodeIds, timeoutMs: 60_000 })
    }

    const jobs = await waitUntil(
      async () => {
        const all: Job[] = []
        for await (const job of requester.client.iterateJobs({ limit: 500 })) all.push(job)
        const ours = all.filter((j) => jobIds.includes(j.ID))
        return ours.length === jobIds.length && ours.every((j) => j.State.StateType === 'Completed' || j.State.StateType === 'Failed') ? ours : undefined
      },
      { what: `all ${jobIds.length} jobs to end`, timeoutMs: 300_000, intervalMs: 1000 },
    )
    // None lost.
    const notCompleted = jobs.filter((j) => j.State.StateType !== 'Completed')
    expect(notCompleted.map((j) => `${j.Name}: ${j.State.StateType} ${j.State.Message ?? ''}`)).toEqual([])

    // None run twice: each job has exactly one execution the nodes ran to the end, and it is the
    // one the requester recorded as Completed.
    const ran = new Map<string, number>()
    for (const id of computes.flatMap(ranOn)) ran.set(id, (ran.get(id) ?? 0) + 1)
    const executionsByJob = new Map<string, Execution[]>()
    for (let start = 0; start < jobIds.length; start += 25) {
      await Promise.all(
        jobIds.slice(start, start + 25).map(async (jobId) => executionsByJob.set(jobId, (await requester.client.jobExecutions(jobId, { limit: 100 })).Items)),
      )
    }
    const twice: string[] = []
    let extraExecutions = 0
    for (const jobId of jobIds) {
      const executions = executionsByJob.get(jobId)!
      extraExecutions += executions.length - 1
      const runs = executions.reduce((sum, e) => sum + (ran.get(e.ID) ?? 0), 0)
      const completed = executions.filter((e) => e.ComputeState.StateType === ExecutionState.Completed)
      if (runs !== 1 || completed.length !== 1 || ran.get(completed[0].ID) !== 1) {
        twice.push(`${jobId}: ran ${runs}× — ${executions.map((e) => `${e.ID.slice(0, 10)}@${e.NodeID.slice(0, 10)}:${executionStateName(e.ComputeState.StateType)} ${e.ComputeState.Message ?? ''} (ran ${ran.get(e.ID) ?? 0})`).join('; ')}`)
      }
    }
    console.log(`requester kills: ${KILLS}, jobs: ${jobIds.length}, completed: ${jobs.length - notCompleted.length}, node runs: ${[...ran.values()].reduce((a, b) => a + b, 0)}, jobs not run exactly once: ${twice.length}, executions beyond one per job (never ran): ${extraExecutions}`)
    // On failure, what each requester life said about losing nodes.
    const lostLines = requesters.flatMap((r, life) => r.process.stderr.split('\n').filter((l) => /compute node lost|heartbeat check ran late/.test(l)).map((l) => `life ${life}: ${l}`))
    expect(twice, lostLines.join('\n')).toEqual([])
  }, 1_200_000)
})

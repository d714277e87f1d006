/**
 * Measures whether clients waiting on jobs slow a requester down: the time a requester (SQLite
 * store, one noop compute node, REST API on loopback) takes to run N jobs submitted 32 at a time,
 * alone, with 16 clients polling GET /orchestrator/jobs/{id}?include=executions every 100 ms
 * (as a Bacalhau CLI user's `job run` would), and with 16 clients long polling
 * GET /api/v1/shoal/jobs/{id}/wait. The watching clients run in a child process, so only the
 * requester's share of their cost lands on the measured event loop.
 *
 *   node node-runner/scripts/measure-job-wait.ts [jobs=300] [rounds=3]
 */
import { spawn } from 'node:child_process'
import { createClient } from '@shoal/client'
import { startLiveRequester } from '../test/cli/live-requester.ts'

const CLIENTS = 16
const IN_FLIGHT = 32

const spec = (i: number) => ({
  Name: `measure-${i}-${crypto.randomUUID().slice(0, 8)}`,
  Type: 'batch',
  Count: 1,
  Tasks: [{ Name: 'main', Engine: { Type: 'noop', Params: {} }, Publisher: { Type: 'noop', Params: {} } }],
})

/** Child mode: `clients <url> <poll|wait> <jobId…>`; runs until killed, printing requests made at exit. */
async function runClients(url: string, mode: string, jobIds: string[]): Promise<void> {
  const client = createClient({ baseUrl: url })
  let requests = 0
  process.on('SIGTERM', () => {
    process.stdout.write(`${requests}\n`, () => process.exit(0))
  })
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, i) => {
      const id = jobIds[i % jobIds.length]
      let state: string | undefined
      for (;;) {
        if (mode === 'poll') {
          await client.getJob(id, { include: ['executions'] })
          requests++
          await new Promise((r) => setTimeout(r, 100))
        } else {
          const view = await client.waitJob(id, { state, timeoutMs: 30_000 })
          requests++
          state = view.Job.State.StateType
        }
      }
    }),
  )
}

async function measure(jobs: number, rounds: number): Promise<void> {
  const live = await startLiveRequester()
  const client = createClient({ baseUrl: live.url })
  // The jobs the watching clients look at: finished ones, as a user's last `job run`.
  const watched: string[] = []
  for (let i = 0; i < CLIENTS; i++) watched.push((await client.putJob(spec(i))).JobID)
  for (const id of watched) await client.waitForJob(id)

  const runJobs = async (): Promise<number> => {
    const started = performance.now()
    let next = 0
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next < jobs) {
          next++
          const { JobID } = await client.putJob(spec(next))
          await client.waitForJob(JobID)
        }
      }),
    )
    return performance.now() - started
  }

  const results: Record<string, number[]> = { alone: [], 'poll 100ms': [], 'long poll': [] }
  const requests: Record<string, number[]> = { 'poll 100ms': [], 'long poll': [] }
  for (let round = 0; round < rounds; round++) {
    results.alone.push(await runJobs())
    for (const [name, mode] of [['poll 100ms', 'poll'], ['long poll', 'wait']] as const) {
      const child = spawn(process.execPath, [import.meta.filename, 'clients', live.url, mode, ...watched], { stdio: ['ignore', 'pipe', 'inherit'] })
      let out = ''
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()))
      await new Promise((r) => setTimeout(r, 1000))
      results[name].push(await runJobs())
      const exited = new Promise((r) => child.on('exit', r))
      child.kill('SIGTERM')
      await exited
      requests[name].push(Number(out.trim()))
    }
  }
  await live.stop()
  console.log(`${jobs} noop jobs, ${IN_FLIGHT} in flight, ${CLIENTS} watching clients, ${rounds} rounds (median):`)
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
  for (const [name, times] of Object.entries(results)) {
    const ms = median(times)
    const extra = requests[name] ? `, watcher requests during the run: ${median(requests[name])}` : ''
    console.log(`  ${name.padEnd(11)} ${(ms / 1000).toFixed(2)} s, ${((jobs * 1000) / ms).toFixed(1)} jobs/s (runs: ${times.map((t) => (t / 1000).toFixed(2)).join(', ')} s)${extra}`)
  }
}

if (process.argv[2] === 'clients') await runClients(process.argv[3], process.argv[4], process.argv.slice(5))
else await measure(Number(process.argv[2] ?? 300), Number(process.argv[3] ?? 3))

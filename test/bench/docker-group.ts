/**
 * Issue 12: what Shoal adds to a container. A docker job (`echo hello` in the tests' locally
 * imported busybox image, noop publisher) goes submit→Completed through `shoal devstack
 * --docker true` (a real process, one compute node, the machine's dockerd), beside a bare
 * `docker run --rm --network none` of the same image and command; the two alternate, one at a
 * time, so both see the same machine. Reported: the p50s and their ratio (goal: at most 1.2x).
 */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import type { ShoalClient } from '@shoal/client'
import { buildDockerJob } from '../../node-runner/src/cli/docker-job-builder.ts'
import { dockerAvailable, ensureTestImage } from '../support/docker-image.ts'
import { startDevstack } from '../support/shoal-cluster.ts'
import { killAllShoals } from '../support/shoal-process.ts'
import { removeTempDirs } from '../support/temp-dir.ts'
import { scaled, type BenchContext, type BenchGroup } from './bench-group.ts'
import { baselineOf, percentile, type BenchFigure } from './report.ts'

const run = promisify(execFile)
/** A job still running after this long is a failure of the run, not a slow sample. */
const JOB_DEADLINE_MS = 60_000
const COMMAND = ['echo', 'hello']

/** The job `shoal docker run --publisher noop --cpu 100m --memory 64Mb <image> -- echo hello` submits. */
function echoJob(image: string): unknown {
  return buildDockerJob({ image, args: COMMAND, publisher: 'noop', cpu: '100m', memory: '64Mb' })
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Submits one job and polls it every 2 ms until terminal; the state and ms from submit. */
async function runJob(client: ShoalClient, job: unknown, signal: AbortSignal): Promise<{ state: string; ms: number }> {
  const started = performance.now()
  const { JobID } = await client.putJob(job, { signal })
  while (performance.now() - started < JOB_DEADLINE_MS) {
    await sleep(2)
    const { Job } = await client.getJob(JobID, { signal })
    const state = Job.State.StateType
    if (state === 'Completed' || state === 'Failed' || state === 'Stopped') return { state, ms: performance.now() - started }
  }
  throw new Error(`docker job ${JobID} did not finish within ${JOB_DEADLINE_MS / 1000} s`)
}

/** One bare `docker run --rm`: ms until the CLI exits. */
async function bareRun(image: string, signal: AbortSignal): Promise<number> {
  const started = performance.now()
  const { stdout } = await run('docker', ['run', '--rm', '--network', 'none', image, ...COMMAND], { signal })
  if (stdout !== 'hello\n') throw new Error(`docker run printed ${JSON.stringify(stdout)}`)
  return performance.now() - started
}

async function runGroup(context: BenchContext): Promise<BenchFigure[]> {
  if (!(await dockerAvailable())) {
    context.note('docker: dockerd does not answer on this machine; nothing measured (start dockerd, see docs/RUNTIMES.md)')
    return []
  }
  const image = await ensureTestImage()
  context.progress('docker: starting shoal devstack --computes 1 --docker true')
  const devstack = await startDevstack({ computes: 1, args: ['--docker', 'true'], timeoutMs: 60_000 })
  try {
    const job = echoJob(image)
    const rounds = scaled(context, 50, 5)
    const warmup = 3
    const jobs: number[] = []
    const bare: number[] = []
    for (let i = 0; i < warmup + rounds; i++) {
      const result = await runJob(devstack.client, job, context.signal)
      if (result.state !== 'Completed') throw new Error(`a docker echo job ended ${result.state}; see \`shoal job describe\` on the devstack`)
      const direct = await bareRun(image, context.signal)
      if (i >= warmup) {
        jobs.push(result.ms)
        bare.push(direct)
      }
      if ((i + 1) % 10 === 0) context.progress(`docker: ${i + 1}/${warmup + rounds} rounds, job p50 ${percentile(jobs, 50).toFixed(0)} ms, docker run p50 ${percentile(bare, 50).toFixed(0)} ms`)
    }
    const p50 = percentile(jobs, 50)
    const how = `${rounds} rounds after ${warmup} warm-up, each a job (polled every 2 ms over REST) then a bare run; image ${image}, command ${COMMAND.join(' ')}; devstack with 1 compute node as a real process; the engine also creates, inspects and removes each container, hardened (read-only rootfs, tmpfs /tmp, CapDrop ALL)`
    return [
      {
        id: 'C1',
        name: 'docker echo job submit→Completed, p50',
        value: p50,
        unit: 'ms',
        goal: { value: 1.2, better: 'lower', on: 'ratio' },
        baseline: baselineOf('docker run --rm p50 (ms)', percentile(bare, 50), p50),
        notes: how,
      },
      {
        id: 'C1-p99',
        name: 'docker echo job submit→Completed, p99',
        value: percentile(jobs, 99),
        unit: 'ms',
        baseline: baselineOf('docker run --rm p99 (ms)', percentile(bare, 99), percentile(jobs, 99)),
        notes: how,
      },
    ]
  } finally {
    await devstack.process.stop()
    await killAllShoals()
    await removeTempDirs()
  }
}

/** The `docker` group. */
export const dockerGroup: BenchGroup = {
  name: 'docker',
  summary: 'issue 12: docker job submit→Completed through a devstack vs a bare `docker run --rm` of the same image and command',
  run: runGroup,
}

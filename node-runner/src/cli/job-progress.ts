import { executionStateName, shortId, TERMINAL_JOB_STATES, TimeoutError, type Execution, type Job } from '@shoal/models'
import type { ShoalClient } from '@shoal/client'
import type { CliIo } from './cli-io.ts'
import { formatDuration } from './time-format.ts'

/** Options of waiting for a job to finish. */
export interface WaitForJobOptions {
  /** Give up after this many seconds (the job keeps running). */
  timeoutSeconds: number
  /** Poll interval, ms. */
  intervalMs?: number
  /** Print progress to stderr (a redrawn line on a TTY, one line per change otherwise). */
  progress: boolean
  signal?: AbortSignal
}

/** The job and its executions once waiting ended. */
export interface WaitForJobResult {
  job: Job
  executions: Execution[]
}

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏']

/** A one-line summary of executions: "1 Running, 2 Completed". */
export function executionSummary(executions: readonly Execution[]): string {
  const counts = new Map<string, number>()
  for (const e of executions) {
    const name = executionStateName(e.ComputeState?.StateType ?? 0)
    counts.set(name, (counts.get(name) ?? 0) + 1)
  }
  return [...counts].map(([name, n]) => `${n} ${name}`).join(', ')
}

/** True when a job of this type has reached the state the CLI waits for. */
export function isSettled(job: Job): boolean {
  const state = job.State?.StateType
  if (TERMINAL_JOB_STATES.includes(state)) return true
  // Long-running jobs never complete: waiting ends once they run.
  return (job.Type === 'daemon' || job.Type === 'service') && state === 'Running'
}

/**
 * Polls the job until it settles (Completed, Failed, Stopped; Running for daemon/service jobs),
 * printing progress to stderr. Throws TimeoutError after `timeoutSeconds`; the job keeps running.
 */
export async function waitForJob(api: Pick<ShoalClient, 'getJob'>, jobId: string, io: CliIo, options: WaitForJobOptions): Promise<WaitForJobResult> {
  const started = io.now()
  const interval = options.intervalMs ?? 500
  const tty = io.stderr.isTTY === true
  let lastLine = ''
  let tick = 0
  const maxPolls = Math.max(1, Math.ceil((options.timeoutSeconds * 1000) / interval) + 1)
  try {
    for (let poll = 0; poll < maxPolls; poll++) {
      const view = await api.getJob(jobId, { include: ['executions'], signal: options.signal })
      const executions = view.Executions?.Items ?? []
      const state = view.Job.State?.StateType ?? 'Undefined'
      const summary = executionSummary(executions)
      if (options.progress) {
        const line = `Job ${shortId(jobId)}  ${state}${summary ? `  (${summary})` : ''}`
        if (tty) {
          io.stderr.write(`\r\u001b[2K${SPINNER[tick++ % SPINNER.length]} ${line}  ${formatDuration(io.now() - started)}`)
        } else if (line !== lastLine) {
          io.stderr.write(`${line}\n`)
        }
        lastLine = line
      }
      if (isSettled(view.Job)) return { job: view.Job, executions }
      if (io.now() - started >= options.timeoutSeconds * 1000) break
      await io.sleep(interval, options.signal)
    }
  } finally {
    if (options.progress && tty && lastLine) io.stderr.write(`\r\u001b[2K${lastLine}  ${formatDuration(io.now() - started)}\n`)
  }
  throw new TimeoutError(`gave up waiting for job ${shortId(jobId)} after ${options.timeoutSeconds}s; it keeps running`, {
    hint: `Check it with \`shoal job describe ${jobId}\`, or wait longer with --wait-timeout-secs.`,
  })
}

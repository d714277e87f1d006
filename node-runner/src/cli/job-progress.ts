import { ExecutionState, executionStateName, shortId, TERMINAL_JOB_STATES, TimeoutError, type Execution, type Job } from '@shoal/models'
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
  /**
   * What ends the wait: `settled` (default) a final state (Running for daemon/service jobs);
   * `started` leaving Pending/Queued, i.e. running or ended (before following its logs).
   */
  until?: 'settled' | 'started'
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

/** True when the job runs or has ended: it no longer waits (Pending, Queued) for a node. */
export function hasStarted(job: Job): boolean {
  const state = job.State?.StateType
  return state !== undefined && state !== 'Pending' && state !== 'Queued' && state !== 'Undefined'
}

/**
 * What the running executions are doing, from their state messages (the compute node's
 * progress, e.g. `downloading InputSources[0] (urlDownload …): 512 MiB of 2.0 GiB (25%)`), each
 * prefixed with its short ID when more than one runs; empty when none says anything.
 */
export function activityOf(executions: readonly Execution[]): string {
  const active = executions.filter((e) => {
    const state = e.ComputeState?.StateType
    return (state === ExecutionState.Running || state === ExecutionState.Publishing) && (e.ComputeState?.Message ?? '') !== ''
  })
  if (active.length === 1) return active[0].ComputeState.Message ?? ''
  return active.map((e) => `${shortId(e.ID)}: ${e.ComputeState.Message}`).join('; ')
}

/**
 * The progress line of a job: state, executions and, while it is Queued, why (the reason the
 * requester keeps in its state message), e.g.
 * `Job j-1234abcd  Queued: 0 of 3 nodes can run it — 3 lack engine docker (they offer wasm); …`,
 * and while executions run, what they do (`… (1 Running) — downloading InputSources[0] …`).
 */
export function progressLine(job: Job, executions: readonly Execution[]): string {
  const activity = activityOf(executions)
  return `${stateLine(job, executions)}${activity ? ` — ${activity}` : ''}`
}

/** The progress line without what the executions are doing. */
function stateLine(job: Job, executions: readonly Execution[]): string {
  const state = job.State?.StateType ?? 'Undefined'
  const summary = executionSummary(executions)
  const reason = state === 'Queued' ? (job.State?.Message ?? '').replace(/^queued: /i, '') : ''
  return `Job ${shortId(job.ID)}  ${state}${reason ? `: ${reason}` : ''}${summary ? `  (${summary})` : ''}`
}

/**
 * Without a terminal a new figure prints at most this often (a state change prints at once), so
 * a long download logs a line every few seconds, not one per poll.
 */
const PLAIN_PROGRESS_INTERVAL_MS = 10_000

// A redrawn line must fit on one terminal row, or clearing it leaves the wrapped part behind.
function fit(text: string, columns: number | undefined, reserved: number): string {
  const room = (columns ?? 0) - reserved
  if (room <= 10 || text.length < room) return text
  return `${text.slice(0, room - 1)}…`
}

/** True when a job of this type has reached the state the CLI waits for. */
export function isSettled(job: Job): boolean {
  const state = job.State?.StateType
  if (TERMINAL_JOB_STATES.includes(state)) return true
  // Long-running jobs never complete: waiting ends once they run.
  return (job.Type === 'daemon' || job.Type === 'service') && state === 'Running'
}

/**
 * Waits until the job settles (Completed, Failed, Stopped; Running for daemon/service jobs), or
 * with `until: 'started'` until it leaves Pending/Queued, printing progress to stderr (with the
 * live queue reason while Queued). With a full client it long polls (client.waitForJob: the
 * requester answers when the job changes; polling where the requester lacks the route); with only
 * getJob it polls every `intervalMs`. Throws TimeoutError after `timeoutSeconds`; the job keeps
 * running.
 */
export async function waitForJob(
  api: Pick<ShoalClient, 'getJob'> & Partial<Pick<ShoalClient, 'waitForJob'>>,
  jobId: string,
  io: CliIo,
  options: WaitForJobOptions,
): Promise<WaitForJobResult> {
  const started = io.now()
  const interval = options.intervalMs ?? 500
  const tty = io.stderr.isTTY === true
  let lastLine = ''
  let lastState = ''
  let lastPrinted = Number.NEGATIVE_INFINITY
  let tick = 0
  const done = (job: Job) => (options.until === 'started' ? hasStarted(job) : isSettled(job))
  const show = (job: Job, executions: readonly Execution[]) => {
    if (!options.progress) return
    const shown = { ...job, ID: job.ID || jobId }
    const line = progressLine(shown, executions)
    if (tty) {
      const elapsed = `  ${formatDuration(io.now() - started)}`
      io.stderr.write(`\r\u001b[2K${SPINNER[tick++ % SPINNER.length]} ${fit(line, io.stderr.columns, elapsed.length + 3)}${elapsed}`)
      lastLine = line
    } else {
      const state = stateLine(shown, executions)
      if (state !== lastState || (line !== lastLine && io.now() - lastPrinted >= PLAIN_PROGRESS_INTERVAL_MS)) {
        io.stderr.write(`${line}\n`)
        lastLine = line
        lastPrinted = io.now()
      }
      lastState = state
    }
  }
  const timedOut = () =>
    new TimeoutError(`gave up waiting for job ${shortId(jobId)} after ${options.timeoutSeconds}s; it keeps running`, {
      hint: `Check it with \`shoal job describe ${jobId}\`, or wait longer with --wait-timeout-secs.`,
    })
  try {
    if (api.waitForJob) {
      // The requester holds each request until the job changes; the wait is cut short so a
      // terminal's spinner and clock, and the executions' progress messages, still refresh.
      const deadline = new AbortController()
      const timer = Number.isFinite(options.timeoutSeconds) ? setTimeout(() => deadline.abort(), options.timeoutSeconds * 1000) : undefined
      const signal = options.signal ? AbortSignal.any([options.signal, deadline.signal]) : deadline.signal
      try {
        const view = await api.waitForJob(jobId, {
          signal,
          until: done,
          pollIntervalMs: interval,
          waitMs: tty ? 1000 : PLAIN_PROGRESS_INTERVAL_MS,
          onUpdate: (update) => show(update.Job, update.Executions?.Items ?? []),
        })
        return { job: view.Job, executions: view.Executions?.Items ?? [] }
      } catch (error) {
        if (deadline.signal.aborted && !options.signal?.aborted) throw timedOut()
        throw error
      } finally {
        clearTimeout(timer)
      }
    }
    const maxPolls = Math.max(1, Math.ceil((options.timeoutSeconds * 1000) / interval) + 1)
    for (let poll = 0; poll < maxPolls; poll++) {
      const view = await api.getJob(jobId, { include: ['executions'], signal: options.signal })
      const executions = view.Executions?.Items ?? []
      show(view.Job, executions)
      if (done(view.Job)) return { job: view.Job, executions }
      if (io.now() - started >= options.timeoutSeconds * 1000) break
      await io.sleep(interval, options.signal)
    }
  } finally {
    if (options.progress && tty && lastLine) {
      const elapsed = `  ${formatDuration(io.now() - started)}`
      io.stderr.write(`\r\u001b[2K${fit(lastLine, io.stderr.columns, elapsed.length + 1)}${elapsed}\n`)
    }
  }
  throw timedOut()
}

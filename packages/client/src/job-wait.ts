/**
 * Waiting for a job: long polls on Shoal's GET /api/v1/shoal/jobs/{id}/wait, falling back to
 * polling GET /orchestrator/jobs/{id} on a requester without that route (upstream Bacalhau).
 */
import { AbortError, TERMINAL_JOB_STATES } from '@shoal/models'
import { ApiError } from './api-error.ts'
import type { GetJobResponse, Job, JobCallOptions } from './api-types.ts'

/** Answer of one long poll: the job with its executions, and whether it differs from what was sent. */
export interface WaitJobResponse extends GetJobResponse {
  Changed: boolean
}

/** Options of one long poll (waitJob). */
export interface WaitJobOptions extends JobCallOptions {
  /** The job state the caller has; absent: answer at once. */
  state?: string
  /** The job version the caller has. */
  version?: number
  /** How long the server may hold the request, ms (the server caps it at 60 s). */
  timeoutMs?: number
}

/** Options of waitForJob. */
export interface WaitForJobOptions extends JobCallOptions {
  /** When the wait ends (default: the job reached a terminal state). */
  until?: (job: Job) => boolean
  /** Called with every view of the job the wait received, the first one included. */
  onUpdate?: (view: GetJobResponse) => void
  /** How long each long poll may be held, ms (default 30 s); a shorter one refreshes onUpdate sooner. */
  waitMs?: number
  /** Poll interval when the requester has no wait route, ms (default 500). */
  pollIntervalMs?: number
}

/** Most requests one waitForJob makes (a guard against a loop that never ends; the signal ends it sooner). */
const MAX_WAIT_REQUESTS = 1_000_000

/** Whether a wait request failed because the requester has no such route (not because the job is unknown). */
function mayLackRoute(error: unknown): boolean {
  return error instanceof ApiError && (error.status === 404 || error.status === 405 || error.status === 501)
}

/** Resolves after `ms`, or rejects with AbortError when `signal` aborts first. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new AbortError('the wait was aborted', { component: 'client' }))
    const onAbort = () => {
      clearTimeout(timer)
      reject(new AbortError('the wait was aborted', { component: 'client' }))
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

/** The two calls waitForJob builds on. */
export interface JobWaitCalls {
  getJob(idOrName: string, options: JobCallOptions & { include: Array<'executions'> }): Promise<GetJobResponse>
  waitJob(idOrName: string, options: WaitJobOptions): Promise<WaitJobResponse>
}

/**
 * Waits until `until(job)` holds, long polling so the requester answers when the job changes;
 * polls every `pollIntervalMs` when the requester lacks the wait route or refuses more waiters.
 * Returns the last view (job and executions). An aborted signal rejects with AbortError.
 */
export async function waitForJobWith(calls: JobWaitCalls, idOrName: string, options: WaitForJobOptions = {}): Promise<GetJobResponse> {
  const until = options.until ?? ((job: Job) => TERMINAL_JOB_STATES.includes(job.State?.StateType))
  const { namespace, signal } = options
  const interval = options.pollIntervalMs ?? 500
  let longPoll = true
  let known: { state: string; version: number } | undefined
  let id = idOrName
  for (let request = 0; request < MAX_WAIT_REQUESTS; request++) {
    if (signal?.aborted) throw new AbortError('the wait was aborted', { component: 'client' })
    let view: GetJobResponse | undefined
    if (longPoll) {
      try {
        view = await calls.waitJob(id, { namespace, signal, state: known?.state, version: known?.version, timeoutMs: options.waitMs ?? 30_000 })
      } catch (error) {
        if (mayLackRoute(error)) {
          // An unknown job throws here too (getJob's own 404); a known one means the route is missing.
          view = await calls.getJob(id, { namespace, include: ['executions'], signal })
          longPoll = false
        } else if (error instanceof ApiError && error.status === 503 && error.code === 'TooManyWaiters') {
          await sleep(interval, signal)
          view = await calls.getJob(id, { namespace, include: ['executions'], signal })
        } else {
          throw error
        }
      }
    } else {
      await sleep(interval, signal)
      view = await calls.getJob(id, { namespace, include: ['executions'], signal })
    }
    options.onUpdate?.(view)
    if (until(view.Job)) return view
    // Later requests name the job by ID: a Name could come to mean a newer job.
    if (view.Job.ID) id = view.Job.ID
    known = { state: view.Job.State?.StateType ?? '', version: view.Job.Version }
  }
  throw new AbortError(`gave up waiting for job ${idOrName} after ${MAX_WAIT_REQUESTS} requests`, { component: 'client' })
}

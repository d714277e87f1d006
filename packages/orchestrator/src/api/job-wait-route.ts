/**
 * GET /api/v1/shoal/jobs/{id}/wait: a long poll on one job, so clients (`shoal job run`, the
 * client package) learn of its next state change without polling. Shoal's own route (upstream
 * clients poll GET /orchestrator/jobs/{id}, which keeps working). Waiters are woken by the
 * Requester's `job` events, never by a server-side polling loop, and their number is capped.
 * Runtime-neutral (Web APIs only): the edge serves it as Node does.
 */
import { BadRequestError, ShoalError } from '@shoal/models'
import type { ShoalErrorOptions } from '@shoal/models'
import type { JobStateEventDetail } from '../requester.ts'
import { pathId, requestUrl } from './api-route.ts'
import type { ApiComponents, ApiRoute } from './api-route.ts'
import type { GetJobResponse } from './api-types.ts'
import { executionToWire } from './execution-json.ts'
import { queryInteger, queryString } from './query-params.ts'

/** Path of the wait route (Hono syntax). */
export const JOB_WAIT_PATH = '/api/v1/shoal/jobs/:id/wait'

/** How long a wait lasts when the request does not say. */
export const DEFAULT_JOB_WAIT_MS = 30_000

/** Longest wait a request may ask for; longer asks are cut to it (proxies drop idle requests). */
export const MAX_JOB_WAIT_MS = 60_000

/** Default cap of concurrent waits per requester app. */
export const DEFAULT_MAX_JOB_WAITERS = 1000

/** Seconds a refused waiter is told to wait before asking again. */
const RETRY_AFTER_SECONDS = 1

/** Answer of the wait route: the job (with its executions) and whether it changed. */
export interface WaitJobResponse extends GetJobResponse {
  /** True when the job's state or version differs from what the client sent. */
  Changed: boolean
}

/** Too many requests wait on jobs at once (503); `retryAfterSeconds` says when to try again. */
export class TooManyWaitersError extends ShoalError {
  override readonly code = 'TooManyWaiters'
  override readonly status = 503
  readonly retryAfterSeconds: number
  constructor(message: string, retryAfterSeconds: number, options: ShoalErrorOptions = {}) {
    super(message, options)
    this.retryAfterSeconds = retryAfterSeconds
  }
}

/**
 * A wait duration: Go-style (`500ms`, `30s`, `1m`) or a bare number of seconds. Undefined when
 * absent; a 400 naming the parameter when unreadable.
 */
export function parseWaitTimeout(value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(value.trim())
  if (!match) {
    throw new BadRequestError(`query parameter timeout=${JSON.stringify(value)} is not a duration`, {
      hint: `give a duration such as 30s, 500ms or 1m (at most ${MAX_JOB_WAIT_MS / 1000}s)`,
    })
  }
  const n = Number(match[1])
  const unit = match[2] ?? 's'
  return unit === 'ms' ? n : unit === 'm' ? n * 60_000 : n * 1000
}

/** Options of the wait route. */
export interface JobWaitOptions {
  /** Most concurrent waits; more get 503 with Retry-After. */
  maxWaiters?: number
}

/** The wait route. */
export function jobWaitRoute(components: Pick<ApiComponents, 'service'>, options: JobWaitOptions = {}): ApiRoute {
  const { service } = components
  const maxWaiters = options.maxWaiters ?? DEFAULT_MAX_JOB_WAITERS
  let waiters = 0
  // One listener on the Requester for all waiters (not one each: an event costs a map lookup,
  // whatever the number of waiters), added while any waiter exists.
  const wakers = new Map<string, Set<() => void>>()
  const onJob = (event: Event) => {
    const set = wakers.get((event as CustomEvent<JobStateEventDetail>).detail.jobId)
    if (set) for (const wake of set) wake()
  }
  const subscribe = (jobId: string, wake: () => void): (() => void) => {
    if (wakers.size === 0) service.addEventListener('job', onJob)
    let set = wakers.get(jobId)
    if (!set) wakers.set(jobId, (set = new Set()))
    set.add(wake)
    return () => {
      set.delete(wake)
      if (set.size === 0) wakers.delete(jobId)
      if (wakers.size === 0) service.removeEventListener('job', onJob)
    }
  }

  const view = async (idOrName: string, namespace: string | undefined): Promise<GetJobResponse> => {
    const job = await service.store.getJobByIdOrName(idOrName, namespace)
    const page = await service.store.listExecutions({ jobId: job.ID, jobVersion: job.Version })
    return { Job: job, Executions: { Items: page.Items.map(executionToWire), NextToken: page.NextToken } }
  }

  return {
    method: 'GET',
    path: JOB_WAIT_PATH,
    operationId: 'shoal/waitJob',
    summary: "Waits (long poll) until a job's state or version differs from the given ones, then returns it with its executions.",
    description:
      `Answers at once when the job's State.StateType or Version differs from \`state\`/\`version\` (or \`state\` is absent), else when it changes, else after \`timeout\` (default ${DEFAULT_JOB_WAIT_MS / 1000}s, at most ${MAX_JOB_WAIT_MS / 1000}s) with the unchanged job; \`Changed\` tells which. ` +
      'Beyond the requester\'s cap of concurrent waits the answer is 503 with Retry-After. Shoal\'s own route: Bacalhau clients poll GET /orchestrator/jobs/{id}.',
    tag: 'Orchestrator',
    query: [
      { name: 'namespace', type: 'string', description: 'Namespace of the job' },
      { name: 'state', type: 'string', description: 'The job state the client has (State.StateType)' },
      { name: 'version', type: 'integer', description: 'The job version the client has' },
      { name: 'timeout', type: 'string', description: `How long to wait, e.g. 30s or 500ms (at most ${MAX_JOB_WAIT_MS / 1000}s)` },
    ],
    response: 'WaitJobResponse',
    handler: async (c) => {
      const url = requestUrl(c)
      const namespace = queryString(url, 'namespace')
      const knownState = queryString(url, 'state')
      const knownVersion = queryInteger(url, 'version')
      const timeoutMs = Math.min(parseWaitTimeout(queryString(url, 'timeout')) ?? DEFAULT_JOB_WAIT_MS, MAX_JOB_WAIT_MS)
      const differs = (answer: GetJobResponse) =>
        knownState === undefined || answer.Job.State.StateType !== knownState || (knownVersion !== undefined && answer.Job.Version !== knownVersion)

      const first = await view(pathId(c), namespace)
      if (differs(first) || timeoutMs <= 0) return c.json({ ...first, Changed: differs(first) } satisfies WaitJobResponse)
      if (waiters >= maxWaiters) {
        throw new TooManyWaitersError(`${waiters} requests already wait on jobs here (the cap is ${maxWaiters})`, RETRY_AFTER_SECONDS, {
          hint: `ask again after ${RETRY_AFTER_SECONDS}s, or read the job with GET /api/v1/orchestrator/jobs/{id}`,
        })
      }

      const jobId = first.Job.ID
      waiters++
      let wake: () => void = () => {}
      const woken = new Promise<void>((resolve) => (wake = resolve))
      const signal = c.req.raw.signal
      const onAbort = () => wake()
      let timer: ReturnType<typeof setTimeout> | undefined
      const unsubscribe = subscribe(jobId, () => wake())
      signal.addEventListener('abort', onAbort, { once: true })
      try {
        // The job may have changed between the first read and subscribing: read it once more.
        const subscribed = await view(jobId, namespace)
        if (differs(subscribed)) return c.json({ ...subscribed, Changed: true } satisfies WaitJobResponse)
        timer = setTimeout(() => wake(), timeoutMs)
        await woken
      } finally {
        clearTimeout(timer)
        signal.removeEventListener('abort', onAbort)
        unsubscribe()
        waiters--
      }
      const last = await view(jobId, namespace)
      return c.json({ ...last, Changed: differs(last) } satisfies WaitJobResponse)
    },
  }
}

/**
 * A fetch-based client of Shoal's (and Bacalhau's) /api/v1 REST API. Runtime-neutral: works in
 * Node, browsers and workers with their global `fetch`, or with an injected one (tests pass a
 * function that calls `app.request`).
 */
import { AbortError, nodeInfoFromWire, nodeStateFromWire, ShoalError, UnreachableError } from '@shoal/models'
import { ApiError, isApiErrorBody, LogStreamError } from './api-error.ts'
import type {
  AgentConfigResponse,
  BuildVersionInfo,
  CallOptions,
  DiffJobResponse,
  Execution,
  GetJobOptions,
  GetJobResponse,
  GetNodeResponse,
  IsAliveResponse,
  Job,
  JobCallOptions,
  JobExecutionsQuery,
  JobHistory,
  JobHistoryQuery,
  ListJobsQuery,
  ListNodesQuery,
  ListNodesResponse,
  ListResponse,
  LogEntry,
  LogsQuery,
  NodeAction,
  NodeInfo,
  NodeState,
  PutJobResponse,
  PutNodeResponse,
  RerunJobResponse,
  SpecConfig,
  StopJobResponse,
} from './api-types.ts'
import { readLines } from './ndjson.ts'
import { readServerSentEvents } from './server-sent-events.ts'
import { waitForJobWith } from './job-wait.ts'
import type { WaitForJobOptions, WaitJobOptions, WaitJobResponse } from './job-wait.ts'

/**
 * A change the requester pushes on GET /api/v1/shoal/events (Shoal's own endpoint): `ready` once
 * subscribed, `job` when a job changes state, `node` when a node connects, leaves or changes membership.
 */
export type RequesterEvent =
  | { type: 'ready' }
  | { type: 'job'; JobID: string; State: string }
  | { type: 'node'; NodeID: string; Membership: string; Connection: string }

/** Options of createClient. */
export interface ClientOptions {
  /** Where the requester listens, e.g. `http://127.0.0.1:1234` (the CLI resolves SHOAL_API_URL). */
  baseUrl: string
  /** Bearer token sent with every request. */
  token?: string
  /** The fetch to use (default: the global one). */
  fetch?: (input: Request | string | URL, init?: RequestInit) => Promise<Response>
  /** The WebSocket constructor for logsWebSocket (default: the global one). */
  WebSocket?: typeof WebSocket
  /** Extra headers sent with every request. */
  headers?: Record<string, string>
}

/** Typed methods for every endpoint of the API; each returns the wire body. */
export interface ShoalClient {
  /** The base URL requests go to. */
  readonly baseUrl: string
  /** Submits a job spec (or a new version of the job with the same Name). */
  putJob(job: unknown, options?: CallOptions & { force?: boolean }): Promise<PutJobResponse>
  /** One page of jobs. */
  listJobs(query?: ListJobsQuery): Promise<ListResponse<Job>>
  /** Every job matching `query`, fetching pages as the loop advances. */
  iterateJobs(query?: Omit<ListJobsQuery, 'nextToken'>): AsyncGenerator<Job>
  /** A job by ID, ID prefix or Name, optionally with history and executions. */
  getJob(idOrName: string, options?: GetJobOptions): Promise<GetJobResponse>
  /**
   * One long poll on Shoal's GET /api/v1/shoal/jobs/{id}/wait: the job and its executions once its
   * state or version differs from `state`/`version`, or at the timeout unchanged. Absent on
   * upstream requesters (ApiError 404): waitForJob falls back to polling.
   */
  waitJob(idOrName: string, options?: WaitJobOptions): Promise<WaitJobResponse>
  /**
   * Waits until `until(job)` holds (default: a terminal state) without polling where the requester
   * offers the wait route, polling GET /jobs/{id} where it does not; returns the last view.
   */
  waitForJob(idOrName: string, options?: WaitForJobOptions): Promise<GetJobResponse>
  /** Stops a job. */
  stopJob(idOrName: string, options?: JobCallOptions & { reason?: string }): Promise<StopJobResponse>
  /** One page of a job's history. */
  jobHistory(idOrName: string, query?: JobHistoryQuery): Promise<ListResponse<JobHistory>>
  /** One page of a job's executions. */
  jobExecutions(idOrName: string, query?: JobExecutionsQuery): Promise<ListResponse<Execution>>
  /** Every version of a job, oldest first. */
  jobVersions(idOrName: string, options?: JobCallOptions): Promise<ListResponse<Job>>
  /** Published results of the job's completed executions. */
  jobResults(idOrName: string, options?: JobCallOptions): Promise<ListResponse<SpecConfig>>
  /** Runs a job again: its latest version, or `jobVersion`'s spec. */
  rerunJob(idOrName: string, options?: JobCallOptions & { reason?: string; jobVersion?: number }): Promise<RerunJobResponse>
  /** What would change if `job` were submitted. */
  diffJob(job: unknown, options?: CallOptions): Promise<DiffJobResponse>
  /**
   * The requester's job and node changes as they happen (Server-Sent Events over fetch, so the
   * token goes with it). Ends when the server closes the stream or the signal aborts.
   */
  events(options?: CallOptions): AsyncGenerator<RequesterEvent>
  /** A job's log lines over HTTP (the NDJSON stream); ends when the server ends it. */
  logs(idOrName: string, query?: LogsQuery): AsyncGenerator<LogEntry>
  /** The same lines over a WebSocket (Bacalhau's transport). */
  logsWebSocket(idOrName: string, query?: LogsQuery): AsyncGenerator<LogEntry>
  /** One page of nodes. */
  listNodes(query?: ListNodesQuery): Promise<ListNodesResponse>
  /** Every node matching `query`. */
  iterateNodes(query?: Omit<ListNodesQuery, 'nextToken'>): AsyncGenerator<NodeState>
  /** A node by ID or unique ID prefix. */
  getNode(id: string, options?: CallOptions): Promise<GetNodeResponse>
  /** Approves, rejects or deletes a node. */
  nodeAction(id: string, action: NodeAction, options?: CallOptions & { message?: string }): Promise<PutNodeResponse>
  /** GET /agent/alive. */
  alive(options?: CallOptions): Promise<IsAliveResponse>
  /** GET /agent/version. */
  version(options?: CallOptions): Promise<BuildVersionInfo>
  /** GET /agent/node: the requester's own NodeInfo. */
  agentNode(options?: CallOptions): Promise<NodeInfo>
  /** GET /agent/config (secrets redacted). */
  agentConfig(options?: CallOptions): Promise<AgentConfigResponse>
}

type QueryValue = string | number | boolean | string[] | undefined

interface RequestSpec {
  query?: Record<string, QueryValue>
  body?: unknown
  signal?: AbortSignal
  accept?: string
}

/** Most pages an iterator fetches (a guard against a server that never ends a listing). */
const MAX_PAGES = 100_000

const JOBS = 'api/v1/orchestrator/jobs'
const NODES = 'api/v1/orchestrator/nodes'
const NDJSON = 'application/x-ndjson'

/** The short reason a fetch failed, e.g. ECONNREFUSED. */
function describeCause(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause
  return cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error))
}

/** Creates a client of the API at `options.baseUrl`. */
export function createClient(options: ClientOptions): ShoalClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, '')
  const base = new URL(baseUrl + '/')
  const fetchFn = options.fetch ?? ((input, init) => globalThis.fetch(input, init))
  const authHeaders: Record<string, string> = options.token ? { Authorization: `Bearer ${options.token}` } : {}

  const unreachable = (cause: unknown) =>
    new UnreachableError(
      `cannot reach the Shoal requester at ${baseUrl}: ${describeCause(cause)} — is it running? (\`shoal serve\` / \`npm start\`), or set SHOAL_API_URL`,
      { cause, component: 'client' },
    )

  const urlFor = (path: string, query: Record<string, QueryValue> = {}): URL => {
    const url = new URL(path, base)
    for (const [name, value] of Object.entries(query)) {
      if (value === undefined || value === '' || value === false) continue
      for (const v of Array.isArray(value) ? value : [value]) url.searchParams.append(name, String(v))
    }
    return url
  }

  const send = async (method: string, path: string, spec: RequestSpec = {}): Promise<Response> => {
    const url = urlFor(path, spec.query)
    const headers: Record<string, string> = { Accept: spec.accept ?? 'application/json', ...authHeaders, ...options.headers }
    let body: string | undefined
    if (spec.body !== undefined) {
      body = JSON.stringify(spec.body)
      headers['Content-Type'] = 'application/json'
    }
    let response: Response
    try {
      response = await fetchFn(url, { method, headers, body, signal: spec.signal })
    } catch (cause) {
      if (spec.signal?.aborted) throw new AbortError(`${method} ${url.pathname} was aborted`, { cause, component: 'client' })
      throw unreachable(cause)
    }
    if (!response.ok) throw await toApiError(response, method, url)
    return response
  }

  const json = async <T>(method: string, path: string, spec?: RequestSpec): Promise<T> =>
    (await (await send(method, path, spec)).json()) as T

  async function* paginate<T>(fetchPage: (nextToken?: string) => Promise<{ items: T[]; next: string }>): AsyncGenerator<T> {
    let token: string | undefined
    for (let page = 0; page < MAX_PAGES; page++) {
      const { items, next } = await fetchPage(token)
      yield* items
      if (!next || next === token) return
      token = next
    }
  }

  const jobPath = (idOrName: string, suffix = '') => `${JOBS}/${encodeURIComponent(idOrName)}${suffix}`
  const logsQuery = (query: LogsQuery) => ({
    namespace: query.namespace,
    execution_id: query.executionId,
    tail: typeof query.tail === 'number' ? query.tail : query.tail ? 'true' : undefined,
    follow: query.follow,
  })

  const client: ShoalClient = {
    baseUrl,
    putJob: (job, o = {}) => json('PUT', JOBS, { body: { Job: job, Force: o.force ?? false }, signal: o.signal }),
    listJobs: (q = {}) =>
      json('GET', JOBS, {
        query: {
          namespace: q.namespace,
          limit: q.limit,
          next_token: q.nextToken,
          order_by: q.orderBy,
          reverse: q.reverse,
          labels: q.labels,
        },
        signal: q.signal,
      }),
    iterateJobs: (q = {}) =>
      paginate(async (nextToken) => {
        const page = await client.listJobs({ ...q, nextToken })
        return { items: page.Items, next: page.NextToken }
      }),
    getJob: (idOrName, o = {}) =>
      json('GET', jobPath(idOrName), {
        query: { namespace: o.namespace, include: o.include?.join(','), limit: o.limit, job_version: o.jobVersion },
        signal: o.signal,
      }),
    waitJob: (idOrName, o = {}) =>
      json('GET', `api/v1/shoal/jobs/${encodeURIComponent(idOrName)}/wait`, {
        query: {
          namespace: o.namespace,
          state: o.state,
          version: o.version,
          timeout: o.timeoutMs === undefined ? undefined : `${Math.max(0, Math.round(o.timeoutMs))}ms`,
        },
        signal: o.signal,
      }),
    waitForJob: (idOrName, o = {}) => waitForJobWith(client, idOrName, o),
    stopJob: (idOrName, o = {}) =>
      json('DELETE', jobPath(idOrName), { query: { namespace: o.namespace, reason: o.reason }, signal: o.signal }),
    jobHistory: (idOrName, q = {}) =>
      json('GET', jobPath(idOrName, '/history'), {
        query: {
          namespace: q.namespace,
          limit: q.limit,
          next_token: q.nextToken,
          event_type: q.eventType,
          execution_id: q.executionId,
          since: q.since,
          job_version: q.jobVersion,
          all_job_versions: q.allJobVersions,
        },
        signal: q.signal,
      }),
    jobExecutions: (idOrName, q = {}) =>
      json('GET', jobPath(idOrName, '/executions'), {
        query: {
          namespace: q.namespace,
          limit: q.limit,
          next_token: q.nextToken,
          order_by: q.orderBy,
          reverse: q.reverse,
          job_version: q.jobVersion,
          all_job_versions: q.allJobVersions,
        },
        signal: q.signal,
      }),
    jobVersions: (idOrName, o = {}) => json('GET', jobPath(idOrName, '/versions'), { query: { namespace: o.namespace }, signal: o.signal }),
    jobResults: (idOrName, o = {}) => json('GET', jobPath(idOrName, '/results'), { query: { namespace: o.namespace }, signal: o.signal }),
    rerunJob: (idOrName, o = {}) =>
      json('PUT', jobPath(idOrName, '/rerun'), { query: { namespace: o.namespace }, body: { Reason: o.reason ?? '', ...(o.jobVersion ? { JobVersion: o.jobVersion } : {}) }, signal: o.signal }),
    diffJob: (job, o = {}) => json('PUT', `${JOBS}/diff`, { body: { Job: job }, signal: o.signal }),

    async *events(o = {}) {
      const response = await send('GET', 'api/v1/shoal/events', { accept: 'text/event-stream', signal: o.signal })
      if (!response.body) return
      try {
        for await (const { event, data } of readServerSentEvents(response.body, { signal: o.signal })) {
          if (event !== 'ready' && event !== 'job' && event !== 'node') continue
          yield { type: event, ...(JSON.parse(data) as object) } as RequesterEvent
        }
      } catch (err) {
        if (o.signal?.aborted) return
        throw err
      }
    },
    async *logs(idOrName, q = {}) {
      const response = await send('GET', jobPath(idOrName, '/logs'), {
        query: { ...logsQuery(q), stream: 'ndjson' },
        accept: NDJSON,
        signal: q.signal,
      })
      if (!response.body) return
      for await (const line of readLines(response.body)) yield decodeFrame(line)
    },

    async *logsWebSocket(idOrName, q = {}) {
      const Socket = options.WebSocket ?? globalThis.WebSocket
      if (!Socket) {
        throw new ShoalError('this runtime has no WebSocket', { hint: 'use logs(), which streams the same lines over HTTP' })
      }
      const url = urlFor(jobPath(idOrName, '/logs'), logsQuery(q))
      url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:'
      // Browsers cannot set headers on a WebSocket; Node's (undici) accepts them as an option.
      const socket = options.token
        ? new Socket(url, { headers: authHeaders } as unknown as string[])
        : new Socket(url)
      const queue: Array<{ data?: string; error?: Error; end?: true }> = []
      let wake: (() => void) | undefined
      const push = (item: (typeof queue)[number]) => {
        queue.push(item)
        wake?.()
      }
      let opened = false
      socket.addEventListener('open', () => (opened = true))
      socket.addEventListener('message', (event) => push({ data: String(event.data) }))
      // A WebSocket error does not say why; before 'open' it is either an unreachable server or a
      // refused upgrade (e.g. a 401), so the message names both and points at logs().
      socket.addEventListener('error', () =>
        push({
          error: new LogStreamError(
            opened
              ? `the log WebSocket to ${url.origin} failed`
              : `the log WebSocket to ${url.origin} could not open: the requester is unreachable or refused the upgrade (check the token)`,
            { hint: "logs() streams the same lines over HTTP and reports the server's error body" },
          ),
        }),
      )
      socket.addEventListener('close', () => push({ end: true }))
      const onAbort = () => socket.close(1000)
      q.signal?.addEventListener('abort', onAbort, { once: true })
      try {
        for (;;) {
          while (queue.length === 0) await new Promise<void>((resolve) => (wake = resolve))
          const item = queue.shift()!
          if (item.error) throw item.error
          if (item.end) return
          yield decodeFrame(item.data!)
        }
      } finally {
        q.signal?.removeEventListener('abort', onAbort)
        if (socket.readyState === Socket.CONNECTING || socket.readyState === Socket.OPEN) socket.close(1000)
      }
    },

    // Nodes are decoded into the model (Bacalhau's JSON key QueueCapacity becomes
    // QueueUsedCapacity; the legacy top-level Connection is read), so the types hold.
    listNodes: async (q = {}) => {
      const page = await json<{ Nodes?: unknown[] | null; NextToken?: string }>('GET', NODES, {
        query: {
          limit: q.limit,
          next_token: q.nextToken,
          order_by: q.orderBy,
          reverse: q.reverse,
          'filter-approval': q.filterApproval,
          'filter-status': q.filterStatus,
          labels: q.labels,
        },
        signal: q.signal,
      })
      return { Nodes: (page.Nodes ?? []).map(nodeStateFromWire), NextToken: page.NextToken ?? '' }
    },
    iterateNodes: (q = {}) =>
      paginate(async (nextToken) => {
        const page = await client.listNodes({ ...q, nextToken })
        return { items: page.Nodes, next: page.NextToken }
      }),
    getNode: async (id, o = {}) => {
      const answer = await json<{ Node: unknown }>('GET', `${NODES}/${encodeURIComponent(id)}`, { signal: o.signal })
      return { Node: nodeStateFromWire(answer.Node) }
    },
    nodeAction: (id, action, o = {}) =>
      json('PUT', `${NODES}/${encodeURIComponent(id)}`, { body: { Action: action, Message: o.message ?? '' }, signal: o.signal }),
    alive: (o = {}) => json('GET', 'api/v1/agent/alive', { signal: o.signal }),
    version: (o = {}) => json('GET', 'api/v1/agent/version', { signal: o.signal }),
    agentNode: async (o = {}) => nodeInfoFromWire(await json('GET', 'api/v1/agent/node', { signal: o.signal })),
    agentConfig: (o = {}) => json('GET', 'api/v1/agent/config', { signal: o.signal }),
  }
  return client
}

/** A log frame as a LogEntry; an error frame throws LogStreamError. */
function decodeFrame(text: string): LogEntry {
  let frame: { value?: { Type?: number; Line?: string } | null; error?: string }
  try {
    frame = JSON.parse(text)
  } catch (cause) {
    throw new LogStreamError(`the server sent a log frame that is not JSON: ${text.slice(0, 100)}`, { cause })
  }
  if (frame.error) throw new LogStreamError(frame.error)
  const value = frame.value
  if (!value || (value.Type !== 1 && value.Type !== 2) || typeof value.Line !== 'string') {
    throw new LogStreamError(`the server sent a malformed log frame: ${text.slice(0, 100)}`)
  }
  return { Type: value.Type, Line: value.Line }
}

/** The ApiError for a non-2xx answer; bodies that are not Bacalhau error bodies are described. */
async function toApiError(response: Response, method: string, url: URL): Promise<ApiError> {
  const text = await response.text().catch(() => '')
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {}
  if (isApiErrorBody(parsed)) {
    return new ApiError({
      ...parsed,
      Status: parsed.Status || response.status,
      RequestID: parsed.RequestID || response.headers.get('x-request-id') || '',
      Code: parsed.Code || 'Unknown',
      Component: parsed.Component || '',
    })
  }
  return new ApiError({
    Status: response.status,
    Message: `${method} ${url.pathname} answered HTTP ${response.status}${text ? `: ${text.slice(0, 200)}` : ''}`,
    RequestID: response.headers.get('x-request-id') ?? '',
    Code: 'Unknown',
    Component: 'client',
    Hint: 'is SHOAL_API_URL pointing at a Shoal or Bacalhau requester?',
  })
}

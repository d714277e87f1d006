/** The /api/v1/orchestrator/jobs endpoints. */
import { BadRequestError, ExecutionState, NotFoundError, ValidationError } from '@shoal/models'
import type { Job, SpecConfig } from '@shoal/models'
import type { JobStore } from '@shoal/interface'
import { pathId, requestUrl } from './api-route.ts'
import type { ApiComponents, ApiRoute, QueryParameter } from './api-route.ts'
import type {
  GetJobResponse,
  ListJobExecutionsResponse,
  ListJobHistoryResponse,
  ListJobResultsResponse,
  ListJobVersionsResponse,
  ListJobsResponse,
  StopJobResponse,
} from './api-types.ts'
import { executionToWire } from './execution-json.ts'
import { expectObject, field, optionalBoolean, optionalInteger, optionalString, readJsonBody } from './json-body.ts'
import { logsRoute } from './job-logs-route.ts'
import { queryBoolean, queryEnum, queryInteger, queryLimit, queryString } from './query-params.ts'

const JOBS = '/api/v1/orchestrator/jobs'

/** Orderings of the job list. */
export const JOB_ORDER_BY = ['created_at', 'modified_at', 'id', 'name'] as const
/** Values of `include` on GET /jobs/:id. */
export const JOB_INCLUDES = ['history', 'executions'] as const
/** Orderings of a job's executions; create_time and modify_time are Bacalhau's legacy spellings. */
export const EXECUTION_ORDER_BY = ['created_at', 'modified_at', 'create_time', 'modify_time'] as const
/** Values of `event_type` on GET /jobs/:id/history. */
export const HISTORY_EVENT_TYPES = ['all', 'job', 'execution'] as const

/** Most pages the results endpoint reads before giving up (bounds a runaway store). */
const MAX_RESULT_PAGES = 100

const namespaceParam: QueryParameter = { name: 'namespace', type: 'string', description: 'Namespace of the job; `*` = all namespaces' }
const limitParam: QueryParameter = { name: 'limit', type: 'integer', description: 'Page size (1–1000)' }
const nextTokenParam: QueryParameter = { name: 'next_token', type: 'string', description: 'NextToken of the previous page' }
const jobVersionParam: QueryParameter = { name: 'job_version', type: 'integer', description: 'A specific job version (default: the latest)' }
const allJobVersionsParam: QueryParameter = { name: 'all_job_versions', type: 'boolean', description: 'Every version, not only the latest (ignored with job_version)' }
const tokenNote = 'A next_token carries the ordering and page size of the query that issued it; they replace order_by, reverse and limit.'

/**
 * The job version a per-version list shows: job_version when given, else the latest unless
 * all_job_versions is set (undefined = every version), as Bacalhau's history and executions filters.
 */
function versionFilter(url: URL, latest: number): number | undefined {
  const version = queryInteger(url, 'job_version')
  if (version) return version
  return queryBoolean(url, 'all_job_versions') ? undefined : latest
}

/** A namespace filter: `*` and empty mean every namespace. */
function namespaceOf(url: URL): string | undefined {
  const namespace = queryString(url, 'namespace')
  return namespace === '*' ? undefined : namespace
}

/** `job` at `version`, from its version history. */
async function jobAtVersion(store: JobStore, job: Job, version: number): Promise<Job> {
  if (version === job.Version) return job
  const found = (await store.getJobVersions(job.ID)).find((v) => v.Version === version)
  if (!found) {
    throw new NotFoundError(`job ${job.ID} has no version ${version} (latest is ${job.Version})`, {
      hint: `list its versions with GET ${JOBS}/${job.ID}/versions`,
    })
  }
  return found
}

/** A JSON body if the request has one (DELETE may or may not carry one), else `{}`. */
async function optionalBody(request: Request, maxBodyBytes: number): Promise<Record<string, unknown>> {
  const body = await readJsonBody(request, maxBodyBytes, { optional: true })
  return body === undefined ? {} : expectObject(body)
}

/** The job routes. */
export function jobRoutes(components: ApiComponents): ApiRoute[] {
  const { service, maxBodyBytes } = components
  const store = service.store
  const transformResult = async (result: SpecConfig, signal: AbortSignal): Promise<SpecConfig> => {
    if (!components.resultTransform) return result
    try {
      return await components.resultTransform(result, { signal })
    } catch (error) {
      components.logger.warn('could not transform a published result; returning it as it is', { type: result.Type, error: (error as Error).message })
      return result
    }
  }

  const putJob: ApiRoute['handler'] = async (c) => {
    const body = expectObject(await readJsonBody(c.req.raw, maxBodyBytes))
    const job = field(body, 'Job')
    if (job === undefined || job === null) {
      throw new ValidationError([{ path: 'Job', message: 'is required: send {"Job": {...}, "Force": false}' }])
    }
    const force = optionalBoolean(body, 'Force') ?? false
    return c.json(await service.submitJob(job, { force, signal: c.req.raw.signal }))
  }

  return [
    {
      method: 'PUT',
      path: JOBS,
      operationId: 'orchestrator/putJob',
      summary: 'Submits a job (or a new version of the job with the same Name).',
      tag: 'Orchestrator',
      requestBody: 'PutJobRequest',
      response: 'PutJobResponse',
      handler: putJob,
    },
    {
      method: 'POST',
      path: JOBS,
      operationId: 'orchestrator/postJob',
      summary: 'Same as PUT /api/v1/orchestrator/jobs (Bacalhau accepts both).',
      tag: 'Orchestrator',
      requestBody: 'PutJobRequest',
      response: 'PutJobResponse',
      handler: putJob,
    },
    {
      method: 'GET',
      path: JOBS,
      operationId: 'orchestrator/listJobs',
      summary: 'Lists jobs, oldest first (by creation time) unless ordered otherwise.',
      description: tokenNote,
      tag: 'Orchestrator',
      query: [
        namespaceParam,
        limitParam,
        nextTokenParam,
        { name: 'order_by', type: 'string', description: 'Sort field', enum: JOB_ORDER_BY },
        { name: 'reverse', type: 'boolean', description: 'Reverse the order' },
        { name: 'labels', type: 'string', description: 'Label selector, e.g. env=prod,tier!=db', repeated: true },
      ],
      response: 'ListJobsResponse',
      handler: async (c) => {
        const url = requestUrl(c)
        // The store parses the selectors (BadRequestError, so 400, when one cannot be read).
        const labels = url.searchParams.getAll('labels')
        const page = await store.listJobs({
          namespace: namespaceOf(url),
          labels: labels.length > 0 ? labels : undefined,
          orderBy: queryEnum(url, 'order_by', JOB_ORDER_BY),
          reverse: queryBoolean(url, 'reverse'),
          limit: queryLimit(url),
          nextToken: queryString(url, 'next_token'),
        })
        return c.json({ Items: page.Items, NextToken: page.NextToken } satisfies ListJobsResponse)
      },
    },
    {
      method: 'PUT',
      path: `${JOBS}/diff`,
      operationId: 'orchestrator/diffJob',
      summary: 'Compares a job spec with the existing job of the same Name.',
      tag: 'Orchestrator',
      requestBody: 'DiffJobRequest',
      response: 'DiffJobResponse',
      handler: async (c) => {
        const body = expectObject(await readJsonBody(c.req.raw, maxBodyBytes))
        const job = field(body, 'Job')
        if (job === undefined || job === null) throw new ValidationError([{ path: 'Job', message: 'is required' }])
        // A diff compares with the stored job of the same Name, so the Name is required here
        // (as Bacalhau's DiffJobRequest.Validate), though a submission may leave it out.
        const name = typeof job === 'object' && !Array.isArray(job) ? field(job as Record<string, unknown>, 'Name') : undefined
        if (typeof job === 'object' && !Array.isArray(job) && (typeof name !== 'string' || name.trim() === '')) {
          throw new ValidationError([{ path: '', message: 'invalid job spec: name is missing' }], {
            hint: 'a diff compares the spec with the existing job of the same name: set Name in the job spec',
          })
        }
        return c.json(await service.diffJob(job))
      },
    },
    {
      method: 'GET',
      path: `${JOBS}/:id`,
      operationId: 'orchestrator/getJob',
      summary: 'Returns a job by ID or Name, optionally with its history and executions.',
      tag: 'Orchestrator',
      query: [
        namespaceParam,
        { name: 'include', type: 'string', description: 'Comma-separated: history, executions' },
        { name: 'limit', type: 'integer', description: 'Page size of the included lists' },
        jobVersionParam,
      ],
      response: 'GetJobResponse',
      handler: async (c) => {
        const url = requestUrl(c)
        const includes = new Set<string>()
        for (const part of (queryString(url, 'include') ?? '').split(',')) {
          const name = part.trim()
          if (name === '') continue
          if (!(JOB_INCLUDES as readonly string[]).includes(name)) {
            throw new BadRequestError(`include=${JSON.stringify(name)} is not one of ${JOB_INCLUDES.join(', ')}`)
          }
          includes.add(name)
        }
        const limit = queryLimit(url)
        const version = queryInteger(url, 'job_version')
        let job = await store.getJobByIdOrName(pathId(c), namespaceOf(url))
        if (version) job = await jobAtVersion(store, job, version)
        const response: GetJobResponse = { Job: job }
        if (includes.has('history')) {
          // Only the shown version's items, as Bacalhau.
          const page = await store.getHistory(job.ID, { limit, jobVersion: job.Version })
          response.History = { Items: page.Items, NextToken: page.NextToken }
        }
        if (includes.has('executions')) {
          const page = await store.listExecutions({ jobId: job.ID, jobVersion: job.Version, limit })
          response.Executions = { Items: page.Items.map(executionToWire), NextToken: page.NextToken }
        }
        return c.json(response)
      },
    },
    {
      method: 'DELETE',
      path: `${JOBS}/:id`,
      operationId: 'orchestrator/stopJob',
      summary: 'Stops a job and its executions.',
      tag: 'Orchestrator',
      query: [namespaceParam, { name: 'reason', type: 'string', description: 'Why the job is stopped' }],
      response: 'StopJobResponse',
      handler: async (c) => {
        const url = requestUrl(c)
        const body = await optionalBody(c.req.raw, maxBodyBytes)
        const reason = queryString(url, 'reason') ?? optionalString(body, 'Reason')
        const job = await store.getJobByIdOrName(pathId(c), namespaceOf(url))
        const result = await service.stopJob(job.ID, reason)
        return c.json({ EvaluationID: result.EvaluationID } satisfies StopJobResponse)
      },
    },
    {
      method: 'PUT',
      path: `${JOBS}/:id/rerun`,
      operationId: 'orchestrator/rerunJob',
      summary: 'Runs a job again as a new version: the current spec, or that of JobVersion.',
      tag: 'Orchestrator',
      requestBody: 'RerunJobRequest',
      response: 'RerunJobResponse',
      handler: async (c) => {
        const body = await optionalBody(c.req.raw, maxBodyBytes)
        const reason = optionalString(body, 'Reason')
        const version = optionalInteger(body, 'JobVersion')
        const job = await store.getJobByIdOrName(pathId(c), namespaceOf(requestUrl(c)))
        if (version) await jobAtVersion(store, job, version) // 404 naming the versions before the scheduler is involved
        return c.json(await service.rerunJob(job.ID, reason, version || undefined))
      },
    },
    {
      method: 'GET',
      path: `${JOBS}/:id/history`,
      operationId: 'orchestrator/listHistory',
      summary: "Returns a job's history events (the latest version's unless asked otherwise), oldest first.",
      description: tokenNote,
      tag: 'Orchestrator',
      query: [
        namespaceParam,
        limitParam,
        nextTokenParam,
        { name: 'event_type', type: 'string', description: 'Only job-level or execution-level events', enum: HISTORY_EVENT_TYPES },
        { name: 'execution_id', type: 'string', description: 'Only events of executions whose ID starts with this' },
        { name: 'since', type: 'integer', description: 'Only events at or after this Unix time (seconds)' },
        jobVersionParam,
        allJobVersionsParam,
      ],
      response: 'ListJobHistoryResponse',
      handler: async (c) => {
        const url = requestUrl(c)
        const eventType = queryEnum(url, 'event_type', HISTORY_EVENT_TYPES)
        const since = queryInteger(url, 'since')
        const job = await store.getJobByIdOrName(pathId(c), namespaceOf(url))
        const page = await store.getHistory(job.ID, {
          limit: queryLimit(url),
          nextToken: queryString(url, 'next_token'),
          executionId: queryString(url, 'execution_id'),
          type: eventType === 'job' ? 'JobLevel' : eventType === 'execution' ? 'ExecutionLevel' : undefined,
          jobVersion: versionFilter(url, job.Version),
        })
        // `since` is applied to the page, which may come back short; NextToken still continues
        // where the store left off.
        const items = page.Items.filter((item) => !since || Date.parse(item.Time) >= since * 1000)
        return c.json({ Items: items, NextToken: page.NextToken } satisfies ListJobHistoryResponse)
      },
    },
    {
      method: 'GET',
      path: `${JOBS}/:id/executions`,
      operationId: 'orchestrator/jobExecutions',
      summary: "Returns a job's executions (the latest version's unless asked otherwise).",
      tag: 'Orchestrator',
      description: tokenNote,
      query: [
        namespaceParam,
        limitParam,
        nextTokenParam,
        { name: 'order_by', type: 'string', description: 'Sort field (create_time and modify_time are accepted too)', enum: EXECUTION_ORDER_BY },
        { name: 'reverse', type: 'boolean', description: 'Reverse the order' },
        jobVersionParam,
        allJobVersionsParam,
      ],
      response: 'ListJobExecutionsResponse',
      handler: async (c) => {
        const url = requestUrl(c)
        const orderBy = queryEnum(url, 'order_by', EXECUTION_ORDER_BY)
        const reverse = queryBoolean(url, 'reverse')
        const job = await store.getJobByIdOrName(pathId(c), namespaceOf(url))
        const page = await store.listExecutions({
          jobId: job.ID,
          jobVersion: versionFilter(url, job.Version),
          orderBy: orderBy === 'create_time' ? 'created_at' : orderBy === 'modify_time' ? 'modified_at' : orderBy,
          reverse,
          limit: queryLimit(url),
          nextToken: queryString(url, 'next_token'),
        })
        return c.json({ Items: page.Items.map(executionToWire), NextToken: page.NextToken } satisfies ListJobExecutionsResponse)
      },
    },
    {
      method: 'GET',
      path: `${JOBS}/:id/versions`,
      operationId: 'orchestrator/jobVersions',
      summary: 'Returns every version of a job, oldest first.',
      tag: 'Orchestrator',
      query: [namespaceParam],
      response: 'ListJobVersionsResponse',
      handler: async (c) => {
        const job = await store.getJobByIdOrName(pathId(c), namespaceOf(requestUrl(c)))
        const versions = await store.getJobVersions(job.ID)
        return c.json({ Items: versions, NextToken: '' } satisfies ListJobVersionsResponse)
      },
    },
    {
      method: 'GET',
      path: `${JOBS}/:id/results`,
      operationId: 'orchestrator/jobResults',
      summary: "Returns the published results of the latest version's completed executions.",
      tag: 'Orchestrator',
      query: [namespaceParam],
      response: 'ListJobResultsResponse',
      handler: async (c) => {
        const job = await store.getJobByIdOrName(pathId(c), namespaceOf(requestUrl(c)))
        if (job.Type !== 'batch' && job.Type !== 'ops') {
          throw new BadRequestError(`job ${job.ID} is a ${job.Type} job; only batch and ops jobs have results`)
        }
        const results: SpecConfig[] = []
        let nextToken: string | undefined
        for (let pages = 0; pages < MAX_RESULT_PAGES; pages++) {
          const page = await store.listExecutions({
            jobId: job.ID,
            jobVersion: job.Version,
            computeStates: [ExecutionState.Completed],
            nextToken,
          })
          for (const execution of page.Items) {
            const published = execution.PublishedResult
            if (execution.ComputeState.StateType === ExecutionState.Completed && published && published.Type !== '') {
              results.push(await transformResult(published, c.req.raw.signal))
            }
          }
          if (!page.NextToken) break
          nextToken = page.NextToken
        }
        return c.json({ Items: results, NextToken: '' } satisfies ListJobResultsResponse)
      },
    },
    logsRoute(components),
  ]
}

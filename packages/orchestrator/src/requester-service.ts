import type { DiffJobResponse, NodeAction, NodeInfo, NodeState, PutJobResponse, RerunJobResponse } from '@shoal/models'
import type { AbortOptions, JobStore } from '@shoal/interface'

export type { DiffJobResponse, NodeAction, RerunJobResponse }

/** Answer to a job submission (PUT /api/v1/orchestrator/jobs). */
export type SubmitJobResponse = PutJobResponse

/** One log line of an execution; Type 1 = stdout, 2 = stderr. */
export interface ExecutionLogLine {
  ExecutionID: string
  Type: 1 | 2
  Line: string
}

/** Options of a logs request. */
export interface LogsOptions extends AbortOptions {
  executionId?: string
  /** Only the last N lines. */
  tail?: number
  /** Keep streaming until the execution ends or the signal aborts. */
  follow?: boolean
}

/**
 * The requester as the REST API (and the edge Durable Object) sees it: the write operations that
 * go through the scheduler, plus the store for reads, and its `job` and `node` events
 * (RequesterEvents; GET /api/v1/shoal/events streams them). Implemented by `Requester`.
 */
export interface RequesterService extends Pick<EventTarget, 'addEventListener' | 'removeEventListener'> {
  /** Read access to jobs, executions, history and nodes. */
  readonly store: JobStore
  /**
   * Registers a new job or, when a job with the same Name exists in the namespace, a new
   * version of it. `job` is untrusted input (validated here; ValidationError names fields).
   */
  submitJob(job: unknown, options?: { force?: boolean } & AbortOptions): Promise<SubmitJobResponse>
  /** Stops a job and its executions. */
  stopJob(jobId: string, reason?: string): Promise<{ EvaluationID: string }>
  /**
   * Runs a terminal (or running) job again as a new latest version: with the spec of
   * `jobVersion` when given (an older version), else of the current version.
   */
  rerunJob(jobIdOrName: string, reason?: string, jobVersion?: number): Promise<RerunJobResponse>
  /** What would change if `job` were submitted. */
  diffJob(job: unknown): Promise<DiffJobResponse>
  /**
   * Approves, rejects or deletes a node. Throws NotFoundError for an unknown node and
   * NodeStateConflictError (409 ConflictNodeState) when it already has the asked membership.
   */
  nodeAction(nodeId: string, action: NodeAction, message?: string): Promise<{ Success: boolean; Error?: string }>
  /** Log lines of a job's executions (from the compute nodes that ran them). */
  logs(jobIdOrName: string, options?: LogsOptions): AsyncIterable<ExecutionLogLine>
  /** This requester's own node info (GET /agent/node). */
  nodeInfo(): NodeInfo
  /** All nodes, connected or not, with live capacity. */
  listNodes(): Promise<NodeState[]>
}

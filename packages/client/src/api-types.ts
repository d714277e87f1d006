/**
 * The request options and JSON envelopes of the Bacalhau-compatible REST API, as the client
 * sees them (field names exactly as on the wire; see pkg/publicapi/apimodels upstream).
 */
import type { Execution, Job, JobHistory, NodeInfo, NodeState, SpecConfig } from '@shoal/models'

/** The JSON body of every error answer. */
export interface ApiErrorBody {
  Status: number
  Message: string
  RequestID: string
  Code: string
  Component: string
  Hint?: string
  Details?: Record<string, string>
}

/** A page of a list endpoint; `NextToken` is empty on the last page. */
export interface ListResponse<T> {
  Items: T[]
  NextToken: string
}

/** Answer to PUT /orchestrator/jobs. */
export interface PutJobResponse {
  JobID: string
  EvaluationID: string
  Warnings: string[]
}

/** Answer to GET /orchestrator/jobs/:id. */
export interface GetJobResponse {
  Job: Job
  History?: ListResponse<JobHistory>
  Executions?: ListResponse<Execution>
}

/** Answer to DELETE /orchestrator/jobs/:id. */
export interface StopJobResponse {
  EvaluationID: string
}

/** Answer to PUT /orchestrator/jobs/:id/rerun. */
export interface RerunJobResponse {
  JobID: string
  JobVersion: number
  EvaluationID: string
  Warnings: string[]
}

/** Answer to PUT /orchestrator/jobs/diff. */
export interface DiffJobResponse {
  Diff: string
  Warnings: string[]
}

/** Answer to GET /orchestrator/nodes (Bacalhau names the list `Nodes`). */
export interface ListNodesResponse {
  Nodes: NodeState[]
  NextToken: string
}

/** Answer to GET /orchestrator/nodes/:id. */
export interface GetNodeResponse {
  Node: NodeState
}

/** Answer to PUT /orchestrator/nodes/:id. */
export interface PutNodeResponse {
  Success: boolean
  Error?: string
}

/** Answer to GET /agent/alive. */
export interface IsAliveResponse {
  Status: string
}

/** Answer to GET /agent/version. */
export interface BuildVersionInfo {
  Major?: string
  Minor?: string
  GitVersion: string
  GitCommit: string
  BuildDate: string
  GOOS: string
  GOARCH: string
}

/** Answer to GET /agent/config (secrets redacted by the server). */
export interface AgentConfigResponse {
  config: Record<string, unknown>
}

/** One log line: Type 1 = stdout, 2 = stderr. */
export interface LogEntry {
  Type: 1 | 2
  Line: string
}

/** Options every call accepts. */
export interface CallOptions {
  signal?: AbortSignal
}

/** Options of calls about one job. */
export interface JobCallOptions extends CallOptions {
  /** Namespace to look the job name up in. */
  namespace?: string
}

/** Paging options. */
export interface PageQuery {
  limit?: number
  nextToken?: string
}

/** Query of listJobs. */
export interface ListJobsQuery extends PageQuery, CallOptions {
  /** A namespace, or `*` for all. */
  namespace?: string
  orderBy?: 'created_at' | 'modified_at' | 'id' | 'name'
  reverse?: boolean
  /** Label selector requirements, e.g. `env=prod`, `tier!=db`, `gpu`. */
  labels?: string[]
}

/** Options of getJob. */
export interface GetJobOptions extends JobCallOptions {
  include?: Array<'history' | 'executions'>
  /** Page size of the included lists. */
  limit?: number
  jobVersion?: number
}

/** Options of jobHistory. */
export interface JobHistoryQuery extends PageQuery, JobCallOptions {
  eventType?: 'all' | 'job' | 'execution'
  executionId?: string
  /** Unix seconds. */
  since?: number
  jobVersion?: number
}

/** Options of jobExecutions. */
export interface JobExecutionsQuery extends PageQuery, JobCallOptions {
  jobVersion?: number
  allJobVersions?: boolean
}

/** Options of logs and logsWebSocket. */
export interface LogsQuery extends JobCallOptions {
  executionId?: string
  /** true = only new lines (Bacalhau); a number = the last N lines. */
  tail?: boolean | number
  /** Keep streaming until the execution ends (or the signal aborts). */
  follow?: boolean
}

/** Query of listNodes. */
export interface ListNodesQuery extends PageQuery, CallOptions {
  orderBy?: 'id' | 'type' | 'available_cpu' | 'available_memory' | 'available_disk' | 'available_gpu' | 'approval' | 'status'
  reverse?: boolean
  filterApproval?: 'PENDING' | 'APPROVED' | 'REJECTED'
  filterStatus?: 'CONNECTED' | 'DISCONNECTED'
  labels?: string[]
}

/** Node actions. */
export type NodeAction = 'approve' | 'reject' | 'delete'

export type { Execution, Job, JobHistory, NodeInfo, NodeState, SpecConfig }

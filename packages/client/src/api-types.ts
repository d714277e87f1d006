/**
 * The request options and JSON envelopes of the Bacalhau-compatible REST API, as the client
 * sees them (field names exactly as on the wire; see pkg/publicapi/apimodels upstream).
 */
import type { Execution, Job, JobHistory, NodeInfo, NodeState, SpecConfig } from '@shoal/models'

export type {
  ApiErrorBody,
  ListResponse,
  PutJobResponse,
  GetJobResponse,
  StopJobResponse,
  RerunJobResponse,
  DiffJobResponse,
  ListNodesResponse,
  GetNodeResponse,
  PutNodeResponse,
  IsAliveResponse,
  BuildVersionInfo,
  AgentConfigResponse,
  LogEntry,
  NodeAction,
} from '@shoal/models'


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
  /** Every version's events, not only the latest version's (ignored with jobVersion). */
  allJobVersions?: boolean
}

/** Options of jobExecutions. */
export interface JobExecutionsQuery extends PageQuery, JobCallOptions {
  jobVersion?: number
  allJobVersions?: boolean
  orderBy?: 'created_at' | 'modified_at'
  reverse?: boolean
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

export type { Execution, Job, JobHistory, NodeInfo, NodeState, SpecConfig }

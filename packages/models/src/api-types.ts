/**
 * The JSON envelopes of the Bacalhau-compatible REST API (`/api/v1`), field names exactly as on
 * the wire (upstream pkg/publicapi/apimodels). The server (orchestrator) and every client use
 * these same types.
 */
import type { Execution, Job, JobHistory, NodeState } from './types.ts'

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

/** Node actions of PUT /orchestrator/nodes/:id. */
export type NodeAction = 'approve' | 'reject' | 'delete'

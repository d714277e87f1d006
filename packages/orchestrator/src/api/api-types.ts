/** The JSON envelopes of the REST API, with Bacalhau's field names (pkg/publicapi/apimodels). */
import type { Execution, Job, JobHistory, NodeInfo, NodeState, SpecConfig } from '@shoal/models'

/** A page of a list endpoint; `NextToken` is empty on the last page. */
export interface ListResponse<T> {
  Items: T[]
  NextToken: string
}

/** GET /orchestrator/jobs. */
export type ListJobsResponse = ListResponse<Job>
/** GET /orchestrator/jobs/:id/history. */
export type ListJobHistoryResponse = ListResponse<JobHistory>
/** GET /orchestrator/jobs/:id/executions. */
export type ListJobExecutionsResponse = ListResponse<Execution>
/** GET /orchestrator/jobs/:id/versions. */
export type ListJobVersionsResponse = ListResponse<Job>
/** GET /orchestrator/jobs/:id/results: the published results of the completed executions. */
export type ListJobResultsResponse = ListResponse<SpecConfig>

/** GET /orchestrator/jobs/:id, with History/Executions when `include` asks for them. */
export interface GetJobResponse {
  Job: Job
  History?: ListJobHistoryResponse
  Executions?: ListJobExecutionsResponse
}

/** DELETE /orchestrator/jobs/:id. */
export interface StopJobResponse {
  EvaluationID: string
}

/** GET /orchestrator/nodes (Bacalhau names the list `Nodes`, not `Items`). */
export interface ListNodesResponse {
  Nodes: NodeState[]
  NextToken: string
}

/** GET /orchestrator/nodes/:id. */
export interface GetNodeResponse {
  Node: NodeState
}

/** PUT /orchestrator/nodes/:id. */
export interface PutNodeResponse {
  Success: boolean
  Error?: string
}

/** GET /agent/alive. */
export interface IsAliveResponse {
  Status: 'OK'
}

/**
 * GET /agent/version: Bacalhau's BuildVersionInfo, inlined at the top level of the body.
 * BuildDate must be an RFC 3339 time (the Go client parses it).
 */
export interface BuildVersionInfo {
  Major: string
  Minor: string
  GitVersion: string
  GitCommit: string
  BuildDate: string
  GOOS: string
  GOARCH: string
}

/** GET /agent/node: the requester's NodeInfo, inlined at the top level of the body. */
export type GetAgentNodeResponse = NodeInfo

/** GET /agent/config: the node's configuration with secrets redacted (lower-case `config`, as upstream). */
export interface GetAgentConfigResponse {
  config: Record<string, unknown>
}

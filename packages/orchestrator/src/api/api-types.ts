/**
 * The JSON envelopes of the REST API, with Bacalhau's field names (pkg/publicapi/apimodels).
 * The envelopes themselves live in @shoal/models, shared with every client; this file names the
 * per-endpoint list types.
 */
import type { AgentConfigResponse, GetJobResponse as ModelGetJobResponse, Job, JobHistory, ListResponse, NodeInfoJson, NodeStateJson, SpecConfig } from '@shoal/models'
import type { ExecutionJson } from './execution-json.ts'

export type { ListResponse, StopJobResponse, PutNodeResponse, IsAliveResponse, BuildVersionInfo } from '@shoal/models'

/** GET /orchestrator/jobs/:id, executions in their wire shape. */
export interface GetJobResponse extends Omit<ModelGetJobResponse, 'Executions'> {
  Executions?: ListResponse<ExecutionJson>
}
/** GET /orchestrator/nodes, nodes in their wire shape (QueueCapacity, Connection). */
export interface ListNodesResponse {
  Nodes: NodeStateJson[]
  NextToken: string
}
/** GET /orchestrator/nodes/:id. */
export interface GetNodeResponse {
  Node: NodeStateJson
}

/** GET /orchestrator/jobs. */
export type ListJobsResponse = ListResponse<Job>
/** GET /orchestrator/jobs/:id/history. */
export type ListJobHistoryResponse = ListResponse<JobHistory>
/** GET /orchestrator/jobs/:id/executions. */
export type ListJobExecutionsResponse = ListResponse<ExecutionJson>
/** GET /orchestrator/jobs/:id/versions. */
export type ListJobVersionsResponse = ListResponse<Job>
/** GET /orchestrator/jobs/:id/results: the published results of the completed executions. */
export type ListJobResultsResponse = ListResponse<SpecConfig>
/** GET /agent/node: the requester's NodeInfo, inlined at the top level of the body. */
export type GetAgentNodeResponse = NodeInfoJson
/** GET /agent/config: the node's configuration with secrets redacted (lower-case `config`, as upstream). */
export type GetAgentConfigResponse = AgentConfigResponse

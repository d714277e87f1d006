/**
 * The JSON envelopes of the REST API, with Bacalhau's field names (pkg/publicapi/apimodels).
 * The envelopes themselves live in @shoal/models, shared with every client; this file names the
 * per-endpoint list types.
 */
import type { AgentConfigResponse, Execution, Job, JobHistory, ListResponse, NodeInfo, SpecConfig } from '@shoal/models'

export type {
  ListResponse,
  GetJobResponse,
  StopJobResponse,
  ListNodesResponse,
  GetNodeResponse,
  PutNodeResponse,
  IsAliveResponse,
  BuildVersionInfo,
} from '@shoal/models'

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
/** GET /agent/node: the requester's NodeInfo, inlined at the top level of the body. */
export type GetAgentNodeResponse = NodeInfo
/** GET /agent/config: the node's configuration with secrets redacted (lower-case `config`, as upstream). */
export type GetAgentConfigResponse = AgentConfigResponse

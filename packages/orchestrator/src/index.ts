/**
 * @shoal/orchestrator — the requester: the `Requester` (scheduler, evaluation broker, node
 * registry, compute protocol), the SQL job store and the Bacalhau REST API as a Hono app.
 */
export { Requester } from './requester.ts'
export type { ResultPinner, ResultPinContext } from './result-pinner.ts'
export type { UploadSigner, UploadSignRequest, UploadGrantTarget } from './upload-signer.ts'
export type { RequesterOptions, RequesterConfig, RequesterEvents, JobStateEventDetail, NodeEventDetail } from './requester.ts'
export type {
  RequesterService,
  SubmitJobResponse,
  RerunJobResponse,
  DiffJobResponse,
  ExecutionLogLine,
  LogsOptions,
  NodeAction,
} from './requester-service.ts'
export { NodeRegistry } from './nodes/node-registry.ts'
export type { LiveNode, NodeRegistryInit } from './nodes/node-registry.ts'
export { MultipleNodesFoundError, NodeStateConflictError, NODES_COMPONENT } from './nodes/node-errors.ts'
export { EvaluationBroker } from './evaluation-broker.ts'
export type { BrokerEntry, EvaluationGroup, EvaluationBrokerInit } from './evaluation-broker.ts'
export { scheduleJob } from './scheduler/schedule-job.ts'
export type { Plan, SchedulerInput, ExecutionChange, PlanEvent } from './scheduler/plan.ts'
export type { SchedulerSettings, EffectiveTimeouts } from './scheduler/scheduler-settings.ts'
export { DEFAULT_EXECUTION_TIMEOUT_S, effectiveTimeouts } from './scheduler/scheduler-settings.ts'
export { selectNodes } from './scheduler/node-selector.ts'
export { decideQuorum } from './verification/quorum.ts'
export type { QuorumVerdict } from './verification/quorum.ts'
export type { NodeCandidate, NodeRejection, NodeSelection, RejectionReason, SelectionRequest } from './scheduler/node-selector.ts'
export { matchesConstraint, firstUnmetConstraint, formatConstraint } from './scheduler/label-constraints.ts'
export * as explain from './explain.ts'
export { diffJobs } from './job-diff.ts'
export { prepareJob } from './job-submission.ts'
export type { PreparedJob } from './job-submission.ts'
export * from './store/index.ts'
export * from './api/index.ts'

/**
 * OpenAPI component schemas of the request and response envelopes. The Bacalhau models inside
 * them (Job, Execution, …) are described by name and documented in docs/ and upstream swagger.
 */

type Schema = Record<string, unknown>

const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` })
const object = (properties: Record<string, Schema>, required: string[] = []): Schema => ({ type: 'object', properties, required })
const string: Schema = { type: 'string' }
const stringList: Schema = { type: 'array', items: string }
const list = (item: string): Schema => object({ Items: { type: 'array', items: ref(item) }, NextToken: string }, ['Items', 'NextToken'])
const model = (description: string): Schema => ({ type: 'object', description, additionalProperties: true })

/** Every schema the route table refers to, by name. */
export const OPENAPI_SCHEMAS: Record<string, Schema> = {
  Job: model('Bacalhau models.Job (PascalCase keys)'),
  Execution: model('Bacalhau models.Execution; ComputeState.StateType and DesiredState.StateType are integers'),
  JobHistory: model('Bacalhau models.JobHistory'),
  NodeState: model('Bacalhau models.NodeState {Info, Membership, ConnectionState}'),
  NodeInfo: model('Bacalhau models.NodeInfo'),
  SpecConfig: object({ Type: string, Params: { type: 'object', additionalProperties: true } }, ['Type']),
  PutJobRequest: object({ Job: ref('Job'), Force: { type: 'boolean' } }, ['Job']),
  PutJobResponse: object({ JobID: string, EvaluationID: string, Warnings: stringList }, ['JobID', 'EvaluationID', 'Warnings']),
  DiffJobRequest: object({ Job: ref('Job') }, ['Job']),
  DiffJobResponse: object({ Diff: string, Warnings: stringList }, ['Diff', 'Warnings']),
  RerunJobRequest: object({ JobVersion: { type: 'integer' }, Reason: string }),
  RerunJobResponse: object(
    { JobID: string, JobVersion: { type: 'integer' }, EvaluationID: string, Warnings: stringList },
    ['JobID', 'JobVersion', 'EvaluationID', 'Warnings'],
  ),
  StopJobResponse: object({ EvaluationID: string }, ['EvaluationID']),
  GetJobResponse: object({ Job: ref('Job'), History: ref('ListJobHistoryResponse'), Executions: ref('ListJobExecutionsResponse') }, ['Job']),
  WaitJobResponse: object(
    { Job: ref('Job'), Executions: ref('ListJobExecutionsResponse'), Changed: { type: 'boolean', description: "the job's state or version differs from the request's" } },
    ['Job', 'Changed'],
  ),
  ListJobsResponse: list('Job'),
  ListJobHistoryResponse: list('JobHistory'),
  ListJobExecutionsResponse: list('Execution'),
  ListJobVersionsResponse: list('Job'),
  ListJobResultsResponse: list('SpecConfig'),
  LogFrame: object(
    {
      value: { oneOf: [object({ Type: { type: 'integer', enum: [1, 2] }, Line: string }, ['Type', 'Line']), { type: 'null' }] },
      error: string,
    },
    ['value', 'error'],
  ),
  RequesterEvent: object(
    { JobID: string, State: string, NodeID: string, Membership: string, Connection: string },
    [],
  ),
  ListNodesResponse: object({ Nodes: { type: 'array', items: ref('NodeState') }, NextToken: string }, ['Nodes', 'NextToken']),
  GetNodeResponse: object({ Node: ref('NodeState') }, ['Node']),
  PutNodeRequest: object({ Action: { type: 'string', enum: ['approve', 'reject', 'delete'] }, Message: string }, ['Action']),
  PutNodeResponse: object({ Success: { type: 'boolean' }, Error: string }, ['Success']),
  IsAliveResponse: object({ Status: { type: 'string', enum: ['OK'] } }, ['Status']),
  BuildVersionInfo: object(
    { Major: string, Minor: string, GitVersion: string, GitCommit: string, BuildDate: { type: 'string', format: 'date-time' }, GOOS: string, GOARCH: string },
    ['GitVersion', 'BuildDate'],
  ),
  GetAgentConfigResponse: object({ config: { type: 'object', additionalProperties: true } }, ['config']),
  RequesterPeers: object(
    {
      PeerID: string,
      Multiaddrs: { type: 'array', items: string },
      Transports: {
        type: 'array',
        items: object({ Type: { type: 'string', enum: ['libp2p', 'websocket'] }, Multiaddrs: { type: 'array', items: string }, URL: string }, ['Type']),
      },
    },
    ['PeerID', 'Multiaddrs', 'Transports'],
  ),
  OpenApiDocument: { type: 'object', description: 'This document' },
  Error: object(
    {
      Status: { type: 'integer' },
      Message: string,
      RequestID: string,
      Code: string,
      Component: string,
      Hint: string,
      Details: { type: 'object', additionalProperties: string },
    },
    ['Status', 'Message', 'RequestID', 'Code', 'Component'],
  ),
}

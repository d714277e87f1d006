/**
 * The Bacalhau v1 wire model, as TypeScript types. Keys are PascalCase exactly as on the wire
 * (with Bacalhau's one exception: RunOutput's lower-case `stderr`). Zod schemas in this package
 * validate untrusted input into these types; everything else in Shoal passes these types around.
 */
import type { ExecutionVerification, NodeReputation } from './result-verification.ts'
import type { JobStateType, ExecutionStateType, ExecutionDesiredStateType, EvaluationStatus, NodeMembership, NodeConnectionState, JobType, JobHistoryType } from './states.ts'

/** A typed, parameterised plug-in reference: an engine, a publisher or an input source. */
export interface SpecConfig {
  Type: string
  Params: Record<string, unknown>
}

/** One input of a task: where the data comes from and where it is mounted. */
export interface InputSource {
  Source: SpecConfig
  Alias?: string
  Target: string
}

/** A directory the task writes that becomes part of the published result, under Name. */
export interface ResultPath {
  Name: string
  Path: string
}

/** Requested resources, as quantities ("500m", "0.5", "512Mb", "1Gi"). */
export interface ResourcesConfig {
  CPU?: string
  Memory?: string
  Disk?: string
  GPU?: string
}

/** Resources as numbers: CPU in cores (fractional), Memory/Disk in bytes, GPU a count. */
export interface Resources {
  CPU: number
  Memory: number
  Disk: number
  GPU: number
}

/** A port a task asks for (Host and Bridge networks only). */
export interface PortMapping {
  /** Required; also names the BACALHAU_PORT_<Name> environment variable. */
  Name: string
  /** Host port; auto-allocated when absent. */
  Static?: number
  /** Port inside the task (Bridge only). */
  Target?: number
  /** Interface to bind, e.g. 127.0.0.1. */
  HostNetwork?: string
}

/** Network access a task asks for. */
export interface NetworkConfig {
  Type: 'Default' | 'None' | 'Host' | 'Full' | 'HTTP' | 'Bridge' | string
  Domains?: string[]
  Ports?: PortMapping[]
}

/** Timeouts in seconds; 0 means "use the default". */
export interface TimeoutConfig {
  ExecutionTimeout?: number
  QueueTimeout?: number
  TotalTimeout?: number
}

/** A label selector requirement: Key Operator Values. */
export interface LabelSelectorRequirement {
  Key: string
  Operator: '=' | '==' | '!=' | 'in' | 'notin' | 'exists' | '!' | 'gt' | 'lt' | string
  Values?: string[]
}

/** A task: the unit of work of a job (Bacalhau uses exactly one per job). */
export interface Task {
  Name: string
  Engine: SpecConfig
  Publisher: SpecConfig
  Env: Record<string, string>
  Meta: Record<string, string>
  InputSources: InputSource[]
  ResultPaths: ResultPath[]
  Resources: ResourcesConfig
  Network: NetworkConfig
  Timeouts: TimeoutConfig
}

/** A state with a human-readable message, as Bacalhau's generic State[T]. */
export interface State<T> {
  StateType: T
  Message?: string
  Details?: Record<string, string>
}

/** A job. Times are Unix nanoseconds (numbers; precision beyond 2^53 ns is not needed). */
export interface Job {
  ID: string
  Name: string
  Namespace: string
  Type: JobType
  Priority: number
  Count: number
  Constraints: LabelSelectorRequirement[]
  Meta: Record<string, string>
  Labels: Record<string, string>
  Tasks: Task[]
  State: State<JobStateType>
  Version: number
  Revision: number
  CreateTime: number
  ModifyTime: number
}

/** What the run produced, kept on the execution (first 2 KiB of each stream). */
export interface RunCommandResult {
  Stdout: string
  StdoutTruncated: boolean
  /** Lower-case on the wire, as in Bacalhau. */
  stderr: string
  StderrTruncated: boolean
  ExitCode: number
  ErrorMsg: string
}

/** Resources allocated to an execution, per task name. */
export interface AllocatedResources {
  Tasks: Record<string, Resources>
}

/** One placement of a job on a node. */
export interface Execution {
  ID: string
  Namespace: string
  EvalID: string
  Name: string
  NodeID: string
  JobID: string
  Job?: Job
  JobVersion: number
  PartitionIndex: number
  AllocatedResources: AllocatedResources
  DesiredState: State<ExecutionDesiredStateType>
  ComputeState: State<ExecutionStateType>
  PublishedResult: SpecConfig | null
  RunOutput: RunCommandResult | null
  PreviousExecution?: string
  NextExecution?: string
  FollowupEvalID?: string
  /** Shoal only: the result digest and verdict of an execution of a verified job (see result-verification.ts). */
  Verification?: ExecutionVerification
  Revision: number
  CreateTime: number
  ModifyTime: number
}

/** A request to (re)consider a job's placements. */
export interface Evaluation {
  ID: string
  Namespace: string
  JobID: string
  TriggeredBy: string
  Priority: number
  Type: JobType
  Status: EvaluationStatus
  Comment?: string
  WaitUntil?: number
  CreateTime: number
  ModifyTime: number
}

/** An event in a job's history. */
export interface Event {
  Message: string
  Topic: string
  Timestamp: string
  Details?: Record<string, string>
}

/** A job history item, as returned by /jobs/:id/history. */
export interface JobHistory {
  SeqNum?: number
  Type: JobHistoryType
  JobID: string
  JobVersion?: number
  ExecutionID?: string
  JobState?: { Previous: JobStateType; New: JobStateType }
  ExecutionState?: { Previous: ExecutionStateType; New: ExecutionStateType }
  Event: Event
  Time: string
}

/**
 * A plug-in a compute node has but does not offer, and why (Shoal only: upstream leaves such a
 * plug-in out of its lists silently). Kind: `engine`, `storage` (an input source) or `publisher`.
 */
export interface PluginOff {
  Kind: 'engine' | 'storage' | 'publisher' | (string & {})
  Type: string
  /** E.g. `disabled by configuration (compute.disabled-engines)`, `dockerd does not answer at …`. */
  Reason: string
}

/** What a compute node can do. */
export interface ComputeNodeInfo {
  ExecutionEngines: string[]
  Publishers: string[]
  StorageSources: string[]
  /** Plug-ins this node has but does not offer, and why (Shoal only; absent when all are on). */
  PluginsOff?: PluginOff[]
  MaxCapacity: Resources
  QueueUsedCapacity: Resources
  AvailableCapacity: Resources
  MaxJobRequirements: Resources
  RunningExecutions: number
  EnqueuedExecutions: number
}

/** Identity and capabilities of a node. */
export interface NodeInfo {
  NodeID: string
  NodeType: 'Requester' | 'Compute' | string
  Labels: Record<string, string>
  BacalhauVersion?: { Major?: string; Minor?: string; GitVersion?: string; GitCommit?: string; BuildDate?: string; GOOS?: string; GOARCH?: string }
  ComputeNodeInfo?: ComputeNodeInfo
  SupportedProtocols?: string[]
}

/**
 * The key a compute node proved when it first joined (Shoal only; Bacalhau has no node keys),
 * and the connections refused for claiming the node's ID with another key.
 */
export interface NodeIdentity {
  /** The node's Ed25519 public key (raw, base64url) bound to its NodeID. */
  PublicKey: string
  /** When the key was bound (RFC 3339). */
  BoundAt: string
  /** Connections refused because they claimed this NodeID without its key. */
  RefusedConnections?: number
  /** The last such refusal: when, from where, and why. */
  LastRefusal?: { Time: string; RemoteAddress: string; Reason: string }
}

/** A node as the requester sees it. */
export interface NodeState {
  Info: NodeInfo
  Membership: NodeMembership
  ConnectionState: {
    Status: NodeConnectionState
    ConnectedSince?: string
    DisconnectedSince?: string
    LastHeartbeat?: string
    LastError?: string
  }
  /** Shoal's binding of the NodeID to the node's key (absent for requesters and Bacalhau nodes). */
  Identity?: NodeIdentity
  /** Shoal only: how often the node's verified results agreed with the quorum (absent until its first verdict). */
  Reputation?: NodeReputation
}

/**
 * The compute protocol: every message between a requester and a compute node, as zod schemas.
 * Each message is an envelope { Version, Type, ... } sent as one JSON document (one frame).
 * Direction: R->C requester to compute node, C->R compute node to requester.
 */
import { z } from 'zod'
import type { Execution, NodeInfo, Resources, RunCommandResult, SpecConfig } from '@shoal/models'

/**
 * Version of the compute protocol; a peer with another major version is refused at handshake.
 * 2: the node proves its key (Challenge, Handshake.PublicKey/Signature) and keeps each outcome
 * until the requester acknowledges it (ResultAck).
 */
export const PROTOCOL_VERSION = 2

const looseObject = <T>() => z.custom<T>((v) => typeof v === 'object' && v !== null && !Array.isArray(v))

const ResourcesSchema = z.object({ CPU: z.number(), Memory: z.number(), Disk: z.number(), GPU: z.number() })
const NodeInfoSchema = looseObject<NodeInfo>().refine((v) => typeof (v as NodeInfo).NodeID === 'string' && (v as NodeInfo).NodeID.length > 0, {
  message: 'NodeInfo.NodeID is required',
})
const SpecConfigSchema = z.object({ Type: z.string(), Params: z.record(z.string(), z.unknown()).default({}) })
const RunOutputSchema = z.object({
  Stdout: z.string(),
  StdoutTruncated: z.boolean(),
  stderr: z.string(),
  StderrTruncated: z.boolean(),
  ExitCode: z.number().int(),
  ErrorMsg: z.string(),
})

const base = { Version: z.literal(PROTOCOL_VERSION) }
const exec = { ExecutionID: z.string().min(1) }

/** R->C: first message on a connection: a fresh nonce the node signs in its Handshake. */
export const ChallengeSchema = z.object({
  ...base,
  Type: z.literal('Challenge'),
  Nonce: z.string().min(16),
  RequesterID: z.string(),
})
/** C->R: answer to the Challenge; the node's identity, its proof, and what it still holds. */
export const HandshakeSchema = z.object({
  ...base,
  Type: z.literal('Handshake'),
  NodeInfo: NodeInfoSchema,
  JoinToken: z.string().optional(),
  /** The node's Ed25519 public key (raw, base64url); the requester binds NodeID to it. */
  PublicKey: z.string().min(1),
  /** The key's signature (base64url) of the Challenge nonce, requester and node ID (see handshakeProofBytes). */
  Signature: z.string().min(1),
  /**
   * Executions the node still answers for after a reconnect: running or queued, and finished
   * ones whose RunResult/ComputeError the requester has not acknowledged (sent again right after
   * the handshake), so the requester keeps them instead of failing them as lost.
   */
  RunningExecutions: z.array(z.string()).default([]),
})
/** R->C: answer to the handshake. */
export const HandshakeResponseSchema = z.object({
  ...base,
  Type: z.literal('HandshakeResponse'),
  Accepted: z.boolean(),
  Reason: z.string().default(''),
  Membership: z.enum(['PENDING', 'APPROVED', 'REJECTED']),
  HeartbeatIntervalMs: z.number().int().positive(),
  RequesterID: z.string(),
})
/** C->R: periodic liveness and capacity. */
export const HeartbeatSchema = z.object({
  ...base,
  Type: z.literal('Heartbeat'),
  Seq: z.number().int().nonnegative(),
  AvailableCapacity: ResourcesSchema,
  QueueUsedCapacity: ResourcesSchema.optional(),
  RunningExecutions: z.number().int().nonnegative().default(0),
})
/** C->R: capabilities or labels changed (e.g. the contributor moved the CPU slider). */
export const NodeInfoUpdateSchema = z.object({ ...base, Type: z.literal('NodeInfoUpdate'), NodeInfo: NodeInfoSchema })
/** R->C: would you run this execution? The Execution carries its Job. */
export const AskForBidSchema = z.object({
  ...base,
  Type: z.literal('AskForBid'),
  ...exec,
  Execution: looseObject<Execution>(),
  /** When false the node may start at once (no BidAccepted will follow). */
  WaitForApproval: z.boolean().default(true),
})
/** C->R: the bid. */
export const BidResultSchema = z.object({
  ...base,
  Type: z.literal('BidResult'),
  ...exec,
  Accepted: z.boolean(),
  Reason: z.string().default(''),
  /** Declined only because the node is busy now (every slot taken, its queue full): it may take the work later. */
  Busy: z.boolean().optional(),
})
/** R->C: the bid won; run it. */
export const BidAcceptedSchema = z.object({ ...base, Type: z.literal('BidAccepted'), ...exec, Reason: z.string().default('') })
/** R->C: the bid lost; forget it. */
export const BidRejectedSchema = z.object({ ...base, Type: z.literal('BidRejected'), ...exec, Reason: z.string().default('') })
/** R->C: stop this execution. */
export const CancelExecutionSchema = z.object({ ...base, Type: z.literal('CancelExecution'), ...exec, Reason: z.string().default('') })
/** C->R: the execution moved on (Running, Publishing). ComputeState is the wire integer. */
export const ExecutionStateUpdateSchema = z.object({
  ...base,
  Type: z.literal('ExecutionStateUpdate'),
  ...exec,
  ComputeState: z.number().int(),
  Message: z.string().default(''),
})
/**
 * C->R: the execution ended (any exit code) and its result was published. For a verified job
 * (Meta shoal.verify/replicas) the first RunResult carries ResultDigest and no PublishedResult:
 * the node holds the result unpublished until ResultAccepted or ResultRejected.
 */
export const RunResultSchema = z.object({
  ...base,
  Type: z.literal('RunResult'),
  ...exec,
  RunOutput: RunOutputSchema,
  PublishedResult: SpecConfigSchema.nullable(),
  /** `sha256:<hex>` of the held result's canonical manifest (verified jobs, first phase only). */
  ResultDigest: z.string().regex(/^sha256:[0-9a-f]{64}$/).optional(),
})
/** R->C: a quorum agrees with this execution's held result; publish it (Publish) or drop it. */
export const ResultAcceptedSchema = z.object({ ...base, Type: z.literal('ResultAccepted'), ...exec, Publish: z.boolean(), Reason: z.string().default('') })
/** R->C: this execution's held result disagrees with the quorum (or none was reached); drop it. */
export const ResultRejectedSchema = z.object({ ...base, Type: z.literal('ResultRejected'), ...exec, Reason: z.string().default('') })
/** C->R: the execution failed (or could not start); ErrorCode is a ShoalError code. */
export const ComputeErrorSchema = z.object({
  ...base,
  Type: z.literal('ComputeError'),
  ...exec,
  ErrorCode: z.string().default('ExecutionError'),
  Message: z.string(),
  RunOutput: RunOutputSchema.optional(),
})
/** R->C: the RunResult or ComputeError of this execution is stored; the node may forget it. */
export const ResultAckSchema = z.object({ ...base, Type: z.literal('ResultAck'), ...exec })
/** R->C: send me the logs of an execution (for `job logs`, optionally following). */
export const LogsRequestSchema = z.object({
  ...base,
  Type: z.literal('LogsRequest'),
  RequestID: z.string().min(1),
  ...exec,
  Follow: z.boolean().default(false),
  Tail: z.number().int().nonnegative().optional(),
})
/** C->R: one log line (Stream 1 stdout, 2 stderr) of a LogsRequest, or pushed while following. */
export const LogLineSchema = z.object({
  ...base,
  Type: z.literal('LogLine'),
  RequestID: z.string(),
  ...exec,
  Stream: z.union([z.literal(1), z.literal(2)]),
  Line: z.string(),
})
/** C->R: no more lines for this LogsRequest (Error set when logs are unavailable). */
export const LogsEndSchema = z.object({ ...base, Type: z.literal('LogsEnd'), RequestID: z.string(), Error: z.string().default('') })
/** R->C: stop streaming a LogsRequest. */
export const LogsCancelSchema = z.object({ ...base, Type: z.literal('LogsCancel'), RequestID: z.string() })
/** Either way: a message could not be accepted. */
export const ProtocolErrorMessageSchema = z.object({
  ...base,
  Type: z.literal('Error'),
  Code: z.string(),
  Message: z.string(),
  InReplyTo: z.string().optional(),
})
/**
 * C->R: the node is about to publish an execution's result archive of `Size` bytes with the `s3`
 * publisher but holds no S3 credentials (a browser tab): it asks the requester, which has them,
 * for presigned upload URLs for the result's key.
 */
export const UploadGrantRequestSchema = z.object({
  ...base,
  Type: z.literal('UploadGrantRequest'),
  RequestID: z.string().min(1),
  ...exec,
  Size: z.number().int().nonnegative(),
})

/**
 * R->C: the answer to an UploadGrantRequest: either `Error` (why not), or where to upload: one
 * presigned PUT (`PutURL`), or a multipart upload already created (`Parts`: a presigned PUT URL
 * per `PartSize` bytes, in order; `CompleteURL` takes the CompleteMultipartUpload POST,
 * `AbortURL` the DELETE that gives up). `Result` is the PublishedResult to report once uploaded.
 */
export const UploadGrantSchema = z.object({
  ...base,
  Type: z.literal('UploadGrant'),
  RequestID: z.string().min(1),
  ...exec,
  Error: z.string().default(''),
  Result: SpecConfigSchema.optional(),
  PutURL: z.string().optional(),
  PartSize: z.number().int().positive().optional(),
  Parts: z.array(z.string()).optional(),
  CompleteURL: z.string().optional(),
  AbortURL: z.string().optional(),
})

/** Either way: the sender is leaving on purpose (tab closed, shutdown); reschedule at once. */
export const GoodbyeSchema = z.object({ ...base, Type: z.literal('Goodbye'), Reason: z.string().default('') })

/** Any compute protocol message. */
export const MessageSchema = z.discriminatedUnion('Type', [
  ChallengeSchema,
  HandshakeSchema,
  HandshakeResponseSchema,
  HeartbeatSchema,
  NodeInfoUpdateSchema,
  AskForBidSchema,
  BidResultSchema,
  BidAcceptedSchema,
  BidRejectedSchema,
  CancelExecutionSchema,
  ExecutionStateUpdateSchema,
  RunResultSchema,
  ComputeErrorSchema,
  ResultAckSchema,
  ResultAcceptedSchema,
  ResultRejectedSchema,
  LogsRequestSchema,
  LogLineSchema,
  LogsEndSchema,
  LogsCancelSchema,
  UploadGrantRequestSchema,
  UploadGrantSchema,
  ProtocolErrorMessageSchema,
  GoodbyeSchema,
])

/** A compute protocol message. */
export type Message = z.infer<typeof MessageSchema>
/** The message of a given Type. */
export type MessageOf<T extends Message['Type']> = Extract<Message, { Type: T }>
/** A message as passed to `send` (Version is filled in). */
export type OutgoingMessage = Message extends infer M ? (M extends Message ? Omit<M, 'Version'> & { Version?: number } : never) : never

/** Types a compute node may send. */
export const COMPUTE_TO_REQUESTER = [
  'Handshake',
  'Heartbeat',
  'NodeInfoUpdate',
  'BidResult',
  'ExecutionStateUpdate',
  'RunResult',
  'ComputeError',
  'LogLine',
  'LogsEnd',
  'UploadGrantRequest',
  'Error',
  'Goodbye',
] as const satisfies readonly Message['Type'][]

/** Types a requester may send. */
export const REQUESTER_TO_COMPUTE = [
  'Challenge',
  'HandshakeResponse',
  'AskForBid',
  'BidAccepted',
  'BidRejected',
  'CancelExecution',
  'ResultAck',
  'ResultAccepted',
  'ResultRejected',
  'LogsRequest',
  'LogsCancel',
  'UploadGrant',
  'Error',
  'Goodbye',
] as const satisfies readonly Message['Type'][]

export type { Resources, RunCommandResult, SpecConfig }

/**
 * Nodes as the API returns them (GET /orchestrator/nodes, /agent/node): zod schemas that read
 * them (from Shoal or Bacalhau), and the writers that give them Bacalhau's exact JSON shape.
 */
import { z } from 'zod'
import { nullAsAbsent, ResourcesSchema } from './execution-schema.ts'
import type { NodeConnectionState } from './states.ts'
import { NODE_CONNECTION_STATES, NODE_MEMBERSHIPS } from './states.ts'
import type { ComputeNodeInfo, NodeInfo, NodeState, Resources } from './types.ts'

const zeroResources = { CPU: 0, Memory: 0, Disk: 0, GPU: 0 }
const names = z.array(z.string())
const resources = nullAsAbsent(ResourcesSchema.default(zeroResources))

const upperEnum = <T extends string>(values: readonly [T, ...T[]], what: string) =>
  z.string().transform((value, ctx): T => {
    const match = values.find((candidate) => candidate === value.trim().toUpperCase())
    if (match) return match
    ctx.addIssue({ code: 'custom', message: `unknown ${what} ${JSON.stringify(value)}: use one of ${values.join(', ')}` })
    return z.NEVER
  })

/** What a compute node can do. Bacalhau's JSON key for QueueUsedCapacity is `QueueCapacity`; both are read. */
export const ComputeNodeInfoSchema = z.preprocess(
  (value) => {
    if (typeof value !== 'object' || value === null || 'QueueUsedCapacity' in value) return value
    const { QueueCapacity, ...rest } = value as Record<string, unknown>
    return QueueCapacity === undefined ? rest : { ...rest, QueueUsedCapacity: QueueCapacity }
  },
  z.object({
    ExecutionEngines: nullAsAbsent(names.default([])),
    Publishers: nullAsAbsent(names.default([])),
    StorageSources: nullAsAbsent(names.default([])),
    // Shoal only; a malformed list (another implementation, a hostile node) is dropped, not fatal.
    PluginsOff: z.array(z.object({ Kind: z.string(), Type: z.string(), Reason: z.string() })).optional().catch(undefined),
    MaxCapacity: resources,
    QueueUsedCapacity: resources,
    AvailableCapacity: resources,
    MaxJobRequirements: resources,
    RunningExecutions: z.number().default(0),
    EnqueuedExecutions: z.number().default(0),
  }),
)

/** Identity and capabilities of a node. */
export const NodeInfoSchema = z.object({
  NodeID: z.string().min(1, 'missing node ID'),
  NodeType: z.string().transform((type) => ['Requester', 'Compute'].find((name) => name.toLowerCase() === type.toLowerCase()) ?? type),
  Labels: nullAsAbsent(z.record(z.string(), z.string()).default({})),
  BacalhauVersion: nullAsAbsent(
    z
      .object({
        Major: z.string().optional(),
        Minor: z.string().optional(),
        GitVersion: z.string().optional(),
        GitCommit: z.string().optional(),
        BuildDate: z.string().optional(),
        GOOS: z.string().optional(),
        GOARCH: z.string().optional(),
      })
      .optional(),
  ),
  ComputeNodeInfo: nullAsAbsent(ComputeNodeInfoSchema.optional()),
  SupportedProtocols: nullAsAbsent(names.optional()),
})

/** A node as the requester sees it; the pre-1.6 top-level `Connection` is read when ConnectionState is absent. */
export const NodeStateSchema = z.preprocess(
  (value) => {
    if (typeof value !== 'object' || value === null || 'ConnectionState' in value) return value
    const { Connection, ...rest } = value as Record<string, unknown>
    return { ...rest, ConnectionState: { Status: Connection ?? 'DISCONNECTED' } }
  },
  z.object({
    Info: NodeInfoSchema,
    Membership: upperEnum(NODE_MEMBERSHIPS, 'membership'),
    ConnectionState: z.object({
      Status: upperEnum(NODE_CONNECTION_STATES, 'connection state'),
      ConnectedSince: z.string().optional(),
      DisconnectedSince: z.string().optional(),
      LastHeartbeat: z.string().optional(),
      LastError: z.string().optional(),
    }),
    Identity: nullAsAbsent(
      z
        .object({
          PublicKey: z.string(),
          BoundAt: z.string(),
          RefusedConnections: z.number().optional(),
          LastRefusal: z.object({ Time: z.string(), RemoteAddress: z.string(), Reason: z.string() }).optional(),
        })
        .optional(),
    ),
    Reputation: z.object({ Score: z.number(), Agreed: z.number(), Disagreed: z.number() }).optional(),
  }),
)

/** ComputeNodeInfo as Bacalhau writes it: QueueUsedCapacity goes by the JSON key `QueueCapacity`. */
export type ComputeNodeInfoJson = Omit<ComputeNodeInfo, 'QueueUsedCapacity'> & { QueueCapacity: Resources }

/** NodeInfo as Bacalhau writes it: every field present (Go has no omitempty on them). */
export interface NodeInfoJson extends Omit<NodeInfo, 'ComputeNodeInfo' | 'SupportedProtocols' | 'BacalhauVersion'> {
  SupportedProtocols: string[]
  ComputeNodeInfo: ComputeNodeInfoJson
  BacalhauVersion: NonNullable<NodeInfo['BacalhauVersion']>
}

/** NodeState as Bacalhau writes it, with the deprecated top-level `Connection` still filled in. */
export interface NodeStateJson extends Omit<NodeState, 'Info'> {
  Info: NodeInfoJson
  /** Deprecated upstream (use ConnectionState.Status) but still written; older clients read it. */
  Connection: NodeConnectionState
}

const ZERO: Resources = { CPU: 0, Memory: 0, Disk: 0, GPU: 0 }

/** Go's zero time, which Bacalhau writes for a time it does not know. */
const GO_ZERO_TIME = '0001-01-01T00:00:00Z'

/** `info` in Bacalhau's JSON shape; fields the node did not report get Bacalhau's zero values. */
export function nodeInfoToWire(info: NodeInfo): NodeInfoJson {
  const { ComputeNodeInfo: compute, SupportedProtocols, BacalhauVersion, ...rest } = info
  const { QueueUsedCapacity, ...computeRest } = compute ?? {
    ExecutionEngines: [],
    Publishers: [],
    StorageSources: [],
    MaxCapacity: ZERO,
    QueueUsedCapacity: ZERO,
    AvailableCapacity: ZERO,
    MaxJobRequirements: ZERO,
    RunningExecutions: 0,
    EnqueuedExecutions: 0,
  }
  return {
    ...rest,
    SupportedProtocols: SupportedProtocols ?? [],
    ComputeNodeInfo: { ...computeRest, QueueCapacity: QueueUsedCapacity ?? ZERO },
    BacalhauVersion: { GitVersion: '', GitCommit: '', BuildDate: GO_ZERO_TIME, GOOS: '', GOARCH: '', ...BacalhauVersion },
  }
}

/** `node` in Bacalhau's JSON shape (see nodeInfoToWire), with the deprecated `Connection`. */
export function nodeStateToWire(node: NodeState): NodeStateJson {
  return { ...node, Info: nodeInfoToWire(node.Info), Connection: node.ConnectionState.Status }
}

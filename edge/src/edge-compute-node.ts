/**
 * The edge compute node: a ComputeNode inside the requester Durable Object whose `wasm` engine
 * runs each job in a worker loaded through the Worker Loader binding (loader-wasm-engine.ts). It
 * joins the requester like any other node, over an in-memory connection, so the requester ranks
 * it and hands it work by its own capacity and labels (`runtime: edge`). It keeps no session of
 * its own with the loaded workers: each execution is one request to a loaded worker and its answer.
 */
import type { Clock, Logger } from '@shoal/interface'
import { ComputeNode, InlineStorage, MemoryVolumeSpace, NoopPublisher } from '@shoal/compute'
import type { Resources } from '@shoal/models'
import { generateNodeKeyJwk, MemoryConnection, nodeKeyFromJwk, type Connection, type Dialer } from '@shoal/protocol'
import { createLoaderWasmEngine, type WorkerLoader } from './loader-wasm-engine.ts'

/** 128 MiB: the memory of one Worker isolate in production, the cap of a job that sets no Resources.Memory. */
export const EDGE_JOB_MEMORY_BYTES = 128 * 1024 * 1024
/** Jobs an edge compute node runs at once (each in its own loaded worker). */
export const EDGE_EXECUTION_SLOTS = 4

/** Where the node's identity key is kept: the object's SQLite (so its ID stays bound to one key). */
export interface IdentityStore {
  exec<T extends Record<string, unknown>>(query: string, ...bindings: unknown[]): { toArray(): T[] }
}

/** Options of {@link startEdgeComputeNode}. */
export interface EdgeComputeNodeInit {
  /** The Worker Loader binding. */
  loader: WorkerLoader
  /** The bundled job host (edge/build/job-host.txt). */
  hostSource: string
  compatibilityDate: string
  /** The network's name: the node ID is `n-edge-compute-<network>`. */
  network: string
  /** Hands the node's end of the in-memory connection to the requester. */
  connect: (connection: Connection) => void
  sql: IdentityStore
  joinToken?: string
  version: string
  logger: Logger
  clock?: Clock
}

/** Starts the edge compute node; it dials the requester through `connect`. */
export async function startEdgeComputeNode(init: EdgeComputeNodeInit): Promise<ComputeNode> {
  const capacity: Resources = { CPU: EDGE_EXECUTION_SLOTS, Memory: EDGE_EXECUTION_SLOTS * EDGE_JOB_MEMORY_BYTES, Disk: EDGE_EXECUTION_SLOTS * EDGE_JOB_MEMORY_BYTES, GPU: 0 }
  const dialer: Dialer = {
    dial: async () => {
      const [local, remote] = MemoryConnection.pair('edge-compute', 'requester')
      init.connect(remote)
      return local
    },
  }
  const node = new ComputeNode({
    nodeId: `n-edge-compute-${init.network}`,
    identity: await nodeKeyFromJwk(await storedKey(init.sql)),
    labels: { runtime: 'edge' },
    engines: [
      createLoaderWasmEngine({
        loader: init.loader,
        hostSource: init.hostSource,
        compatibilityDate: init.compatibilityDate,
        defaultMemoryCapBytes: EDGE_JOB_MEMORY_BYTES,
        defaultDiskCapBytes: EDGE_JOB_MEMORY_BYTES,
      }),
    ],
    // Inline inputs only: the loaded workers have no network, and the object fetches nothing for them.
    storages: [new InlineStorage()],
    publishers: [new NoopPublisher()],
    space: new MemoryVolumeSpace({ totalBytes: capacity.Disk }),
    capacity,
    executionSlots: EDGE_EXECUTION_SLOTS,
    defaultTaskResources: { CPU: 0.5, Memory: EDGE_JOB_MEMORY_BYTES / 2, Disk: 0, GPU: 0 },
    dialer,
    requesterAddresses: ['requester'],
    joinToken: init.joinToken,
    version: init.version,
    logger: init.logger,
    ...(init.clock ? { clock: init.clock } : {}),
  })
  await node.start()
  return node
}

/** The node's private key (JWK), created on first start and kept in the object's SQLite. */
async function storedKey(sql: IdentityStore): Promise<JsonWebKey> {
  sql.exec('CREATE TABLE IF NOT EXISTS shoal_edge_compute_identity (jwk TEXT NOT NULL)')
  const row = sql.exec<{ jwk: string }>('SELECT jwk FROM shoal_edge_compute_identity LIMIT 1').toArray()[0]
  if (row) return JSON.parse(row.jwk) as JsonWebKey
  const jwk = await generateNodeKeyJwk()
  sql.exec('INSERT INTO shoal_edge_compute_identity (jwk) VALUES (?)', JSON.stringify(jwk))
  return jwk
}

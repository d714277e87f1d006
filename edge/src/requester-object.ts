/**
 * The requester Durable Object: one per network (see docs/EDGE.md, "Sharding"). It holds the
 * requester (scheduler, node registry, compute protocol) with its job store on the object's own
 * SQLite, serves the Bacalhau REST API from `createRequesterApp`, and keeps every requester timer
 * on the object's alarm so an evicted object wakes for its next deadline.
 *
 * Compute nodes reach it through `handleComputeConnection(connection)`: any `Connection`
 * (packages/protocol) handed there is spoken to as on Node. Accepting WebSocket upgrades on
 * COMPUTE_PATH and wrapping them as Connections is the transport's job; until a transport is
 * installed (`acceptCompute`), that path answers 501 and says where compute nodes can connect.
 */
import { DurableObject, type DurableObjectState } from 'cloudflare:workers'
import { createConsoleLogger, type Logger } from '@shoal/interface'
import { ShoalError } from '@shoal/models'
import { NotImplementedError, Requester, SqlJobStore, createRequesterApp, toErrorBody } from '@shoal/orchestrator'
import type { Connection } from '@shoal/protocol'
import { DurableObjectAlarmClock } from './alarm-clock.ts'
import { DurableObjectSqlDatabase } from './durable-object-sql-database.ts'
import { readEdgeSettings, type EdgeVars } from './edge-settings.ts'
import { EDGE_VERSION } from './edge-version.ts'

/** Where compute nodes open their WebSocket to the requester. */
export const COMPUTE_PATH = '/api/v1/shoal/compute'

/** The Worker's bindings the requester object uses. */
export interface RequesterEnv extends EdgeVars {
  /** The requester Durable Object namespace (wrangler.jsonc `durable_objects`). */
  REQUESTER: DurableObjectNamespace
  /** The web pages (wrangler.jsonc `assets`), when deployed with them. */
  ASSETS?: AssetsBinding
}

/** Accepts a compute node's upgrade request and hands its Connection to `connect`. */
export type ComputeAcceptor = (request: Request, connect: (connection: Connection) => void) => Response | Promise<Response>

interface Running {
  requester: Requester
  store: SqlJobStore
  app: { fetch(request: Request): Response | Promise<Response> }
}

/** The requester of one network, on a Durable Object. */
export class RequesterObject extends DurableObject<RequesterEnv> {
  readonly #clock: DurableObjectAlarmClock
  readonly #logger: Logger
  /** The running requester, or why it could not start. */
  readonly #running: Promise<Running | ShoalError>
  /** How COMPUTE_PATH upgrades become Connections; none until a transport is installed. */
  protected acceptCompute: ComputeAcceptor | undefined = undefined

  constructor(ctx: DurableObjectState, env: RequesterEnv) {
    super(ctx, env)
    this.#logger = createConsoleLogger({ level: logLevelOf(env), write: (line) => console.log(line) }).child('edge')
    this.#clock = new DurableObjectAlarmClock({ storage: ctx.storage, logger: this.#logger })
    // Nothing reaches the object before its requester has loaded its state.
    this.#running = ctx.blockConcurrencyWhile(() => this.#start())
  }

  async #start(): Promise<Running | ShoalError> {
    let settings
    try {
      settings = readEdgeSettings(this.env)
    } catch (error) {
      this.#logger.error('bad settings', { error: (error as Error).message })
      return error instanceof ShoalError ? error : new ShoalError(String(error))
    }
    const store = new SqlJobStore({ db: new DurableObjectSqlDatabase(this.ctx.storage) })
    const requester = new Requester({ store, clock: this.#clock, logger: this.#logger, config: { ...settings.requester, nodeId: `n-edge-${settings.network}` } })
    await requester.start()
    const app = createRequesterApp({
      service: requester,
      version: { GitVersion: `v${EDGE_VERSION}` },
      config: { Runtime: 'edge', Network: settings.network, JoinToken: settings.requester.joinToken, ManualApproval: settings.requester.manualApproval ?? false, ...(settings.apiTokens ? { ApiTokens: settings.apiTokens } : {}) },
      logger: this.#logger,
      auth: settings.apiTokens ? { tokens: settings.apiTokens } : undefined,
    })
    return { requester, store, app }
  }

  /** Serves the REST API, and COMPUTE_PATH for compute nodes. */
  async fetch(request: Request): Promise<Response> {
    const running = await this.#running
    if (running instanceof ShoalError) return errorResponse(running)
    if (new URL(request.url).pathname === COMPUTE_PATH) {
      if (this.acceptCompute === undefined) {
        return errorResponse(
          new NotImplementedError('this edge requester accepts no compute nodes yet: no compute transport is installed in the requester Durable Object', {
            hint: 'Connect compute nodes to a node-runner requester (`shoal serve --orchestrator`), see docs/EDGE.md.',
          }),
        )
      }
      return this.acceptCompute(request, (connection) => this.handleComputeConnection(connection))
    }
    return running.app.fetch(request)
  }

  /** Hands a compute node's connection to the requester, which runs the compute protocol on it. */
  async handleComputeConnection(connection: Connection): Promise<void> {
    const running = await this.#running
    if (running instanceof ShoalError) {
      await connection.close(running.message)
      return
    }
    running.requester.handleConnection(connection)
  }

  /** The object's alarm: the earliest requester deadline is due (the object may just have been started for it). */
  async alarm(): Promise<void> {
    await this.#running
    await this.#clock.fire()
  }
}

function logLevelOf(env: EdgeVars): 'debug' | 'info' | 'warn' | 'error' {
  const level = env.SHOAL_LOG_LEVEL?.trim()
  return level === 'debug' || level === 'warn' || level === 'error' ? level : 'info'
}

function errorResponse(error: ShoalError): Response {
  return Response.json(toErrorBody(error, crypto.randomUUID()), { status: error.status })
}

/** The route table: each endpoint is declared once, then registered and documented from it. */
import type { Context } from 'hono'
import type { UpgradeWebSocket } from 'hono/ws'
import type { Logger } from '@shoal/interface'
import type { SpecConfig } from '@shoal/models'
import type { RequesterService } from '../requester-service.ts'

/** Hono environment of the API: the request ID set by the request-ID middleware. */
export interface ApiEnv {
  Variables: { requestId: string }
}

/** HTTP methods the API uses. */
export type HttpMethod = 'GET' | 'PUT' | 'POST' | 'DELETE'

/** Who may call a route: anyone, or a token with the read, write or admin (node actions) scope. */
export type RouteScope = 'public' | 'read' | 'write' | 'admin'

/** A query parameter, for validation messages and the OpenAPI document. */
export interface QueryParameter {
  name: string
  type: 'string' | 'integer' | 'boolean'
  description: string
  /** Allowed values, when the parameter is an enumeration. */
  enum?: readonly string[]
  /** May be given several times (`labels`). */
  repeated?: boolean
}

/** One endpoint of the API. */
export interface ApiRoute {
  method: HttpMethod
  /** Hono path, e.g. `/api/v1/orchestrator/jobs/:id`. */
  path: string
  /** Stable operation name (Bacalhau's swagger IDs where one exists). */
  operationId: string
  summary: string
  description?: string
  tag: 'Orchestrator' | 'Agent' | 'Docs'
  /** Defaults: GET = read, PUT/POST/DELETE = write; node actions say admin. */
  scope?: RouteScope
  query?: QueryParameter[]
  /** Name of the request body schema in the OpenAPI components. */
  requestBody?: string
  /** Name of the 200 response schema in the OpenAPI components. */
  response: string
  /** Extra media types of the 200 response (the logs endpoint's NDJSON fallback). */
  responseMediaTypes?: string[]
  /** Also answers WebSocket upgrades (documented as status 101). */
  websocket?: boolean
  handler: (c: Context<ApiEnv>) => Response | Promise<Response>
}

/** The scope a route needs. */
export function routeScope(route: ApiRoute): RouteScope {
  return route.scope ?? (route.method === 'GET' ? 'read' : 'write')
}

/** The `:id` path parameter (every route with one declares it). */
export function pathId(c: Context<ApiEnv>): string {
  return c.req.param('id') ?? ''
}

/** The request URL, parsed once per handler. */
export function requestUrl(c: Context<ApiEnv>): URL {
  return new URL(c.req.url)
}

/** What the route handlers need, resolved from the app options. */
export interface ApiComponents {
  service: RequesterService
  logger: Logger
  maxBodyBytes: number
  /** The runtime's Hono WebSocket upgrade helper, when it has one. */
  upgradeWebSocket?: UpgradeWebSocket<any, any>
  /** See RequesterAppOptions.resultTransform. */
  resultTransform?: (result: SpecConfig, options: { signal?: AbortSignal }) => Promise<SpecConfig>
}

/**
 * The requester's REST API as a Hono app: Bacalhau's /api/v1 endpoints over a RequesterService.
 * Runtime-neutral (Hono and Web APIs only): Node serves it with @hono/node-server, workerd as a
 * fetch handler. Every error, thrown anywhere, becomes Bacalhau's error body in `onError`.
 */
import { Hono } from 'hono'
import type { Context } from 'hono'
import type { UpgradeWebSocket } from 'hono/ws'
import { HTTPException } from 'hono/http-exception'
import { BadRequestError, NotFoundError, ShoalError, UnauthorizedError, type ComputeNodeInfo, type SpecConfig } from '@shoal/models'
import { silentLogger } from '@shoal/interface'
import type { Logger } from '@shoal/interface'
import type { RequesterService } from '../requester-service.ts'
import { agentRoutes, DEFAULT_BUILD_VERSION } from './agent-routes.ts'
import { computeRoutes } from './compute-routes.ts'
import { routeScope } from './api-route.ts'
import type { ApiComponents, ApiEnv, ApiRoute, ComputeEndpoints } from './api-route.ts'
import type { BuildVersionInfo } from './api-types.ts'
import { bearerAuth } from './bearer-auth.ts'
import type { ApiToken } from './bearer-auth.ts'
import { API_COMPONENT, toErrorBody } from './error-body.ts'
import { MethodNotAllowedError } from './http-errors.ts'
import { jobRoutes } from './job-routes.ts'
import { DEFAULT_MAX_BODY_BYTES } from './json-body.ts'
import { eventRoutes } from './event-routes.ts'
import { jobWaitRoute, TooManyWaitersError } from './job-wait-route.ts'
import { nodeRoutes } from './node-routes.ts'
import { serveWebPage } from './page-routes.ts'
import { buildOpenApiDocument } from './openapi.ts'
import { REQUEST_ID_HEADER, requestIdMiddleware } from './request-id.ts'

/** Options (and components) of createRequesterApp. */
export interface RequesterAppOptions {
  /** The scheduler and store behind the API. */
  service: RequesterService
  /** Build version reported by GET /agent/version; missing fields get defaults. */
  version?: Partial<BuildVersionInfo>
  /** Bearer-token auth; when absent every endpoint is open. */
  auth?: { tokens: ApiToken[] }
  /** Cap of a request body in bytes (default 10 MiB); larger bodies get 413. */
  maxBodyBytes?: number
  /**
   * The runtime's Hono WebSocket helper for the logs endpoint (@hono/node-ws's on Node). It must
   * call `onOpen` once the socket is usable. Without it WebSocket requests get 501 and clients use
   * the NDJSON fallback.
   */
  upgradeWebSocket?: UpgradeWebSocket<any, any>
  /** The node's configuration for GET /agent/config (secrets are redacted before sending). */
  config?: Record<string, unknown>
  /**
   * What the compute node running in the same process offers (a combined `shoal serve`), if any:
   * GET /agent/node then includes it as ComputeNodeInfo, as upstream's hybrid node does.
   */
  localCompute?: () => ComputeNodeInfo | undefined
  logger?: Logger
  /**
   * Serves files of the built web/ (web/dist) by path, 404 for a file it does not hold. When
   * given, the app serves the pages (page-routes.ts): each page route gets its page's file, an
   * old `/?…` contribute bookmark is redirected to /contribute, and any other non-API path is
   * the file or a real 404 (the dashboard's not-found page for page-like paths).
   */
  staticAssets?: (request: Request) => Response | Promise<Response>
  /** Source of request IDs for requests without a usable X-Request-ID (default: random UUIDs). */
  generateRequestId?: () => string
  /**
   * Rewrites each published result GET /jobs/{id}/results returns (upstream's result
   * transformers: e.g. an `s3` result into an `s3PreSigned` one the client can fetch without
   * credentials). A failure leaves that result as it was.
   */
  resultTransform?: (result: SpecConfig, options: { signal?: AbortSignal }) => Promise<SpecConfig>
  /**
   * How compute nodes reach this requester: GET /api/v1/shoal/peers lists the transports, and
   * GET /api/v1/shoal/compute accepts the compute protocol over a WebSocket when `websocket` is given.
   */
  compute?: ComputeEndpoints
  /**
   * Most requests that may wait on GET /api/v1/shoal/jobs/{id}/wait at once (default 1000);
   * more get 503 with Retry-After, so idle waiters cannot hold unbounded memory.
   */
  maxJobWaiters?: number
}

/** Paths of the OpenAPI document. */
export const OPENAPI_PATHS = ['/api/v1/openapi.json', '/openapi.json'] as const

/** Compiles a Hono path into a matcher of concrete paths (for 405 detection). */
function pathMatcher(path: string): RegExp {
  const pattern = path
    .split('/')
    .map((part) => (part.startsWith(':') ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/')
  return new RegExp(`^${pattern}/?$`)
}

/** Creates the REST API app. */
export function createRequesterApp(options: RequesterAppOptions): Hono<ApiEnv> {
  const logger = (options.logger ?? silentLogger).child('api')
  const version: BuildVersionInfo = { ...DEFAULT_BUILD_VERSION, ...options.version }
  const components: ApiComponents = {
    service: options.service,
    logger,
    maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    upgradeWebSocket: options.upgradeWebSocket,
    resultTransform: options.resultTransform,
    compute: options.compute,
  }
  const routes: ApiRoute[] = [
    ...jobRoutes(components),
    ...nodeRoutes(components),
    ...eventRoutes(components),
    jobWaitRoute(components, { maxWaiters: options.maxJobWaiters }),
    ...agentRoutes({ ...components, version, config: options.config ?? {}, localCompute: options.localCompute }),
    ...computeRoutes(components),
  ]
  const openApi = buildOpenApiDocument(routes, { version: version.GitVersion, authEnabled: options.auth !== undefined })
  for (const path of OPENAPI_PATHS) {
    routes.push({
      method: 'GET',
      path,
      operationId: path === OPENAPI_PATHS[0] ? 'docs/openapi' : 'docs/openapiRoot',
      summary: 'This OpenAPI 3.1 document.',
      tag: 'Docs',
      scope: 'public',
      response: 'OpenApiDocument',
      handler: (c) => c.json(openApi),
    })
  }
  // The document lists itself too.
  Object.assign(openApi, buildOpenApiDocument(routes, { version: version.GitVersion, authEnabled: options.auth !== undefined }))

  const errorResponse = (c: Context<ApiEnv>, error: unknown): Response => {
    const requestId = c.get('requestId') ?? ''
    let mapped = error
    if (error instanceof HTTPException) {
      const status = error.status
      mapped = new (class extends ShoalError {
        override readonly code = status === 404 ? 'NotFound' : status >= 500 ? 'InternalError' : 'BadRequest'
        override readonly status = status
      })(error.message || 'request failed', { component: API_COMPONENT })
    }
    const body = toErrorBody(mapped, requestId)
    if (body.Status >= 500) {
      logger.error('request failed', {
        requestId,
        method: c.req.method,
        path: new URL(c.req.url).pathname,
        error: error instanceof Error ? (error.stack ?? error.message) : String(error),
      })
    } else {
      logger.debug('request rejected', { requestId, status: body.Status, code: body.Code, message: body.Message })
    }
    const headers: Record<string, string> = { [REQUEST_ID_HEADER]: requestId }
    if (error instanceof UnauthorizedError) headers['WWW-Authenticate'] = 'Bearer'
    if (error instanceof MethodNotAllowedError) headers['Allow'] = error.allow.join(', ')
    if (error instanceof TooManyWaitersError) headers['Retry-After'] = String(error.retryAfterSeconds)
    return c.json(body, body.Status as 400, headers)
  }

  const app = new Hono<ApiEnv>()
  app.use(requestIdMiddleware(options.generateRequestId ?? (() => crypto.randomUUID())))
  // A path that cannot be decoded names nothing; refuse it as Go's server does (400), before a
  // route or the page handler tries to decode it and fails.
  app.use(async (c, next) => {
    const path = new URL(c.req.url).pathname
    try {
      decodeURIComponent(path)
    } catch {
      throw new BadRequestError(`the request path ${path.slice(0, 200)} has an invalid %-escape`, {
        component: API_COMPONENT,
        hint: 'write a literal % as %25, and escape other bytes as % and two hex digits of their UTF-8 encoding',
      })
    }
    await next()
  })
  for (const route of routes) {
    const scope = routeScope(route)
    if (options.auth && scope !== 'public') app.on(route.method, route.path, bearerAuth(options.auth.tokens, scope), route.handler)
    else app.on(route.method, route.path, route.handler)
  }
  if (options.staticAssets) {
    const assets = options.staticAssets
    app.get('/*', async (c, next) => {
      const url = new URL(c.req.url)
      if (url.pathname.startsWith('/api/')) return next()
      return serveWebPage(c.req.raw, assets)
    })
  }

  const matchers = routes.map((route) => ({ method: route.method, matches: pathMatcher(route.path) }))
  app.notFound((c) => {
    const path = new URL(c.req.url).pathname
    const allow: string[] = [...new Set(matchers.filter((m) => m.matches.test(path)).map((m) => m.method))]
    // Page paths exist for GET when the app serves pages; another method there is not a miss.
    if (options.staticAssets && !path.startsWith('/api/') && !allow.includes('GET')) allow.push('GET')
    if (allow.length > 0) {
      if (allow.includes('GET')) allow.push('HEAD')
      return errorResponse(
        c,
        new MethodNotAllowedError(`${c.req.method} is not allowed on ${path}`, allow, {
          component: API_COMPONENT,
          hint: `use one of: ${allow.join(', ')}`,
        }),
      )
    }
    return errorResponse(
      c,
      new NotFoundError(`The requested resource/URL was not found: ${c.req.method} ${path}`, {
        component: API_COMPONENT,
        hint: `see the API at ${OPENAPI_PATHS[0]}; the server may be older than the client`,
      }),
    )
  })
  app.onError((error, c) => errorResponse(c, error))
  return app
}

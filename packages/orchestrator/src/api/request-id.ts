/** Request IDs: echo a sane incoming X-Request-ID or make one, and return it on every answer. */
import type { MiddlewareHandler } from 'hono'
import type { ApiEnv } from './api-route.ts'

/** Header carrying the request ID both ways. */
export const REQUEST_ID_HEADER = 'X-Request-ID'

const SANE_ID = /^[\w.:@/+=-]{1,200}$/

/** Middleware that sets `requestId` on the context and the X-Request-ID response header. */
export function requestIdMiddleware(generate: () => string): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const incoming = c.req.header(REQUEST_ID_HEADER)
    const id = incoming !== undefined && SANE_ID.test(incoming) ? incoming : generate()
    c.set('requestId', id)
    await next()
    try {
      c.res.headers.set(REQUEST_ID_HEADER, id)
    } catch {
      // Some runtimes hand back immutable headers on WebSocket upgrade responses.
    }
  }
}

/** Optional bearer-token authorisation with read, write and admin scopes. */
import { ForbiddenError, UnauthorizedError } from '@shoal/models'
import type { MiddlewareHandler } from 'hono'
import type { ApiEnv, RouteScope } from './api-route.ts'

/** A scope a token can hold: read for GET, write for PUT/POST/DELETE, admin for node actions. */
export type TokenScope = 'read' | 'write' | 'admin'

/** A token the API accepts and what it may do. */
export interface ApiToken {
  token: string
  scopes: TokenScope[]
}

/** Compares in time independent of where the strings first differ. */
function sameSecret(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a)
  const y = new TextEncoder().encode(b)
  let diff = x.length ^ y.length
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0)
  return diff === 0
}

/** Middleware requiring a bearer token with `scope` (no-op for public routes). */
export function bearerAuth(tokens: ApiToken[], scope: RouteScope): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    if (scope !== 'public') {
      const hint = 'send "Authorization: Bearer <token>" with a token configured on the requester'
      const header = c.req.header('authorization')
      if (!header) throw new UnauthorizedError('this requester requires a bearer token', { hint })
      const match = /^Bearer\s+(\S+)\s*$/i.exec(header)
      if (!match) throw new UnauthorizedError('the Authorization header must be "Bearer <token>"', { hint })
      const entry = tokens.find((t) => sameSecret(t.token, match[1]))
      if (!entry) throw new UnauthorizedError('the bearer token is not known to this requester', { hint })
      if (!entry.scopes.includes(scope)) {
        throw new ForbiddenError(`the bearer token lacks the ${scope} scope needed for ${c.req.method} ${new URL(c.req.url).pathname}`, {
          hint: `use a token with the ${scope} scope`,
        })
      }
    }
    await next()
  }
}

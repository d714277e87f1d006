/**
 * The Worker in front of the edge requester: API paths (and the OpenAPI document) go to the
 * network's requester Durable Object, everything else to the web pages (Workers static assets,
 * web/dist). Which object serves a request is fixed by the SHOAL_NETWORK var: one requester per
 * network (docs/EDGE.md says why not one per namespace).
 */
import { OPENAPI_PATHS } from '@shoal/orchestrator'
import type { RequesterEnv } from './requester-object.ts'

// The requester object with its compute WebSocket transport (wrangler.jsonc binds it by this name).
export { ComputeRequesterObject as RequesterObject } from './compute-requester-object.ts'

/** True for the paths the requester object serves. */
export function isRequesterPath(pathname: string): boolean {
  return pathname === '/api' || pathname.startsWith('/api/') || (OPENAPI_PATHS as readonly string[]).includes(pathname)
}

/** The Worker's fetch handler. */
async function handleFetch(request: Request, env: RequesterEnv): Promise<Response> {
  const { pathname } = new URL(request.url)
  if (isRequesterPath(pathname) || env.ASSETS === undefined) {
    const network = env.SHOAL_NETWORK?.trim() || 'default'
    return env.REQUESTER.get(env.REQUESTER.idFromName(network)).fetch(request)
  }
  return env.ASSETS.fetch(request)
}

export default { fetch: handleFetch }

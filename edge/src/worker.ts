/**
 * The Worker in front of the edge requester: API paths (and the OpenAPI document) go to the
 * network's requester Durable Object, everything else to the web pages (Workers static assets,
 * web/dist, routed as on Node: the dashboard's routes, /contribute, real 404s). Which object serves a request is fixed by the SHOAL_NETWORK var: one requester per
 * network (docs/EDGE.md says why not one per namespace).
 */
import { readStreamBytes } from '@shoal/interface'
import { PayloadTooLargeError } from '@shoal/models'
import { DEFAULT_MAX_BODY_BYTES, OPENAPI_PATHS, serveWebPage, toErrorBody } from '@shoal/orchestrator'
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
    const forwarded = await withBufferedBody(request)
    if (forwarded instanceof Response) return forwarded
    return env.REQUESTER.get(env.REQUESTER.idFromName(network)).fetch(forwarded)
  }
  // The same pages and URLs as the Node requester (page-routes.ts): /, /jobs/<id>, /contribute, real 404s.
  const assets = env.ASSETS
  if (request.method !== 'GET' && request.method !== 'HEAD') return assets.fetch(request)
  return serveWebPage(request, (asset) => assets.fetch(asset))
}

/**
 * The request with its body read into memory (at most the API's body cap), or a 413. A body
 * streamed on to the Durable Object and left unread there (a refused token, a validation error)
 * breaks the Worker's call to the object ("Network connection lost": the client got a 500
 * instead of the API's answer), so the object only ever gets whole bodies.
 */
async function withBufferedBody(request: Request): Promise<Request | Response> {
  if (request.body === null) return request
  const tooLarge = () =>
    new PayloadTooLargeError(`request body is larger than ${DEFAULT_MAX_BODY_BYTES} bytes`, {
      hint: 'publish large inputs (urlDownload, s3, ipfs) instead of inlining them, or raise the server body limit',
    })
  try {
    const declared = request.headers.get('content-length')
    if (declared !== null && Number(declared) > DEFAULT_MAX_BODY_BYTES) throw tooLarge()
    const body = await readStreamBytes(request.body, DEFAULT_MAX_BODY_BYTES, tooLarge)
    return new Request(request, { body: body as Uint8Array<ArrayBuffer> })
  } catch (error) {
    if (!(error instanceof PayloadTooLargeError)) throw error
    return Response.json(toErrorBody(error, request.headers.get('x-request-id') ?? crypto.randomUUID()), { status: error.status })
  }
}

export default { fetch: handleFetch }

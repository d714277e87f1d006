import { constantTimeEqual } from '@shoal/interface'
import { trustlessGateway } from '@shoal/ipfs'
import type { ApiToken } from '@shoal/orchestrator'
import type { SharedHelia } from './node-helia.ts'

/** Options of requesterGateway. */
export interface RequesterGatewayOptions {
  /** The REST API's tokens: when set, the gateway requires one with the read scope, as GET on the API does. */
  apiTokens?: ApiToken[]
  /** Longest wait for blocks a response starts with, in ms (default 60 s). */
  timeoutMs?: number
}

function unauthorized(status: 401 | 403, message: string): Response {
  const body = { Status: status, Message: message, Code: status === 401 ? 'Unauthorized' : 'Forbidden', Component: 'IPFSGateway', Hint: 'send "Authorization: Bearer <token>" with a read token configured on the requester' }
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...(status === 401 ? { 'WWW-Authenticate': 'Bearer' } : {}) } })
}

/**
 * The requester's trustless gateway (`GET /ipfs/<cid>[/path]` on its REST port): blocks from its
 * blockstore (the results it pinned) or fetched from connected peers. With API tokens configured
 * it answers only requests with a read token: results of private jobs are not for anyone who
 * learns a CID.
 */
export function requesterGateway(helia: SharedHelia, options: RequesterGatewayOptions = {}): (request: Request) => Promise<Response> {
  const gateway = trustlessGateway(helia, { timeoutMs: options.timeoutMs })
  const tokens = options.apiTokens
  if (!tokens) return gateway
  return async (request) => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.get('authorization') ?? '')
    if (!match) return unauthorized(401, 'this requester requires a bearer token')
    let entry: ApiToken | undefined
    for (const token of tokens) if (await constantTimeEqual(token.token, match[1])) entry = token
    if (!entry) return unauthorized(401, 'the bearer token is not known to this requester')
    if (!entry.scopes.includes('read')) return unauthorized(403, 'the bearer token lacks the read scope the gateway needs')
    return gateway(request)
  }
}

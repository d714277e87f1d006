/**
 * The edge requester's settings, read from the Worker's bindings (wrangler.jsonc `vars`, and
 * `wrangler secret put` for the secrets), with errors that name the binding and say what to do.
 */
import { ValidationError } from '@shoal/models'
import type { ApiToken, RequesterConfig, TokenScope } from '@shoal/orchestrator'

/** The bindings the edge requester reads (all strings, as Workers vars and secrets are). */
export interface EdgeVars {
  /** Bearer tokens of the REST API, `token:read,write;token2:read` (a secret). Unset: the API is open. */
  SHOAL_API_TOKENS?: string
  /** Secret compute nodes present to join (a secret). */
  SHOAL_JOIN_TOKEN?: string
  /** "true": new nodes join PENDING until approved. */
  SHOAL_MANUAL_APPROVAL?: string
  /** Name of the network: the requester Durable Object it routes to (default "default"). */
  SHOAL_NETWORK?: string
  /** Log level: debug, info, warn or error (default info). */
  SHOAL_LOG_LEVEL?: string
  /** "false": no edge compute node even with a LOADER binding (default true). */
  SHOAL_EDGE_COMPUTE?: string
}

/** The requester settings of a Worker's bindings. */
export interface EdgeSettings {
  apiTokens?: ApiToken[]
  requester: RequesterConfig
  network: string
  logLevel: 'debug' | 'info' | 'warn' | 'error'
  /** Whether the object runs the edge compute node when it has a Worker Loader binding. */
  edgeCompute: boolean
}

const SCOPES: readonly TokenScope[] = ['read', 'write', 'admin']
const LEVELS = ['debug', 'info', 'warn', 'error'] as const

/** Reads and checks the settings; throws a ValidationError naming the binding. */
export function readEdgeSettings(vars: EdgeVars): EdgeSettings {
  const manual = vars.SHOAL_MANUAL_APPROVAL?.trim().toLowerCase()
  if (manual !== undefined && manual !== '' && manual !== 'true' && manual !== 'false') {
    throw new ValidationError([{ path: 'SHOAL_MANUAL_APPROVAL', message: `is "${vars.SHOAL_MANUAL_APPROVAL}"; set it to true or false` }])
  }
  const level = (vars.SHOAL_LOG_LEVEL?.trim() || 'info') as EdgeSettings['logLevel']
  if (!LEVELS.includes(level)) {
    throw new ValidationError([{ path: 'SHOAL_LOG_LEVEL', message: `is "${vars.SHOAL_LOG_LEVEL}"; use one of ${LEVELS.join(', ')}` }])
  }
  const edgeCompute = vars.SHOAL_EDGE_COMPUTE?.trim().toLowerCase()
  if (edgeCompute !== undefined && edgeCompute !== '' && edgeCompute !== 'true' && edgeCompute !== 'false') {
    throw new ValidationError([{ path: 'SHOAL_EDGE_COMPUTE', message: `is "${vars.SHOAL_EDGE_COMPUTE}"; set it to true or false` }])
  }
  const network = vars.SHOAL_NETWORK?.trim() || 'default'
  const tokens = vars.SHOAL_API_TOKENS?.trim() ? parseEdgeApiTokens(vars.SHOAL_API_TOKENS) : undefined
  return {
    apiTokens: tokens,
    requester: { joinToken: vars.SHOAL_JOIN_TOKEN || undefined, manualApproval: manual === 'true' },
    network,
    logLevel: level,
    edgeCompute: edgeCompute !== 'false',
  }
}

/**
 * Parses `token:read,write;token2:read` (the format of node-runner's --api-tokens); a token
 * without scopes gets every scope.
 */
export function parseEdgeApiTokens(value: string): ApiToken[] {
  const seen = new Set<string>()
  return value
    .split(/[;\n]/)
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map((entry) => {
      const colon = entry.lastIndexOf(':')
      const token = (colon < 0 ? entry : entry.slice(0, colon)).trim()
      const scopeText = colon < 0 ? 'read,write,admin' : entry.slice(colon + 1)
      const scopes = scopeText.split(',').map((scope) => scope.trim().toLowerCase()).filter((scope) => scope !== '')
      const shown = token.length > 4 ? `${token.slice(0, 2)}…` : '…'
      if (token === '' || /\s/.test(token)) {
        throw new ValidationError([{ path: 'SHOAL_API_TOKENS', message: `"${shown}" is not a token: write token:read,write; tokens have no spaces` }])
      }
      if (scopes.length === 0 || scopes.some((scope) => !SCOPES.includes(scope as TokenScope))) {
        throw new ValidationError([{ path: 'SHOAL_API_TOKENS', message: `the token ${shown} has scopes "${scopeText}"; use read, write and admin, comma-separated` }])
      }
      if (seen.has(token)) throw new ValidationError([{ path: 'SHOAL_API_TOKENS', message: `the token ${shown} is listed twice` }])
      seen.add(token)
      return { token, scopes: [...new Set(scopes)] as TokenScope[] }
    })
}

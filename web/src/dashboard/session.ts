/**
 * The dashboard's connection to the requester: the API client (this page's origin), the bearer
 * token kept in sessionStorage when the API asks for one, and what that token may do.
 */
import { ApiError, createClient, type ShoalClient } from '@shoal/client'

const TOKEN_KEY = 'shoal.dashboard.token'

/** What the current token may do (every scope when the API is open). */
export interface Abilities {
  read: boolean
  write: boolean
  admin: boolean
}

/** The dashboard's session: a client with the current token, and its abilities. */
export class Session extends EventTarget {
  client: ShoalClient
  abilities: Abilities = { read: true, write: true, admin: true }
  /** True once the API refused a request for want of a token. */
  needsToken = false

  private readonly baseUrl: string

  constructor(baseUrl: string) {
    super()
    this.baseUrl = baseUrl
    this.client = createClient({ baseUrl, token: this.token })
  }

  /** The token kept for this tab's session, if any. */
  get token(): string | undefined {
    return sessionStorage.getItem(TOKEN_KEY) ?? undefined
  }

  /** Uses `token` from now on (kept for this tab only), and learns what it may do. */
  async setToken(token: string | undefined): Promise<void> {
    if (token) sessionStorage.setItem(TOKEN_KEY, token)
    else sessionStorage.removeItem(TOKEN_KEY)
    this.client = createClient({ baseUrl: this.baseUrl, token })
    this.needsToken = false
    await this.probe()
    this.dispatchEvent(new Event('change'))
  }

  /**
   * Learns what the token may do without changing anything: each probe is refused by scope (403)
   * before its handler would answer 400/404 for the empty request it sends.
   */
  async probe(): Promise<void> {
    // An open API (its OpenAPI document lists no security) allows everything: no probe needed.
    const document = (await fetch(new URL('/api/v1/openapi.json', this.baseUrl)).then(
      (res) => (res.ok ? res.json() : undefined),
      () => undefined,
    )) as { paths?: Record<string, Record<string, { security?: unknown }>> } | undefined
    const secured = document === undefined || Object.values(document.paths ?? {}).some((methods) => Object.values(methods).some((op) => op.security !== undefined))
    if (!secured) {
      this.abilities = { read: true, write: true, admin: true }
      return
    }
    const scopeOf = async (call: () => Promise<unknown>): Promise<boolean> => {
      try {
        await call()
        return true
      } catch (err) {
        if (err instanceof ApiError && (err.status === 401 || err.status === 403)) return false
        return true
      }
    }
    const read = await scopeOf(() => this.client.alive().then(() => this.client.listNodes({ limit: 1 })))
    if (!read) this.needsToken = true
    const [write, admin] = await Promise.all([
      scopeOf(() => this.client.diffJob({})),
      scopeOf(() => this.client.nodeAction('n-00000000-0000-0000-0000-000000000000', 'approve')),
    ])
    this.abilities = { read, write, admin }
  }

  /** Called by views on an error: a 401 means the dashboard must ask for a token. */
  noteError(error: unknown): void {
    if (error instanceof ApiError && error.status === 401 && !this.needsToken) {
      this.needsToken = true
      this.dispatchEvent(new Event('change'))
    }
  }
}

/** A message for an error the API returned (its message and hint). */
export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.hint ? `${error.message} (${error.hint})` : error.message
  return error instanceof Error ? error.message : String(error)
}

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { ShoalError } from '@shoal/models'
import { loadOrCreatePrivateFile } from '../config/private-file.ts'

/** Options of ResultUrlSigner. */
export interface ResultUrlSignerInit {
  /** The node's secret (see loadOrCreateResultSecret); whoever holds it can mint download URLs. */
  secret: Uint8Array
  /** How long a signed URL stays valid, in ms (default 7 days). */
  ttlMs?: number
  /** The clock, in ms since the epoch (injected by tests). */
  now?: () => number
}

/** What a signature check found. */
export type ResultUrlCheck = 'valid' | 'expired' | 'invalid'

const DEFAULT_TTL_MS = 7 * 24 * 3600_000

/**
 * Signs and checks the download URLs of `local` published results: `?expires=<unix s>&sig=<HMAC>`.
 * Result archives hold a job's output, so the result server hands them only to someone the
 * requester gave the URL to (`shoal job get`), not to whoever can guess an execution ID or
 * reach the port (a hostile job's URL input, a neighbour on the LAN), and only until it expires.
 */
export class ResultUrlSigner {
  private readonly secret: Uint8Array
  private readonly ttlMs: number
  private readonly now: () => number

  constructor(init: ResultUrlSignerInit) {
    this.secret = init.secret
    this.ttlMs = init.ttlMs ?? DEFAULT_TTL_MS
    this.now = init.now ?? Date.now
  }

  /** The query string (without `?`) that lets `name` be downloaded until the TTL runs out. */
  sign(name: string): string {
    const expires = Math.floor((this.now() + this.ttlMs) / 1000)
    return `expires=${expires}&sig=${this.mac(name, expires)}`
  }

  /** Whether `query` holds a valid, unexpired signature for `name`. */
  check(name: string, query: URLSearchParams): ResultUrlCheck {
    const expires = Number(query.get('expires'))
    const sig = query.get('sig') ?? ''
    if (!Number.isSafeInteger(expires) || sig === '') return 'invalid'
    const expected = Buffer.from(this.mac(name, expires))
    const given = Buffer.from(sig)
    // Constant-time compare, so the signature cannot be found byte by byte from response times.
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'invalid'
    return expires * 1000 < this.now() ? 'expired' : 'valid'
  }

  private mac(name: string, expires: number): string {
    return createHmac('sha256', this.secret).update(`${name}\n${expires}`).digest('base64url')
  }
}

/** A result-URL secret that is not one (empty or not base64url). */
export class ResultSecretError extends ShoalError {
  override readonly code = 'ResultSecretError'
  override readonly status = 500
}

/** The result-URL secret kept in `<dataDir>/result-url-secret` (mode 0600), created on first start. */
export async function loadOrCreateResultSecret(dataDir: string): Promise<Uint8Array> {
  return loadOrCreatePrivateFile(dataDir, 'result-url-secret', {
    what: 'result-URL secret',
    create: async () => {
      const secret = randomBytes(32)
      return { value: secret, bytes: secret.toString('base64url') + '\n' }
    },
    decode: (bytes) => {
      const secret = Buffer.from(new TextDecoder().decode(bytes).trim(), 'base64url')
      if (secret.length < 16) throw new Error(`it holds ${secret.length} bytes, not the 32 Shoal writes`)
      return secret
    },
    corrupt: (path, cause) =>
      new ResultSecretError(`${path} is not a result-URL secret (${(cause as Error).message})`, {
        cause,
        hint: 'delete it and restart the compute node: a new secret is made (links handed out before stop working)',
      }),
  })
}

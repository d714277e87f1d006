/** Redaction of secrets before a configuration leaves the node (GET /agent/config). */

/** What replaces a secret value. */
export const REDACTED = '********'

const SECRET_KEY = /(token|secret|password|passwd|api[-_]?key|private[-_]?key|credential|auth[-_]?key|access[-_]?key(?![-_]?id))/i

/** A deep copy of `config` with every non-empty value under a secret-looking key replaced. */
export function redactConfig(config: Record<string, unknown>): Record<string, unknown> {
  return redactValue(config, 0) as Record<string, unknown>
}

/** Depth bound: configuration is shallow; anything deeper is cut rather than walked forever. */
const MAX_DEPTH = 32

function redactValue(value: unknown, depth: number): unknown {
  if (depth > MAX_DEPTH) return REDACTED
  if (Array.isArray(value)) return value.map((v) => redactValue(v, depth + 1))
  if (typeof value !== 'object' || value === null) return value
  const out: Record<string, unknown> = {}
  for (const [key, v] of Object.entries(value)) {
    const empty = v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0)
    if (SECRET_KEY.test(key) && !empty) {
      // A list of secrets (e.g. auth tokens) keeps its shape so the reader sees how many there are.
      out[key] = Array.isArray(v) ? v.map((item) => redactSecretItem(item)) : REDACTED
    } else out[key] = redactValue(v, depth + 1)
  }
  return out
}

function redactSecretItem(item: unknown): unknown {
  if (typeof item !== 'object' || item === null) return REDACTED
  const out: Record<string, unknown> = {}
  for (const [key, v] of Object.entries(item)) out[key] = SECRET_KEY.test(key) ? REDACTED : v
  return out
}

import type { Job } from '@shoal/models'

// Fields the orchestrator owns: a resubmission never "changes" them.
const SERVER_FIELDS = new Set(['ID', 'State', 'Version', 'Revision', 'CreateTime', 'ModifyTime'])

function flatten(value: unknown, path: string, out: Map<string, string>): void {
  if (value !== null && typeof value === 'object') {
    const entries = Array.isArray(value) ? value.map((v, i) => [`[${i}]`, v] as const) : Object.entries(value).map(([k, v]) => [path ? `.${k}` : k, v] as const)
    if (entries.length === 0) out.set(path, Array.isArray(value) ? '[]' : '{}')
    for (const [key, child] of entries) flatten(child, path + key, out)
    return
  }
  if (value !== undefined) out.set(path, JSON.stringify(value))
}

/**
 * The differences between a stored job and a submitted one, one line per changed field
 * (`- Tasks[0].Resources.CPU: "500m"` / `+ Tasks[0].Resources.CPU: "1"`); empty when equal.
 * Server-owned fields (ID, State, Version, Revision, times) are ignored.
 */
export function diffJobs(current: Job, next: Job): string {
  const a = new Map<string, string>()
  const b = new Map<string, string>()
  for (const [key, value] of Object.entries(current)) if (!SERVER_FIELDS.has(key)) flatten(value, key, a)
  for (const [key, value] of Object.entries(next)) if (!SERVER_FIELDS.has(key)) flatten(value, key, b)
  const lines: string[] = []
  for (const key of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    const before = a.get(key)
    const after = b.get(key)
    if (before === after) continue
    if (before !== undefined) lines.push(`- ${key}: ${before}`)
    if (after !== undefined) lines.push(`+ ${key}: ${after}`)
  }
  return lines.join('\n')
}

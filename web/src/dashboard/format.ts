/** How the dashboard writes times, sizes and states. */
import { EXECUTION_STATES } from '@shoal/models'

/** A time as local date and time, e.g. `2026-12-07 17:04:05`. */
export function formatTime(value: number | string | undefined): string {
  if (value === undefined || value === '' || value === 0) return '—'
  // Job and execution times are Unix nanoseconds on the wire (Bacalhau's); history times are RFC 3339.
  const ms = typeof value === 'number' ? (value > 1e15 ? value / 1e6 : value) : Date.parse(value)
  if (!Number.isFinite(ms)) return String(value)
  const d = new Date(ms)
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
}

/** Milliseconds since the epoch of a wire time (nanoseconds, milliseconds or RFC 3339). */
export function timeMs(value: number | string | undefined): number {
  if (value === undefined) return 0
  if (typeof value === 'number') return value > 1e15 ? value / 1e6 : value
  const ms = Date.parse(value)
  return Number.isFinite(ms) ? ms : 0
}

/** How long ago, in words (`12 s ago`). */
export function ago(ms: number, now = Date.now()): string {
  if (!ms) return '—'
  const s = Math.max(0, Math.round((now - ms) / 1000))
  if (s < 60) return `${s} s ago`
  if (s < 3600) return `${Math.round(s / 60)} min ago`
  if (s < 86_400) return `${Math.round(s / 3600)} h ago`
  return `${Math.round(s / 86_400)} d ago`
}

/** Bytes in binary units (`1.5 GiB`). */
export function formatBytes(bytes: number | undefined): string {
  if (bytes === undefined || !Number.isFinite(bytes)) return '—'
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return `${value >= 10 || unit === 0 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`
}

/** The name of an execution compute state (integers on the wire). */
export function executionStateName(value: number | string | undefined): string {
  if (typeof value === 'string') return value
  return value === undefined ? '—' : (EXECUTION_STATES[value] ?? `Unknown(${value})`)
}

/** The CSS tone of a state: ok, bad, busy or idle. */
export function stateTone(state: string): 'ok' | 'bad' | 'busy' | 'idle' {
  if (/^(Completed|APPROVED|CONNECTED|HEALTHY)$/i.test(state)) return 'ok'
  if (/^(Failed|Cancelled|BidRejected|AskForBidRejected|REJECTED|DISCONNECTED|LOST)$/i.test(state)) return 'bad'
  if (/^(Running|Publishing|Queued|Pending|BidAccepted|AskForBid|AskForBidAccepted|New|PENDING)$/i.test(state)) return 'busy'
  return 'idle'
}

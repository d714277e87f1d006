/** Converts a Unix-nanosecond wire time to milliseconds. */
export const nanosToMillis = (nanos: number): number => Math.floor(nanos / 1e6)

/** A time as an ISO-8601 string (UTC). Accepts Unix nanoseconds (numbers) or ISO strings. */
export function isoTime(time: number | string | undefined): string {
  if (time === undefined || time === '' || time === 0) return ''
  const millis = typeof time === 'number' ? nanosToMillis(time) : Date.parse(time)
  return Number.isFinite(millis) ? new Date(millis).toISOString() : String(time)
}

/** A time relative to `now` ("12s ago", "3m ago", "5h ago", "2d ago"), ISO beyond 30 days. */
export function relativeTime(time: number | string | undefined, now: number): string {
  if (time === undefined || time === '' || time === 0) return ''
  const millis = typeof time === 'number' ? nanosToMillis(time) : Date.parse(time)
  if (!Number.isFinite(millis)) return String(time)
  const seconds = Math.round((now - millis) / 1000)
  if (seconds < 0) return isoTime(time)
  if (seconds < 60) return `${seconds}s ago`
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ago`
  if (seconds < 86400) return `${Math.floor(seconds / 3600)}h ago`
  if (seconds < 30 * 86400) return `${Math.floor(seconds / 86400)}d ago`
  return isoTime(time)
}

/** A duration in ms as "1.2s", "3m4s", "1h2m". */
export function formatDuration(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)}s`
  const totalSeconds = Math.floor(ms / 1000)
  if (totalSeconds < 3600) return `${Math.floor(totalSeconds / 60)}m${totalSeconds % 60}s`
  return `${Math.floor(totalSeconds / 3600)}h${Math.floor((totalSeconds % 3600) / 60)}m`
}

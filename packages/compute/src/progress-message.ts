import type { BytesProgress } from '@shoal/interface'

const BINARY_UNITS = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB'] as const

/**
 * Bytes for a progress message, in binary units: `512 B`, `12.5 MiB`, `512 MiB`, `2.0 GiB`
 * (one decimal below 100 of a unit, so a growing number does not jump in width).
 */
export function formatBinaryBytes(bytes: number): string {
  const value = Math.max(0, Math.trunc(Number.isFinite(bytes) ? bytes : 0))
  if (value < 1024) return `${value} B`
  let scaled = value / 1024
  let unit = 0
  while (scaled >= 1024 && unit < BINARY_UNITS.length - 1) {
    scaled /= 1024
    unit++
  }
  // Floored: a figure never shows more than has arrived (1.99 GiB of 2 GiB is "1.9 GiB").
  const shown = scaled >= 99.95 ? Math.floor(scaled).toString() : (Math.floor(scaled * 10) / 10).toFixed(1)
  return `${shown} ${BINARY_UNITS[unit]}`
}

/** `512 MiB of 2.0 GiB (25%)`, or `512 MiB` when the total is not known. */
export function formatBytesDone(done: number, total?: number): string {
  if (total === undefined || !Number.isFinite(total) || total <= 0) return formatBinaryBytes(done)
  // Floored and capped: 100% only once everything is there, never more (a lying size).
  const percent = Math.min(100, Math.floor((Math.max(0, done) / total) * 100))
  return `${formatBinaryBytes(done)} of ${formatBinaryBytes(total)} (${percent}%)`
}

/**
 * The execution state message of a storage provider's or publisher's progress, e.g.
 * `downloading InputSources[0] (urlDownload https://…/data.csv): 512 MiB of 2.0 GiB (25%)` or
 * `publishing e-1234.tar.gz: 3.2 MiB of 12.0 MiB (26%)`. A label that names an input source gets
 * "downloading" before it; other labels say what they do themselves ("publishing …").
 */
export function progressMessage(detail: BytesProgress): string {
  const label = detail.label.startsWith('InputSources[') ? `downloading ${detail.label}` : detail.label
  return `${label}: ${formatBytesDone(detail.done, detail.total)}`
}

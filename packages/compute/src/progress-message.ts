import { formatBinaryBytes } from '@shoal/models'
import type { BytesProgress } from '@shoal/interface'

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

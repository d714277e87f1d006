import { describe, expect, it } from 'vitest'
import { formatBytesDone, progressMessage } from '../src/progress-message.ts'

const MiB = 1024 * 1024
const GiB = 1024 * MiB

describe('progress messages', () => {
  it('shows done of total with a floored percentage, capped at 100%, or done alone when the total is unknown', () => {
    expect(formatBytesDone(512 * MiB, 2 * GiB)).toBe('512 MiB of 2.0 GiB (25%)')
    expect(formatBytesDone(2 * GiB - 1, 2 * GiB)).toBe('1.9 GiB of 2.0 GiB (99%)')
    expect(formatBytesDone(3 * MiB, 2 * MiB)).toBe('3.0 MiB of 2.0 MiB (100%)')
    expect(formatBytesDone(512 * MiB)).toBe('512 MiB')
    expect(formatBytesDone(5, 0)).toBe('5 B')
  })

  it('says "downloading" before an input source label and uses other labels as they are', () => {
    expect(progressMessage({ label: 'InputSources[0] (urlDownload https://example.com/data.csv)', done: 512 * MiB, total: 2 * GiB })).toBe(
      'downloading InputSources[0] (urlDownload https://example.com/data.csv): 512 MiB of 2.0 GiB (25%)',
    )
    expect(progressMessage({ label: 'publishing e-1234.tar.gz', done: 3 * MiB, total: 12 * MiB })).toBe('publishing e-1234.tar.gz: 3.0 MiB of 12.0 MiB (25%)')
    expect(progressMessage({ label: 'InputSources[1] (ipfs bafy…)', done: 100 })).toBe('downloading InputSources[1] (ipfs bafy…): 100 B')
  })
})

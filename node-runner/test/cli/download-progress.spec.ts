import { describe, expect, it } from 'vitest'
import { DownloadProgressReporter, renderDownloadProgress } from '../../src/cli/download-progress.ts'
import { CapturedStream } from './cli-harness.ts'

const MiB = 1024 * 1024
const GiB = 1024 * MiB

describe('job get progress', () => {
  it('renders a bar with the percentage, bytes of the Content-Length and the rate', () => {
    expect(renderDownloadProgress({ index: 0, count: 2, done: 512 * MiB, total: 2 * GiB }, { elapsedMs: 4000 })).toBe(
      'result 1/2 [######------------------]  25%  512 MiB / 2.0 GiB  128 MiB/s',
    )
    expect(renderDownloadProgress({ index: 1, count: 2, done: 2 * GiB, total: 2 * GiB }, { elapsedMs: 16_000 })).toBe(
      'result 2/2 [########################] 100%  2.0 GiB / 2.0 GiB  128 MiB/s',
    )
  })

  it('without a Content-Length shows the bytes and rate only, and no rate before time has passed', () => {
    expect(renderDownloadProgress({ index: 0, count: 1, done: 3 * MiB }, { elapsedMs: 2000 })).toBe('result 1/1  3.0 MiB  1.5 MiB/s')
    expect(renderDownloadProgress({ index: 0, count: 1, done: 0 }, { elapsedMs: 0 })).toBe('result 1/1  0 B')
  })

  it('fits a narrow terminal: the bar goes first, then the line is cut', () => {
    const progress = { index: 0, count: 1, done: 512 * MiB, total: 2 * GiB }
    expect(renderDownloadProgress(progress, { elapsedMs: 4000, columns: 60 })).toBe('result 1/1  25%  512 MiB / 2.0 GiB  128 MiB/s')
    expect(renderDownloadProgress(progress, { elapsedMs: 4000, columns: 30 })).toHaveLength(29)
  })

  it('on a terminal redraws one line at most every 100 ms and keeps each finished result on its own line', () => {
    let now = 0
    const stream = Object.assign(new CapturedStream(), { isTTY: true, columns: 120 })
    const reporter = new DownloadProgressReporter({ stream, now: () => now })
    for (let done = 0; done <= 10 * MiB; done += MiB / 4) {
      reporter.update({ index: 0, count: 1, done, total: 10 * MiB })
      now += 25
    }
    reporter.update({ index: 0, count: 1, done: 10 * MiB, total: 10 * MiB, finished: true })
    reporter.end()
    const frames = stream.text.split('\r\u001b[2K').filter((frame) => frame !== '')
    // 41 figures over 1 s, 25 ms apart: one frame per 100 ms, plus the finished line.
    expect(frames).toHaveLength(12)
    expect(frames.slice(0, -1).every((frame) => !frame.includes('\n'))).toBe(true)
    expect(frames.at(-1)).toBe('result 1/1 [########################] 100%  10.0 MiB / 10.0 MiB  9.7 MiB/s  1.0s\n')
  })

  it('without a terminal prints nothing for a quick download, and a plain line every 10 s for a long one', () => {
    let now = 0
    const stream = new CapturedStream()
    const reporter = new DownloadProgressReporter({ stream, now: () => now })
    reporter.update({ index: 0, count: 1, done: 0, total: 4 * MiB })
    now = 500
    reporter.update({ index: 0, count: 1, done: 4 * MiB, total: 4 * MiB })
    reporter.update({ index: 0, count: 1, done: 4 * MiB, total: 4 * MiB, finished: true })
    expect(stream.text).toBe('')

    for (let second = 0; second <= 25; second++) {
      now = 1000 + second * 1000
      reporter.update({ index: 1, count: 2, done: second * MiB })
    }
    reporter.end()
    expect(stream.text).toBe('result 2/2  10.0 MiB  1.0 MiB/s\nresult 2/2  20.0 MiB  1.0 MiB/s\n')
  })

  it('end() finishes a line a failed download left half drawn', () => {
    const stream = Object.assign(new CapturedStream(), { isTTY: true })
    const reporter = new DownloadProgressReporter({ stream, now: () => 0 })
    reporter.update({ index: 0, count: 1, done: 1 })
    reporter.end()
    expect(stream.text.endsWith('\n')).toBe(true)
  })
})

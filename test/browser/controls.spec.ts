/**
 * The contribute page's controls in headless Chromium: the CPU share slider changes what the
 * requester lists for the tab, Pause sends jobs elsewhere (and a job only this tab may run
 * waits with the pause reason), Resume takes jobs again; a tab without WebRTC joins over
 * WebSockets, says so, and runs a job.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { existsSync } from 'node:fs'
import { runScenario } from './run-scenario.ts'

interface PageView {
  title: string
  reason: string
  transport: string
  share: string
  pauseButton: string
  slider: { value: string; max: string; disabled: boolean }
}

interface Counts {
  completed: number
  running: number
  failed: number
  queued: number
}

interface ControlsFindings {
  nodes: { a: string; b: string }
  slider: Record<'start' | 'top' | 'back', { page: PageView; max?: number; available?: number }>
  needsMoreCpu: { cpu: number; queued: { state: string; message: string; executions: number }; state: string; ranOn: string[]; stdout?: string }
  paused: {
    view: PageView
    countsAtPause: Counts
    whilePaused: Array<{ id: string; state: string; ranOn: string[]; stdout?: string }>
    turnedDown: { state: string; message: string; history: string[]; executions: Array<{ node: string; state: string | number; message: string }> }
    countsWhilePaused: Counts
    screenshot: string
  }
  resumed: { view: PageView; pinned: { state: string; node: string; stdout: string }; hello: { code: number; stdout: string; stderr: string }; countsA: Counts }
  countsB: Counts
  webSockets: {
    screenshot: string
    info: { nodeId: string; transport: string; status: string }
    rtcOnPage: string
    view: PageView
    hello: { code: number; stdout: string; stderr: string }
    counts: Counts
    requesterStatus: string
  }
}

describe('contribute page: slider, pause and resume, WebSockets fallback', () => {
  let findings: ControlsFindings

  beforeAll(async () => {
    findings = (await runScenario<ControlsFindings>('controls')).findings
  })

  it('moving the CPU share slider changes the CPU the requester lists for the tab, both ways', () => {
    const { start, top, back } = findings.slider
    const low = Number(start.page.slider.value)
    const high = Number(start.page.slider.max)
    expect(high).toBeGreaterThan(low) // the slider has somewhere to go (2 cores here, starting at 1)
    expect(start.page.slider.disabled).toBe(false)
    expect(start).toMatchObject({ max: low, available: low })
    expect(top).toMatchObject({ max: high, available: high })
    expect(top.page.share).toMatch(new RegExp(`^${high} of ${high} cores`))
    expect(back).toMatchObject({ max: low, available: low })
    expect(back.page.share).toMatch(new RegExp(`^${low} of ${high} cores`))
  })

  it('runs a job needing more CPU than the tab offers once the slider offers it', () => {
    const job = findings.needsMoreCpu
    expect(job.queued.state).toBe('Queued')
    expect(job.queued.executions).toBe(0)
    expect(job.queued.message).toMatch(new RegExp(`CPU in all, less than the ${job.cpu} CPU required`))
    expect(job).toMatchObject({ state: 'Completed', ranOn: ['a'], stdout: 'hello from wasm\n' })
  })

  it('shows the paused state after Pause', () => {
    const { view, screenshot } = findings.paused
    expect(view.title).toBe('Paused')
    expect(view.reason).toMatch(/Not taking new jobs/)
    expect(view.pauseButton).toBe('Resume')
    expect(existsSync(screenshot)).toBe(true)
  })

  it('sends jobs to the other tab while one is paused', () => {
    const { whilePaused, countsAtPause, countsWhilePaused } = findings.paused
    expect(whilePaused).toHaveLength(4)
    for (const job of whilePaused) {
      expect(job.state, job.id).toBe('Completed')
      expect(job.ranOn, job.id).toEqual(['b'])
      expect(job.stdout, job.id).toBe('hello from wasm\n')
    }
    expect(countsWhilePaused).toEqual(countsAtPause)
    expect(findings.countsB.completed).toBe(4)
  })

  it('keeps a job only the paused tab may run queued, with the pause as the reason', () => {
    const { turnedDown } = findings.paused
    expect(turnedDown.state).toBe('Queued')
    expect(turnedDown.message).toMatch(/declined it \(node paused by its operator\)/)
    expect(turnedDown.history.join('\n')).toMatch(/declined execution e-\w+: node paused by its operator/)
    expect(turnedDown.executions).toEqual([expect.objectContaining({ node: 'a', message: 'node paused by its operator' })])
  })

  it('runs the job it turned down while paused, and new jobs, after Resume', () => {
    const { view, pinned, hello, countsA } = findings.resumed
    expect(view.title).toBe('Contributing')
    expect(view.pauseButton).toBe('Pause')
    expect(pinned).toEqual({ state: 'Completed', node: 'a', stdout: 'hello from wasm\n' })
    expect(hello.code, hello.stderr).toBe(0)
    expect(hello.stdout).toBe('hello from wasm\n')
    // The job needing more CPU, then the pinned job and the one sent after Resume.
    expect(countsA.completed).toBe(findings.paused.countsAtPause.completed + 2)
    expect(findings.paused.countsAtPause.completed).toBe(1)
  })

  it('joins over WebSockets when the browser has no WebRTC, shows it, and runs a job', () => {
    const ws = findings.webSockets
    expect(ws.rtcOnPage).toBe('undefined')
    expect(ws.info).toMatchObject({ status: 'contributing', transport: 'websockets' })
    expect(ws.requesterStatus).toBe('CONNECTED')
    expect(ws.view.transport).toMatch(/WebSockets/)
    expect(ws.view.title).toBe('Contributing')
    expect(ws.hello.code, ws.hello.stderr).toBe(0)
    expect(ws.hello.stdout).toBe('hello from wasm\n')
    expect(ws.counts.completed).toBe(1)
    expect(existsSync(ws.screenshot)).toBe(true)
  })
})

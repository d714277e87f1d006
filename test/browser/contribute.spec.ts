/**
 * Two headless Chromium tabs are the only compute nodes of a devstack: WASM jobs submitted
 * with the CLI run on them over WebRTC, hostile jobs are contained, and the page shows it.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { existsSync } from 'node:fs'
import { runScenario } from './run-scenario.ts'

interface ContributeFindings {
  tabInfo: Array<{ nodeId: string; transport: string; status: string }>
  jobs: Array<{ id: string; state: string; nodes: string[]; stdout: string; file: string; expectedFile: string }>
  hostile: Array<{ name: string; cliExit: number; state: string; messages: string[] }>
  after: { code: number; stdout: string }
  tabA: { status: string; counts: { completed: number; failed: number; running: number }; transport: string }
  tabB: { status: string; counts: { completed: number; failed: number; running: number }; transport: string }
  screenshot: string
  text: string
}

describe('contribute page: two tabs as compute nodes', () => {
  let findings: ContributeFindings

  beforeAll(async () => {
    findings = (await runScenario<ContributeFindings>('contribute')).findings
  })

  it('connects both tabs to the requester over WebRTC', () => {
    expect(findings.tabInfo).toHaveLength(2)
    for (const tab of findings.tabInfo) {
      expect(tab.status).toBe('contributing')
      expect(['webrtc-direct', 'webrtc']).toContain(tab.transport)
    }
    expect(findings.tabInfo[0].nodeId).not.toBe(findings.tabInfo[1].nodeId)
  })

  it('runs 20 CLI-submitted WASM jobs on the tabs with the right stdout and result files', () => {
    expect(findings.jobs).toHaveLength(20)
    for (const job of findings.jobs) {
      expect(job.state, job.id).toBe('Completed')
      expect(job.stdout, job.id).toBe('wrote /outputs/result.txt\n')
      expect(job.file, job.id).toBe(job.expectedFile)
      expect(job.nodes, job.id).toHaveLength(1)
    }
  })

  it('spreads the jobs over both tabs', () => {
    const perTab = new Map<string, number>()
    for (const job of findings.jobs) for (const node of job.nodes) perTab.set(node, (perTab.get(node) ?? 0) + 1)
    expect([...perTab.keys()].sort()).toEqual(['a', 'b'])
  })

  it('contains an infinite loop: the execution times out and fails', () => {
    const loop = findings.hostile.find((h) => h.name === 'loop')!
    expect(loop.cliExit).not.toBe(0)
    expect(loop.state).toBe('Failed')
    // Either the tab's engine ("after 1s") or the requester's backstop ("after 1 s (Timeouts…)") ends
    // it first; both count from the start of the run.
    expect(loop.messages.join('\n')).toMatch(/^a: .*timed out after 1 ?s/m)
  })

  it('contains a memory hog: the execution fails out of memory under its 64 MB cap', () => {
    const hog = findings.hostile.find((h) => h.name === 'memory-hog')!
    expect(hog.cliExit).not.toBe(0)
    expect(hog.state).toBe('Failed')
    expect(hog.messages.join('\n')).toMatch(/^a: .*out of memory/m)
  })

  it('keeps serving after the hostile jobs: the next job on the same tab succeeds', () => {
    expect(findings.after).toEqual({ code: 0, stdout: 'hello from wasm\n' })
    expect(findings.tabA.status).toBe('contributing')
    expect(findings.tabA.transport).toBe(findings.tabInfo[0].transport)
  })

  it('shows the counts on the page as the tab saw them', () => {
    const total = findings.tabA.counts.completed + findings.tabB.counts.completed
    // 20 jobs + the hello after the hostile ones; each tab counts what it ran.
    expect(total).toBe(21)
    expect(findings.tabA.counts.failed).toBeGreaterThanOrEqual(1)
    expect(findings.text).toContain('Contributing')
    expect(findings.text).toContain('WebRTC')
    expect(findings.text).toMatch(new RegExp(`\\b${findings.tabA.counts.completed}\\s+Jobs run`))
    expect(existsSync(findings.screenshot)).toBe(true)
  })
})

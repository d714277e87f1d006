/**
 * One headless Chromium tab next to two Node compute nodes: jobs submitted one after another
 * spread over every node, the tab included, and the tab's page counts the jobs it ran.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { runScenario } from './run-scenario.ts'

interface MixedNetworkFindings {
  names: string[]
  jobs: Array<{ id: string; state: string; nodes: string[]; stdout: string; executionMs: number[]; cliMs: number }>
  tab: { status: string; counts: { completed: number; failed: number; running: number } }
  text: string
}

describe('mixed network: 1 tab + 2 Node compute nodes', () => {
  let findings: MixedNetworkFindings

  // 20 CLI processes one after another: minutes on a loaded 2-core machine.
  beforeAll(async () => {
    findings = (await runScenario<MixedNetworkFindings>('mixed-network', { timeoutMs: 420_000 })).findings
  }, 450_000)

  it('runs 20 sequentially submitted WASM jobs, each once, with the right stdout', () => {
    expect(findings.jobs).toHaveLength(20)
    for (const job of findings.jobs) {
      expect(job.state, job.id).toBe('Completed')
      expect(job.nodes, job.id).toHaveLength(1)
      expect(job.stdout, job.id).toBe('hello from wasm\n')
    }
  })

  it('spreads them over every node, the tab included', () => {
    const perNode = new Map<string, number>()
    for (const job of findings.jobs) for (const node of job.nodes) perNode.set(node, (perNode.get(node) ?? 0) + 1)
    expect([...perNode.keys()].sort()).toEqual(['node-0', 'node-1', 'tab'])
  })

  it('shows on the tab the jobs it ran', () => {
    const ranOnTab = findings.jobs.filter((job) => job.nodes.includes('tab')).length
    expect(findings.tab.status).toBe('contributing')
    expect(findings.tab.counts.completed).toBe(ranOnTab)
    expect(findings.text).toMatch(new RegExp(`\\b${ranOnTab}\\s+Jobs run`))
  })
})

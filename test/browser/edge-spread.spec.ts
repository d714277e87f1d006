/**
 * Count=3 on the edge requester spreads over a node-runner compute node, a Chromium tab and the
 * edge compute node (WASM in workers loaded through the Worker Loader), each running the job once.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { executionStateToWire } from '@shoal/models'
import { runScenario } from './run-scenario.ts'

interface EdgeSpreadFindings {
  state: string
  runtimes: Record<string, string | undefined>
  /** ComputeState as on the wire (an integer, as upstream). */
  executions: Array<{ node: string; state: number; stdout: string }>
}

describe('edge requester: one job over three kinds of node', () => {
  let findings: EdgeSpreadFindings

  beforeAll(async () => {
    findings = (await runScenario<EdgeSpreadFindings>('edge-spread', { timeoutMs: 240_000 })).findings
  }, 250_000)

  it('the three nodes say which runtime they are', () => {
    expect(findings.runtimes).toEqual({ 'node-runner': 'node', tab: 'browser', edge: 'edge' })
  })

  it('Count=3 runs once on each of them, each to Completed with the program\'s output', () => {
    expect(findings.state).toBe('Completed')
    const completed = executionStateToWire('Completed')
    const byNode = findings.executions.map((e) => [e.node, e.state, e.stdout]).sort()
    expect(byNode).toEqual([
      ['edge', completed, 'hello from wasm\n'],
      ['node-runner', completed, 'hello from wasm\n'],
      ['tab', completed, 'hello from wasm\n'],
    ])
  })
})

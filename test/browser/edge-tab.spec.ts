/**
 * A tab contributes to the edge requester (workerd, miniflare): it joins over the compute
 * WebSocket the requester Durable Object accepts with the hibernation API, and runs a job.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { runScenario } from './run-scenario.ts'

interface EdgeTabFindings {
  nodeId: string
  joined: { status: string; transport: string | undefined; requester: string | undefined }
  hello: string
  node: string | undefined
  counts: { completed: number }
}

describe('contribute page: the edge requester', () => {
  let findings: EdgeTabFindings

  beforeAll(async () => {
    findings = (await runScenario<EdgeTabFindings>('edge-tab')).findings
  })

  it('the tab joins over the edge requester\'s compute WebSocket', () => {
    expect(findings.joined.status).toBe('contributing')
    expect(findings.joined.transport).toBe('websocket')
    expect(findings.joined.requester).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/api\/v1\/shoal\/compute$/)
    expect(findings.node).toBe('CONNECTED')
  })

  it('runs a WASM job submitted to the edge with the CLI', () => {
    expect(findings.hello).toBe('hello from wasm')
    expect(findings.counts.completed).toBe(1)
  })
})

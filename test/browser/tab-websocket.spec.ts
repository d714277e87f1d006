/**
 * A tab joins a requester that offers only the plain WebSocket transport (as the edge requester
 * does) and runs a job there; WebRTC is never tried because nothing offers it.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { ExecutionState } from '@shoal/models'
import { runScenario } from './run-scenario.ts'

interface WebSocketFindings {
  peers: { PeerID: string; Multiaddrs: string[]; Transports: Array<{ Type: string; URL?: string }> }
  nodeId: string
  joined: { status: string; transport: string | undefined; requester: string | undefined }
  hello: string
  executions: Array<{ node: string; state: number }>
  counts: { completed: number; failed: number }
  badge: string | null
}

describe('contribute page: a requester that offers only WebSocket', () => {
  let findings: WebSocketFindings

  beforeAll(async () => {
    findings = (await runScenario<WebSocketFindings>('tab-websocket')).findings
  })

  it('offers only its compute WebSocket', () => {
    expect(findings.peers).toEqual({ PeerID: '', Multiaddrs: [], Transports: [{ Type: 'websocket', URL: '/api/v1/shoal/compute' }] })
  })

  it('the tab joins over the WebSocket and says so', () => {
    expect(findings.joined.status).toBe('contributing')
    expect(findings.joined.transport).toBe('websocket')
    expect(findings.joined.requester).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/api\/v1\/shoal\/compute$/)
    expect(findings.badge).toBe('WebSocket (fallback)')
  })

  it('runs a WASM job on the tab', () => {
    expect(findings.hello).toBe('hello from wasm')
    expect(findings.executions).toEqual([{ node: findings.nodeId, state: ExecutionState.Completed }])
    expect(findings.counts.completed).toBe(1)
  })
})

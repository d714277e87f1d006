/**
 * A requester restart does not cost the network its tabs: they rejoin over WebRTC by asking the
 * requester's API for its new WebRTC-direct address (the certificate hash changes on restart).
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { runScenario } from './run-scenario.ts'

interface Joined {
  status: string
  transport: string | undefined
  requester: string | undefined
}

interface RestartFindings {
  nodeId: string
  before: Joined
  whileDown: string
  after: Joined
  rejoinMs: number
  helloBefore: string
  helloAfter: string
  nodeAfter: string | undefined
}

describe('contribute page: the requester restarts', () => {
  let findings: RestartFindings

  beforeAll(async () => {
    findings = (await runScenario<RestartFindings>('requester-restart')).findings
  })

  it('shows the lost connection while the requester is down', () => {
    expect(findings.before.transport).toBe('webrtc-direct')
    expect(['disconnected', 'connecting']).toContain(findings.whileDown)
  })

  it('rejoins over WebRTC-direct at the new certificate hash, as the same node', () => {
    expect(findings.after.transport).toBe('webrtc-direct')
    expect(findings.after.requester).toContain('/webrtc-direct/certhash/')
    expect(findings.after.requester).not.toBe(findings.before.requester)
    expect(findings.nodeAfter).toBe('CONNECTED')
  })

  it('runs jobs before and after the restart', () => {
    expect(findings.helloBefore).toBe('hello from wasm')
    expect(findings.helloAfter).toBe('hello from wasm')
  })
})

/**
 * IPFS in a tab (issue 11): a tab fetches an `ipfs` input that an independent Helia node added,
 * publishes with the `ipfs` publisher, and publishes a result over the old 4 MiB inline limit;
 * after the tab has closed, `shoal job get` and the requester's gateway still give every result,
 * because the requester fetched and pinned it before reporting the execution Completed.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { runScenario } from './run-scenario.ts'

interface JobFindings {
  state: string
  executions: Array<{ node: string; state: string; message: string; published: { Type: string; Params?: Record<string, unknown> } | null; exitCode?: number }>
  /** `shoal job get`, and the digest (or text) of stdout, or of outputs/data for the large job. */
  get: { code: number; stderr: string; sha?: string; text?: string }
  gateway?: { status: number; sha?: string; bytes: number }
}

interface TabIpfsFindings {
  nodeId: string
  expected: { small: string; large: string }
  ipfsJob: JobFindings
  largeJob: JobFindings
  smallJob: JobFindings
}

describe('contribute page: IPFS in a tab', () => {
  let findings: TabIpfsFindings

  beforeAll(async () => {
    findings = (await runScenario<TabIpfsFindings>('tab-ipfs', { timeoutMs: 230_000 })).findings
  })

  it("runs a job on the tab over an ipfs input another IPFS node added, and publishes it with the ipfs publisher (upstream's PublishedResult)", () => {
    expect(findings.ipfsJob.state, JSON.stringify(findings.ipfsJob.executions)).toBe('Completed')
    const [execution] = findings.ipfsJob.executions.filter((e) => e.state === 'Completed')
    expect(execution.node).toBe(findings.nodeId)
    expect(execution.exitCode).toBe(0)
    expect(execution.published?.Type).toBe('ipfs')
    expect(String(execution.published?.Params?.CID)).toMatch(/^(Qm|baf)/)
  })

  it('gives the ipfs-published result with `shoal job get` and from the requester gateway after the tab closed', () => {
    expect(findings.ipfsJob.get.code, findings.ipfsJob.get.stderr).toBe(0)
    expect(findings.ipfsJob.get.sha).toBe(findings.expected.small)
    expect(findings.ipfsJob.gateway).toMatchObject({ status: 200, sha: findings.expected.small })
  })

  it('publishes a `local` result larger than 4 MiB from a tab (to IPFS, kept by the requester), fetched after the tab closed', () => {
    expect(findings.largeJob.state, JSON.stringify(findings.largeJob.executions)).toBe('Completed')
    const [execution] = findings.largeJob.executions.filter((e) => e.state === 'Completed')
    expect(execution.node).toBe(findings.nodeId)
    expect(execution.published?.Type).toBe('ipfs')
    expect(findings.largeJob.get.code, findings.largeJob.get.stderr).toBe(0)
    expect(findings.largeJob.get.sha).toBe(findings.expected.large)
    expect(findings.largeJob.gateway).toMatchObject({ status: 200, sha: findings.expected.large })
  })

  it('still sends a small `local` result inline, and `shoal job get` unpacks it after the tab closed', () => {
    expect(findings.smallJob.state).toBe('Completed')
    expect(findings.smallJob.executions.find((e) => e.state === 'Completed')?.published?.Type).toBe('urlDownload')
    expect(findings.smallJob.get.code, findings.smallJob.get.stderr).toBe(0)
    expect(findings.smallJob.get.text).toContain('hello from wasm')
  })
})

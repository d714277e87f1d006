/**
 * S3 in a tab (issue 12): a tab holds no S3 credentials. It reads `s3PreSigned` inputs through
 * their URLs, and publishes with the `s3` publisher through upload URLs the requester (which has
 * credentials) presigns on request: one PUT for a small result, a multipart upload past 16 MiB.
 * After the tab has closed, `shoal job get` fetches every result from S3 (radosgw on loopback).
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { runScenario } from './run-scenario.ts'

interface JobFindings {
  state: string
  executions: Array<{ node: string; state: string; message: string; published: { Type: string; Params?: Record<string, unknown> } | null; exitCode?: number }>
  /** HEAD of the published object: its size, and whether its ETag is a multipart one ("…-N"). */
  stored?: { bytes: number; multipartETag: boolean }
  get: { code: number; stderr: string; sha?: string; text?: string }
}

interface TabS3Findings {
  nodeId: string
  expected: { hello: string; large: string }
  smallJob: JobFindings
  largeJob: JobFindings
  /** Multipart uploads left open in the results bucket. */
  openUploads: number
}

describe('contribute page: S3 in a tab', () => {
  let findings: TabS3Findings

  beforeAll(async () => {
    // radosgw's start-up (a Ceph cluster) takes a minute or more on a busy 2-core machine.
    findings = (await runScenario<TabS3Findings>('tab-s3', { timeoutMs: 400_000 })).findings
  }, 420_000)

  it("reads an s3PreSigned input and publishes to s3 in one presigned PUT, reporting upstream's PublishedResult", () => {
    expect(findings.smallJob.state, JSON.stringify(findings.smallJob.executions)).toBe('Completed')
    const execution = findings.smallJob.executions.find((e) => e.state === 'Completed')!
    expect(execution.node).toBe(findings.nodeId)
    expect(execution.exitCode).toBe(0)
    expect(execution.published?.Type).toBe('s3')
    expect(execution.published?.Params).toMatchObject({ Bucket: 'tab-results' })
    expect(String(execution.published?.Params?.Key)).toMatch(/^tab\/j-[^/]+\/e-[^/]+\.tar\.gz$/)
    expect(findings.smallJob.stored).toMatchObject({ multipartETag: false })
    expect(findings.smallJob.stored!.bytes).toBeGreaterThan(0)
  })

  it('publishes a result past the single-PUT bound as a multipart upload, and leaves no upload open', () => {
    expect(findings.largeJob.state, JSON.stringify(findings.largeJob.executions)).toBe('Completed')
    const execution = findings.largeJob.executions.find((e) => e.state === 'Completed')!
    expect(execution.node).toBe(findings.nodeId)
    expect(execution.published?.Type).toBe('s3')
    expect(findings.largeJob.stored!.multipartETag).toBe(true)
    expect(findings.largeJob.stored!.bytes).toBeGreaterThan(16 * 1024 * 1024)
    expect(findings.openUploads).toBe(0)
  })

  it('gives both results with `shoal job get` after the tab closed', () => {
    expect(findings.smallJob.get.code, findings.smallJob.get.stderr).toBe(0)
    expect(findings.smallJob.get.text).toBe(findings.expected.hello)
    expect(findings.largeJob.get.code, findings.largeJob.get.stderr).toBe(0)
    expect(findings.largeJob.get.sha).toBe(findings.expected.large)
  })
})

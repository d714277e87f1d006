/**
 * The Transport compliance suite over libp2p WebRTC-direct (Node <-> Node, 127.0.0.1).
 *
 * WebRTC may only run inside a loopback-only network namespace, so this file runs twice: in
 * the normal run it re-runs itself with Vitest inside `unshare -n` (lo up, nothing else) and
 * registers one test per test of that inner run, passing or failing as it did there; inside
 * the namespace (SHOAL_LOOPBACK_NETNS=1) it registers the real tests.
 */
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { UnreachableError } from '@shoal/models'
import { runTransportCompliance } from '@shoal/protocol/transport-compliance'
import { deadAddress, libp2pPair } from './libp2p-pair.ts'
import { createComputeLibp2p, createLibp2pDialer, createRequesterLibp2p, generatePeerKey } from '../src/index.ts'

const NAMESPACE_ENV = 'SHOAL_LOOPBACK_NETNS'

if (process.env[NAMESPACE_ENV] === '1') {
  runTransportCompliance('libp2p over WebRTC-direct on 127.0.0.1', libp2pPair('webrtc-direct', { dialTimeoutMs: 3_000 }))

  describe('libp2p WebRTC-direct dialing', () => {
    it('runs inside a network namespace that has only loopback', async () => {
      const { networkInterfaces } = await import('node:os')
      expect(Object.keys(networkInterfaces())).toEqual(['lo'])
    })

    it('gives up on a silent webrtc-direct address after dialTimeoutMs with UnreachableError', async () => {
      const requester = await createRequesterLibp2p({ privateKey: await generatePeerKey(), listen: ['/ip4/127.0.0.1/udp/0/webrtc-direct'] })
      const address = await deadAddress('webrtc-direct', requester)
      await requester.stop()
      const compute = await createComputeLibp2p({ transports: 'node' })
      try {
        const dialer = createLibp2pDialer({ libp2p: compute, dialTimeoutMs: 500 })
        const error = await dialer.dial(address).catch((err: unknown) => err)
        expect(error).toBeInstanceOf(UnreachableError)
        expect((error as Error).message).toMatch(/^cannot reach requester at \/ip4\/127\.0\.0\.1\/udp\/\d+\/webrtc-direct\/certhash\//)
      } finally {
        await compute.stop()
      }
    })

    it('stops a pending dial when the signal aborts', async () => {
      const requester = await createRequesterLibp2p({ privateKey: await generatePeerKey(), listen: ['/ip4/127.0.0.1/udp/0/webrtc-direct'] })
      const address = await deadAddress('webrtc-direct', requester)
      await requester.stop()
      const compute = await createComputeLibp2p({ transports: 'node' })
      try {
        // A long dial timeout: only the abort can end this dial within the test's time.
        const dialer = createLibp2pDialer({ libp2p: compute, dialTimeoutMs: 60_000 })
        const controller = new AbortController()
        const dialing = dialer.dial(address, { signal: controller.signal })
        setTimeout(() => controller.abort(), 50)
        await expect(dialing).rejects.toMatchObject({ name: 'AbortError' })
      } finally {
        await compute.stop()
      }
    }, 10_000)
  })
} else {
  const root = fileURLToPath(new URL('../../../', import.meta.url))
  const outDir = await mkdtemp(join(tmpdir(), 'shoal-webrtc-direct-'))
  const report = join(outDir, 'report.json')
  const vitest = join(root, 'node_modules/vitest/vitest.mjs')
  const spec = fileURLToPath(import.meta.url)
  const script = `ip link set lo up && exec "${process.execPath}" "${vitest}" run --project transport-libp2p --reporter=json --outputFile="${report}" "${spec}"`
  const run = await new Promise<{ code: number | null; output: string }>((resolve) => {
    execFile('unshare', ['-n', 'sh', '-c', script], { cwd: root, env: { ...process.env, [NAMESPACE_ENV]: '1' }, maxBuffer: 64 * 1024 * 1024, timeout: 180_000 }, (error, stdout, stderr) =>
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, output: `${stdout}\n${stderr}` }),
    )
  })
  type InnerResult = { fullName: string; status: string; failureMessages: string[] }
  let results: InnerResult[] = []
  try {
    const json = JSON.parse(await readFile(report, 'utf8')) as { testResults: Array<{ assertionResults: InnerResult[] }> }
    results = json.testResults.flatMap((file) => file.assertionResults)
  } catch {}
  await rm(outDir, { recursive: true, force: true })

  describe('WebRTC-direct inside a loopback-only network namespace (unshare -n)', () => {
    it('ran the inner test run', () => {
      // No results means unshare (needs root or user namespaces) or the inner Vitest failed.
      expect(results.length, `inner run (exit ${run.code}) produced no results:\n${run.output.slice(-4000)}`).toBeGreaterThan(0)
    })
    for (const result of results) {
      it(result.fullName, () => {
        expect(result.status, result.failureMessages.join('\n')).toBe('passed')
      })
    }
  })
}

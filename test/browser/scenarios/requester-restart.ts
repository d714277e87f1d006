/**
 * A contributing tab outlives a requester restart: the requester stops (the tab shows it lost
 * the connection), starts again on the same port and data dir with a new WebRTC-direct
 * certificate, and the tab asks the requester's API for the new address and rejoins over WebRTC
 * (not the WebSockets fallback) as the same node, then runs a job. Prints one JSON line of
 * findings.
 */
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { openHeadlessTabs } from '../../../node-runner/src/browsers/index.ts'
import { startRequester, tempDir, type RequesterProcess } from '../../support/index.ts'
import { ensureWebBuilt, fail, FIXTURES, hook, log, poll, report, shoalOk, watchTab } from './scenario-kit.ts'

/** Fixed: the namespace is ours alone, and the tab must find the requester where it was. */
const PORT = 4600

interface Joined {
  status: string
  transport: string | undefined
  requester: string | undefined
}

try {
  ensureWebBuilt()
  const dataDir = await tempDir('shoal-restart-')
  // A requester process, restarted as an operator would: same port, same data dir.
  const start = () => startRequester({ port: PORT, dataDir })
  let requester: RequesterProcess | undefined = await start()
  const api = requester.apiUrl
  const tabs = await openHeadlessTabs({ url: api + '/contribute', count: 1, namespaceOk: false })
  const page = tabs.pages[0]
  watchTab(page, '0')
  const joined = (what: string) =>
    poll<Joined>(
      what,
      async () => {
        const now = await hook(page, (h) => ({ status: h.status(), transport: h.transport(), requester: h.requester() }))
        return now.status === 'contributing' ? now : undefined
      },
      { timeoutMs: 40_000, everyMs: 50 },
    )
  const runHello = async () => (await shoalOk(api, ['wasm', 'run', join(FIXTURES, 'hello.wasm')])).trim()
  try {
    const nodeId = await hook(page, (h) => h.nodeId())
    const before = await joined('the tab to join')
    const helloBefore = await runHello()
    log(`joined over ${before.transport} at ${before.requester}; ran: ${helloBefore}`)

    await requester.process.stop()
    requester = undefined
    const whileDown = await poll(
      'the tab to notice the requester is gone',
      async () => {
        const status = await hook(page, (h) => h.status())
        return status === 'contributing' ? undefined : status
      },
      { timeoutMs: 15_000, everyMs: 50 },
    )
    log(`requester stopped; tab shows ${whileDown}`)

    requester = await start()
    const restartedAt = Date.now()
    const after = await joined('the tab to rejoin the restarted requester')
    const rejoinMs = Date.now() - restartedAt
    log(`rejoined over ${after.transport} at ${after.requester} after ${rejoinMs} ms`)
    const helloAfter = await runHello()
    const nodes = JSON.parse(await shoalOk(api, ['node', 'list', '--output', 'json'])) as Array<{ Info: { NodeID: string }; ConnectionState: { Status: string } }>
    report({
      nodeId,
      before,
      whileDown,
      after,
      rejoinMs,
      helloBefore,
      helloAfter,
      nodeAfter: nodes.find((n) => n.Info.NodeID === nodeId)?.ConnectionState.Status,
    })
  } finally {
    await tabs.close()
    await requester?.process.stop()
    await rm(dataDir, { recursive: true, force: true })
  }
} catch (err) {
  fail(err)
}

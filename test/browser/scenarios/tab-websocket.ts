/**
 * A requester that offers only the plain WebSocket transport (`--compute-transports websocket`,
 * as the edge does): the contribute page finds that in GET /api/v1/shoal/peers, joins over the
 * WebSocket, runs a WASM job and shows the transport. Prints one JSON line of findings.
 */
import { join } from 'node:path'
import { openHeadlessTabs } from '../../../node-runner/src/browsers/index.ts'
import { removeTempDirs, startRequester } from '../../support/index.ts'
import { ensureWebBuilt, fail, FIXTURES, hook, log, poll, renderedFrames, report, shoalOk, watchTab } from './scenario-kit.ts'

try {
  ensureWebBuilt()
  const requester = await startRequester({ args: ['--compute-transports', 'websocket'], timeoutMs: 60_000 })
  const api = requester.apiUrl
  const peers = await (await fetch(`${api}/api/v1/shoal/peers`)).json()
  const tabs = await openHeadlessTabs({ url: api + '/contribute', count: 1, namespaceOk: false })
  const page = tabs.pages[0]
  watchTab(page, '0')
  try {
    const nodeId = await hook(page, (h) => h.nodeId())
    const joined = await poll(
      'the tab to join over WebSocket',
      async () => {
        const now = await hook(page, (h) => ({ status: h.status(), transport: h.transport(), requester: h.requester() }))
        return now.status === 'contributing' ? now : undefined
      },
      { timeoutMs: 40_000, everyMs: 50 },
    )
    log(`joined over ${joined.transport} at ${joined.requester}`)
    const hello = (await shoalOk(api, ['wasm', 'run', join(FIXTURES, 'hello.wasm')])).trim()
    const jobs = (await (await fetch(`${api}/api/v1/orchestrator/jobs`)).json()) as { Items: Array<{ ID: string }> }
    const executions = ((await (await fetch(`${api}/api/v1/orchestrator/jobs/${jobs.Items[0].ID}/executions`)).json()) as { Items: Array<{ NodeID: string; ComputeState: { StateType: number } }> }).Items
    const counts = await hook(page, (h) => h.counts())
    await renderedFrames(page)
    const badge = await page.locator('[data-bind="transport"]').textContent()
    report({ peers, nodeId, joined, hello, executions: executions.map((e) => ({ node: e.NodeID, state: e.ComputeState.StateType })), counts, badge })
  } finally {
    await tabs.close()
    await requester.process.stop()
    await removeTempDirs()
  }
} catch (err) {
  fail(err)
}

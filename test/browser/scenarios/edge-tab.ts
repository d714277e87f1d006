/**
 * A Chromium tab joins the edge requester: the Worker and its requester Durable Object in workerd
 * (miniflare on 127.0.0.1, the contribute page from web/dist as its static assets). The page asks
 * the edge's /api/v1/shoal/peers, finds only the compute WebSocket (the edge runs no libp2p),
 * joins over it and runs a WASM job submitted with the CLI. Prints one JSON line of findings.
 */
import { fileURLToPath } from 'node:url'
import { join } from 'node:path'
import { Miniflare } from 'miniflare'
import { openHeadlessTabs } from '../../../node-runner/src/browsers/index.ts'
import { buildTestWorker } from '../../../edge/test/workerd/build-test-worker.ts'
import { ensureWebBuilt, fail, FIXTURES, hook, log, poll, report, shoalOk, watchTab } from './scenario-kit.ts'

try {
  ensureWebBuilt()
  const script = await buildTestWorker(fileURLToPath(new URL('../../../edge/src/worker.ts', import.meta.url)))
  const mf = new Miniflare({
    modules: true,
    script,
    compatibilityDate: '2026-07-30',
    host: '127.0.0.1',
    port: 0,
    durableObjects: { REQUESTER: { className: 'RequesterObject', useSQLite: true } },
    bindings: { SHOAL_NETWORK: 'edge-tab', SHOAL_LOG_LEVEL: 'info' },
    // As wrangler.jsonc: the API reaches the Worker first, everything else is the page.
    assets: {
      directory: fileURLToPath(new URL('../../../web/dist', import.meta.url)),
      binding: 'ASSETS',
      routerConfig: { has_user_worker: true, invoke_user_worker_ahead_of_assets: false, static_routing: { user_worker: ['/api/*', '/openapi.json'] } },
    },
  })
  const api = (await mf.ready).toString().replace(/\/$/, '')
  const tabs = await openHeadlessTabs({ url: api + '/contribute', count: 1, namespaceOk: false })
  const page = tabs.pages[0]
  watchTab(page, '0')
  try {
    const nodeId = await hook(page, (h) => h.nodeId())
    const joined = await poll(
      'the tab to join the edge requester',
      async () => {
        const now = await hook(page, (h) => ({ status: h.status(), transport: h.transport(), requester: h.requester() }))
        return now.status === 'contributing' ? now : undefined
      },
      { timeoutMs: 40_000, everyMs: 50 },
    )
    log(`joined over ${joined.transport} at ${joined.requester}`)
    const hello = (await shoalOk(api, ['wasm', 'run', join(FIXTURES, 'hello.wasm')])).trim()
    const nodes = (await (await fetch(`${api}/api/v1/orchestrator/nodes`)).json()) as { Nodes: Array<{ Info: { NodeID: string }; ConnectionState: { Status: string } }> }
    report({ nodeId, joined, hello, node: nodes.Nodes.find((n) => n.Info.NodeID === nodeId)?.ConnectionState.Status, counts: await hook(page, (h) => h.counts()) })
  } finally {
    await tabs.close()
    await mf.dispose()
  }
} catch (err) {
  fail(err)
}

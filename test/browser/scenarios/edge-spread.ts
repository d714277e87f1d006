/**
 * Count=3 over three kinds of compute node of one edge requester (workerd, miniflare, with a
 * Worker Loader binding): a node-runner compute node (`shoal serve --compute`, over the compute
 * WebSocket), a Chromium tab (the contribute page, over the same WebSocket) and the edge compute
 * node inside the requester object (WASM in loaded workers). One job with Count=3 is submitted
 * through the REST API; prints one JSON line of findings: which node ran each execution.
 */
import { fileURLToPath } from 'node:url'
import { join } from 'node:path'
import { Miniflare } from 'miniflare'
import { openHeadlessTabs } from '../../../node-runner/src/browsers/index.ts'
import { buildTestWorker } from '../../../edge/test/workerd/build-test-worker.ts'
import { inlineWasmJob } from '../../support/job-specs.ts'
import { killAllShoals, startCompute } from '../../support/index.ts'
import { ensureWebBuilt, fail, FIXTURES, hook, log, poll, report, watchTab } from './scenario-kit.ts'

const EDGE_NODE = 'n-edge-compute-edge-spread'

interface NodeView {
  Info: { NodeID: string; Labels?: Record<string, string> }
  ConnectionState: { Status: string }
}

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
    workerLoaders: { LOADER: {} },
    bindings: { SHOAL_NETWORK: 'edge-spread', SHOAL_LOG_LEVEL: 'info' },
    assets: {
      directory: fileURLToPath(new URL('../../../web/dist', import.meta.url)),
      binding: 'ASSETS',
      routerConfig: { has_user_worker: true, invoke_user_worker_ahead_of_assets: false, static_routing: { user_worker: ['/api/*', '/openapi.json'] } },
      // As edge/wrangler.jsonc: the Worker routes the pages (/contribute is index.html), not the asset server.
      assetConfig: { html_handling: 'none', not_found_handling: 'none' },
    },
  })
  const api = (await mf.ready).toString().replace(/\/$/, '')
  const compute = await startCompute(api, { timeoutMs: 60_000 })
  const tabs = await openHeadlessTabs({ url: api + '/contribute', count: 1, namespaceOk: false })
  const page = tabs.pages[0]
  watchTab(page, 'tab')
  try {
    const tabNode = await hook(page, (h) => h.nodeId())
    const names = new Map([
      [compute.nodeId, 'node-runner'],
      [tabNode, 'tab'],
      [EDGE_NODE, 'edge'],
    ])
    const nodes = await poll(
      'the node-runner node, the tab and the edge compute node to be connected',
      async () => {
        const listed = ((await (await fetch(`${api}/api/v1/orchestrator/nodes`)).json()) as { Nodes: NodeView[] }).Nodes
        const connected = listed.filter((n) => names.has(n.Info.NodeID) && n.ConnectionState.Status === 'CONNECTED')
        return connected.length === 3 ? listed : undefined
      },
      { timeoutMs: 60_000, everyMs: 100 },
    )
    log(`connected: ${nodes.map((n) => `${names.get(n.Info.NodeID)} (runtime ${n.Info.Labels?.runtime ?? '?'})`).join(', ')}`)
    const put = await fetch(`${api}/api/v1/orchestrator/jobs`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ Job: inlineWasmJob(join(FIXTURES, 'hello.wasm'), { name: 'spread', count: 3, publisher: 'noop' }) }),
    })
    const { JobID } = (await put.json()) as { JobID: string }
    const state = await poll(
      'the Count=3 job to end',
      async () => {
        const { Job } = (await (await fetch(`${api}/api/v1/orchestrator/jobs/${JobID}`)).json()) as { Job: { State: { StateType: string } } }
        return ['Completed', 'Failed', 'Stopped'].includes(Job.State.StateType) ? Job.State.StateType : undefined
      },
      { timeoutMs: 90_000, everyMs: 200 },
    )
    const executions = ((await (await fetch(`${api}/api/v1/orchestrator/jobs/${JobID}/executions`)).json()) as {
      Items: Array<{ NodeID: string; ComputeState: { StateType: number }; RunOutput?: { Stdout?: string } }>
    }).Items
    const ran = executions.map((e) => ({ node: names.get(e.NodeID) ?? e.NodeID, state: e.ComputeState.StateType, stdout: e.RunOutput?.Stdout ?? '' }))
    log(`job ${JobID} ${state}: ${ran.map((r) => `${r.node} ${r.state}`).join(', ')}`)
    report({ state, runtimes: Object.fromEntries(nodes.filter((n) => names.has(n.Info.NodeID)).map((n) => [names.get(n.Info.NodeID), n.Info.Labels?.runtime])), executions: ran })
  } finally {
    await tabs.close()
    await killAllShoals()
    await mf.dispose()
  }
} catch (err) {
  fail(err)
}

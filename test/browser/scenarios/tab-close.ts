/**
 * Hiding a tab, then showing it again: it leaves and rejoins. Closing a tab while it runs a long
 * job: the tab says Goodbye, the requester marks its node disconnected (seen with `shoal node
 * list`), reschedules the job on the other tab, and the job completes there with the right
 * output; then the job upstream's `bacalhau wasm run main.wasm` builds runs on the tab left.
 * Prints one JSON line of findings.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startDevstack } from '../../../node-runner/src/devstack/run-devstack.ts'
import { openHeadlessTabs } from '../../../node-runner/src/browsers/index.ts'
import { upstreamWasmRunJob } from '../../support/upstream-wasm-job.ts'
import { ensureWebBuilt, fail, FIXTURES, hook, log, poll, report, shoal, shoalOk, watchTab } from './scenario-kit.ts'

/** compute.wasm rounds: about 4 s on one core, long enough to close the tab mid-run. */
const ROUNDS = '1500000000'

interface NodeView {
  Info: { NodeID: string }
  ConnectionState: { Status: string | number; LastError?: string; DisconnectedSince?: string }
}

try {
  ensureWebBuilt()
  const work = await mkdtemp(join(tmpdir(), 'shoal-tab-close-'))
  const devstack = await startDevstack({ computes: 0, host: '127.0.0.1', port: 0, browsers: 0 })
  const tabs = await openHeadlessTabs({ url: devstack.url + '/contribute', count: 2, namespaceOk: false })
  tabs.pages.forEach((page, i) => watchTab(page, String(i)))
  try {
    const api = devstack.url
    const nodeIds = await Promise.all(tabs.pages.map((page) => hook(page, (h) => h.nodeId())))
    const statusOf = async (nodeId: string) => {
      const nodes = JSON.parse(await shoalOk(api, ['node', 'list', '--output', 'json'])) as NodeView[]
      return nodes.find((n) => n.Info.NodeID === nodeId)?.ConnectionState.Status
    }

    // Hiding a tab leaves the network; showing it again rejoins as the same node. (Headless
    // pages are always visible, so the page is told it is hidden as a browser would tell it.)
    const setVisibility = (state: 'hidden' | 'visible') =>
      tabs.pages[0].evaluate((value) => {
        Object.defineProperty(document, 'visibilityState', { value, configurable: true })
        document.dispatchEvent(new Event('visibilitychange'))
      }, state)
    await setVisibility('hidden')
    const whenHidden = await poll('the hidden tab to leave', async () => ((await statusOf(nodeIds[0])) === 'DISCONNECTED' ? 'DISCONNECTED' : undefined), { timeoutMs: 10_000, everyMs: 0 })
    const pageWhenHidden = await hook(tabs.pages[0], (h) => h.status())
    await setVisibility('visible')
    const whenShown = await poll('the tab to rejoin', async () => ((await statusOf(nodeIds[0])) === 'CONNECTED' ? 'CONNECTED' : undefined), { timeoutMs: 10_000, everyMs: 0 })
    await poll('the tab to contribute again', async () => ((await hook(tabs.pages[0], (h) => h.status())) === 'contributing' ? true : undefined), { timeoutMs: 10_000 })
    log(`hide/show: ${whenHidden} (page: ${pageWhenHidden}) then ${whenShown}`)

    const id = (await shoalOk(api, ['wasm', 'run', join(FIXTURES, 'compute.wasm'), '--no-wait', '--id-only', '--', ROUNDS])).trim().split('\n').at(-1)!
    log(`submitted ${id}`)
    // Which tab runs it?
    const runner = await poll(
      'a tab to run the long job',
      async () => {
        for (const [i, page] of tabs.pages.entries()) if ((await hook(page, (h) => h.counts().running)) > 0) return i
        return undefined
      },
      { timeoutMs: 20_000, everyMs: 20 },
    )
    const closedNode = nodeIds[runner]
    const survivor = tabs.pages[1 - runner]
    log(`tab ${runner} (${closedNode}) runs it; closing that tab`)
    const closedAt = Date.now()
    await tabs.pages[runner].close({ runBeforeUnload: true })
    const seen = await poll(
      'the closed tab to be shown disconnected',
      async () => {
        const nodes = JSON.parse(await shoalOk(api, ['node', 'list', '--output', 'json'])) as NodeView[]
        const node = nodes.find((n) => n.Info.NodeID === closedNode)
        if (!node || node.ConnectionState.Status === 'CONNECTED') return undefined
        return {
          status: node.ConnectionState.Status,
          lastError: node.ConnectionState.LastError,
          // When the requester marked it (its own record), and when a `node list` first showed it.
          elapsedMs: Date.parse(node.ConnectionState.DisconnectedSince ?? '') - closedAt,
          seenByCliMs: Date.now() - closedAt,
        }
      },
      { timeoutMs: 15_000, everyMs: 0 },
    )
    log(`closed tab shown ${seen.status} after ${seen.elapsedMs} ms`)
    const described = await poll(
      'the job to finish',
      async () => {
        const view = JSON.parse(await shoalOk(api, ['job', 'describe', id, '--output', 'json'])) as {
          Job: { State: { StateType: string | number } }
          Executions: { Items: Array<{ ID: string; NodeID: string; ComputeState: { StateType: string | number; Message?: string }; RunOutput?: { Stdout?: string; ExitCode?: number } }> }
        }
        return ['Completed', 'Failed', 'Stopped'].includes(String(view.Job.State.StateType)) ? view : undefined
      },
      { timeoutMs: 60_000, everyMs: 250 },
    )
    const survivorCounts = await hook(survivor, (h) => h.counts())
    // On the tab left: the job upstream's `bacalhau wasm run main.wasm` builds (a tar.gz of the
    // module at the relative Target main.wasm, EntryModule main.wasm), with `shoal job run`.
    const upstreamSpec = join(work, 'upstream-wasm-run.json')
    await writeFile(upstreamSpec, JSON.stringify(upstreamWasmRunJob(join(FIXTURES, 'hello.wasm'))))
    const upstream = await shoal(api, ['job', 'run', upstreamSpec, '--wait-timeout-secs', '60'])
    report({
      hideShow: { whenHidden, pageWhenHidden, whenShown },
      closedNode,
      survivorNode: nodeIds[1 - runner],
      disconnected: seen,
      job: {
        state: described.Job.State.StateType,
        executions: described.Executions.Items.map((e) => ({
          node: e.NodeID,
          state: e.ComputeState.StateType,
          message: e.ComputeState.Message ?? '',
          stdout: e.RunOutput?.Stdout,
          exitCode: e.RunOutput?.ExitCode,
        })),
      },
      survivorCounts,
      upstream: { code: upstream.code, stdout: upstream.stdout, stderr: upstream.stderr },
      nodeListAfter: (await shoal(api, ['node', 'list'])).stdout,
    })
  } finally {
    await tabs.close()
    await devstack.stop()
    await rm(work, { recursive: true, force: true })
  }
} catch (err) {
  fail(err)
}

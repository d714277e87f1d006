/**
 * A tab next to two Node compute nodes (node-runner's, over libp2p on loopback): 20 WASM jobs
 * submitted one after another with the CLI, each waiting for the last, as a person trying Shoal
 * out does. Reports which node ran each job, how long each run took, and what the tab's page
 * shows. Prints one JSON line of findings.
 */
import { join } from 'node:path'
import { startDevstack } from '../../../node-runner/src/devstack/run-devstack.ts'
import { openHeadlessTabs } from '../../../node-runner/src/browsers/index.ts'
import { ensureWebBuilt, fail, FIXTURES, hook, log, poll, renderedFrames, report, shoalOk, watchTab } from './scenario-kit.ts'

const JOBS = 20

interface JobView {
  Job: { State: { StateType: string | number } }
  Executions: { Items: Array<{ NodeID: string; CreateTime: number; ModifyTime: number; ComputeState: { StateType: string | number }; RunOutput?: { Stdout?: string; ExitCode?: number } }> }
}

try {
  ensureWebBuilt()
  const devstack = await startDevstack({ computes: 2, host: '127.0.0.1', port: 0, browsers: 0 })
  const tabs = await openHeadlessTabs({ url: devstack.url + '/contribute', count: 1, namespaceOk: false })
  const page = tabs.pages[0]
  watchTab(page, 'tab')
  try {
    const api = devstack.url
    const tabNode = await hook(page, (h) => h.nodeId())
    const names = new Map<string, string>([[tabNode, 'tab'], ...devstack.computes.map((c, i) => [c.nodeId, `node-${i}`] as [string, string])])
    await poll(
      'the tab and both Node compute nodes to be connected',
      async () => {
        const nodes = JSON.parse(await shoalOk(api, ['node', 'list', '--output', 'json'])) as Array<{ Info: { NodeID: string }; ConnectionState: { Status: string | number } }>
        const connected = nodes.filter((n) => names.has(n.Info.NodeID) && n.ConnectionState.Status === 'CONNECTED')
        return connected.length === 3 ? true : undefined
      },
      { timeoutMs: 20_000, everyMs: 100 },
    )
    const capacities = JSON.parse(await shoalOk(api, ['node', 'list', '--output', 'json'])) as Array<{ Info: { NodeID: string; ComputeNodeInfo?: { MaxCapacity: { CPU: number } } } }>
    log(`devstack at ${api}: ${capacities.map((n) => `${names.get(n.Info.NodeID) ?? n.Info.NodeID} ${n.Info.ComputeNodeInfo?.MaxCapacity.CPU ?? '?'} CPU`).join(', ')}`)

    const jobs = []
    for (let i = 0; i < JOBS; i++) {
      // The CLI waits for the job to finish before the next one is submitted.
      const started = Date.now()
      const id = (await shoalOk(api, ['wasm', 'run', join(FIXTURES, 'hello.wasm'), '--id-only', '--wait-timeout-secs', '60'])).trim().split('\n').at(-1)!.trim()
      const cliMs = Date.now() - started
      // Read back over the REST API (a CLI process per read would double the run time).
      const described: JobView = {
        Job: ((await (await fetch(`${api}/api/v1/orchestrator/jobs/${id}`)).json()) as { Job: JobView['Job'] }).Job,
        Executions: (await (await fetch(`${api}/api/v1/orchestrator/jobs/${id}/executions`)).json()) as JobView['Executions'],
      }
      const completed = described.Executions.Items.filter((e) => e.RunOutput?.ExitCode === 0)
      jobs.push({
        id,
        state: described.Job.State.StateType,
        nodes: completed.map((e) => names.get(e.NodeID) ?? e.NodeID),
        stdout: completed[0]?.RunOutput?.Stdout ?? '',
        // From the execution's creation (bid asked) to its last update (result stored).
        executionMs: completed.map((e) => (e.ModifyTime - e.CreateTime) / 1e6),
        cliMs,
      })
      log(`job ${i + 1}/${JOBS} ${id}: ${jobs.at(-1)!.nodes.join('+') || described.Job.State.StateType} in ${cliMs} ms`)
    }
    log(`ran: ${jobs.map((j) => j.nodes.join('+')).join(' ')}`)

    await renderedFrames(page)
    const tab = await hook(page, (h) => ({ status: h.status(), counts: h.counts() }))
    const text = await page.evaluate(() => document.body.innerText)
    report({ names: [...names.values()], jobs, tab, text })
  } finally {
    await tabs.close()
    await devstack.stop()
  }
} catch (err) {
  fail(err)
}

/**
 * The contribute page's controls and its WebSockets fallback, in two tabs (a, b):
 * - the CPU share slider on tab a changes its workers and the CPU the requester lists for it
 *   (`shoal node list --output json`);
 * - Pause on tab a: jobs go to tab b; a job only tab a may run is turned down with the pause
 *   reason in its history and waits; Resume: tab a runs it;
 * - a third tab without RTCPeerConnection joins over WebSockets, shows it, and runs a job.
 * Prints one JSON line of findings.
 */
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { startDevstack } from '../../../node-runner/src/devstack/run-devstack.ts'
import { openHeadlessTabs } from '../../../node-runner/src/browsers/index.ts'
import { ensureWebBuilt, fail, FIXTURES, hook, log, poll, renderedFrames, report, ROOT, shoal, shoalOk, watchTab } from './scenario-kit.ts'

interface NodeView {
  Info: { NodeID: string; ComputeNodeInfo?: { AvailableCapacity?: { CPU?: number }; MaxCapacity?: { CPU?: number } } }
  ConnectionState: { Status: string | number }
}

interface JobView {
  Job: { State: { StateType: string | number; Message?: string } }
  Executions: { Items: Array<{ NodeID: string; ComputeState: { StateType: string | number; Message?: string }; RunOutput?: { Stdout?: string; ExitCode?: number } }> }
}

/** What the page shows in its status card and controls. */
const pageView = (page: Page) =>
  page.evaluate(() => {
    const text = (bind: string) => document.querySelector(`[data-bind="${bind}"]`)?.textContent ?? ''
    const pause = document.querySelector<HTMLButtonElement>('[data-action="pause"]')
    const slider = document.querySelector<HTMLInputElement>('[data-bind="slider"]')
    return {
      title: text('title'),
      reason: text('reason'),
      transport: text('transport'),
      share: text('share'),
      pauseButton: pause?.textContent ?? '',
      slider: { value: slider?.value ?? '', max: slider?.max ?? '', disabled: slider?.disabled ?? true },
    }
  })

try {
  ensureWebBuilt()
  const devstack = await startDevstack({ computes: 0, host: '127.0.0.1', port: 0, browsers: 0 })
  const tabNames = ['a', 'b']
  const tabs = await openHeadlessTabs({ url: (i) => `${devstack.url}/?label=tab=${tabNames[i]}`, count: 2, namespaceOk: false })
  tabs.pages.forEach((page, i) => watchTab(page, tabNames[i]))
  const [pageA, pageB] = tabs.pages
  log(`devstack at ${devstack.url}, tabs a and b contributing`)
  try {
    const api = devstack.url
    const [nodeA, nodeB] = await Promise.all(tabs.pages.map((page) => hook(page, (h) => h.nodeId())))
    const nodeName = new Map([
      [nodeA, 'a'],
      [nodeB, 'b'],
    ])
    const listNode = async (nodeId: string) => {
      const nodes = JSON.parse(await shoalOk(api, ['node', 'list', '--output', 'json'])) as NodeView[]
      return nodes.find((n) => n.Info.NodeID === nodeId)
    }
    const describe = async (id: string) => JSON.parse(await shoalOk(api, ['job', 'describe', id, '--output', 'json'])) as JobView
    const idOf = (stdout: string) => stdout.trim().split('\n').at(-1)!.trim()

    // 1. CPU share slider on tab a: to the top of its range and back, as the requester sees it;
    // then a job needing the top share waits until the slider gives it that much.
    const cpuOf = (node: NodeView | undefined) => ({ max: node?.Info.ComputeNodeInfo?.MaxCapacity?.CPU, available: node?.Info.ComputeNodeInfo?.AvailableCapacity?.CPU })
    const moveSlider = async (value: string) => {
      await pageA.locator('[data-bind="slider"]').fill(value)
      const cpu = await poll(
        `the requester to list tab a with ${value} CPU`,
        async () => {
          const seen = cpuOf(await listNode(nodeA))
          return seen.max === Number(value) && seen.available === Number(value) ? seen : undefined
        },
        { timeoutMs: 10_000, everyMs: 100 },
      )
      // The page repaints on its next animation frame; wait for it rather than for a fixed time.
      const page = await poll(
        `tab a to show a share of ${value} cores`,
        async () => {
          const view = await pageView(pageA)
          return view.share.startsWith(`${value} of `) ? view : undefined
        },
        { timeoutMs: 10_000, everyMs: 50 },
      )
      return { page, ...cpu }
    }
    const startPage = await pageView(pageA)
    const start = startPage.slider.value
    const top = startPage.slider.max
    const slider = {
      start: { page: startPage, ...cpuOf(await listNode(nodeA)) },
      top: await moveSlider(top),
      back: await moveSlider(start),
    }
    const bigJob = idOf(await shoalOk(api, ['wasm', 'run', join(FIXTURES, 'hello.wasm'), '--cpu', top, '--constraints', 'tab=a', '--queue-timeout', '120', '--no-wait', '--id-only']))
    const bigJobQueued = await poll(
      'the job needing more CPU to queue',
      async () => {
        const view = await describe(bigJob)
        return String(view.Job.State.StateType) === 'Queued' ? { state: view.Job.State.StateType, message: view.Job.State.Message ?? '', executions: view.Executions.Items.length } : undefined
      },
      { timeoutMs: 10_000, everyMs: 100 },
    )
    await pageA.locator('[data-bind="slider"]').fill(top)
    const bigJobDone = await poll(
      'the job needing more CPU to finish after the slider moved',
      async () => {
        const view = await describe(bigJob)
        return ['Completed', 'Failed', 'Stopped'].includes(String(view.Job.State.StateType)) ? view : undefined
      },
      { timeoutMs: 20_000, everyMs: 100 },
    )
    const needsMoreCpu = {
      cpu: Number(top),
      queued: bigJobQueued,
      state: bigJobDone.Job.State.StateType,
      ranOn: bigJobDone.Executions.Items.filter((e) => e.RunOutput?.ExitCode === 0).map((e) => nodeName.get(e.NodeID) ?? e.NodeID),
      stdout: bigJobDone.Executions.Items.find((e) => e.RunOutput?.ExitCode === 0)?.RunOutput?.Stdout,
    }
    log(`slider: ${JSON.stringify(slider)}; job needing more CPU: ${JSON.stringify(needsMoreCpu)}`)

    // 2. Pause tab a. Jobs anyone may run go to tab b.
    await pageA.getByRole('button', { name: 'Pause' }).click()
    await poll('tab a to show paused', async () => ((await hook(pageA, (h) => h.status())) === 'paused' ? true : undefined), { timeoutMs: 5000 })
    await renderedFrames(pageA)
    const pausedView = await pageView(pageA)
    const countsAtPause = await hook(pageA, (h) => h.counts())
    const whilePaused = []
    for (let i = 0; i < 4; i++) {
      const id = idOf(await shoalOk(api, ['wasm', 'run', join(FIXTURES, 'hello.wasm'), '--id-only', '--wait-timeout-secs', '60']))
      const view = await describe(id)
      whilePaused.push({
        id,
        state: view.Job.State.StateType,
        ranOn: view.Executions.Items.filter((e) => e.RunOutput?.ExitCode === 0).map((e) => nodeName.get(e.NodeID) ?? e.NodeID),
        stdout: view.Executions.Items.find((e) => e.RunOutput?.ExitCode === 0)?.RunOutput?.Stdout,
      })
    }
    log(`while paused: ${JSON.stringify(whilePaused)}`)

    // A job only tab a may run: turned down with the pause reason, and it waits (queue timeout).
    const pinned = idOf(await shoalOk(api, ['wasm', 'run', join(FIXTURES, 'hello.wasm'), '--constraints', 'tab=a', '--queue-timeout', '120', '--no-wait', '--id-only']))
    const turnedDown = await poll(
      'the requester to record why tab a turned the pinned job down',
      async () => {
        const history = JSON.parse(await shoalOk(api, ['job', 'history', pinned, '--output', 'json'])) as Array<{ ExecutionID?: string; Event?: { Message?: string } }>
        if (!history.some((h) => /paused/i.test(h.Event?.Message ?? ''))) return undefined
        const view = await describe(pinned)
        return {
          state: view.Job.State.StateType,
          message: view.Job.State.Message ?? '',
          history: history.map((h) => h.Event?.Message ?? ''),
          executions: view.Executions.Items.map((e) => ({ node: nodeName.get(e.NodeID) ?? e.NodeID, state: e.ComputeState.StateType, message: e.ComputeState.Message ?? '' })),
        }
      },
      { timeoutMs: 15_000, everyMs: 250 },
    )
    log(`pinned job turned down: ${turnedDown.state}`)
    const countsWhilePaused = await hook(pageA, (h) => h.counts())

    // The paused page, for a person to look at.
    const screenshotDir = join(ROOT, 'test/browser/screenshots')
    await mkdir(screenshotDir, { recursive: true })
    const screenshot = join(screenshotDir, 'paused.png')
    await pageA.screenshot({ path: screenshot, fullPage: true })

    // 3. Resume: tab a tells the requester it changed, so the job it turned down while paused is
    // offered to it again and runs; new jobs run too.
    await pageA.getByRole('button', { name: 'Resume' }).click()
    await poll('tab a to contribute again', async () => ((await hook(pageA, (h) => h.status())) === 'contributing' ? true : undefined), { timeoutMs: 5000 })
    await renderedFrames(pageA)
    const resumedView = await pageView(pageA)
    const pinnedAfterResume = await poll(
      'the job turned down while paused to complete on tab a after Resume',
      async () => {
        const view = await describe(pinned)
        if (view.Job.State.StateType !== 'Completed') return undefined
        const done = view.Executions.Items.find((e) => e.RunOutput?.ExitCode === 0)
        return { state: view.Job.State.StateType, node: nodeName.get(done?.NodeID ?? '') ?? done?.NodeID ?? '', stdout: done?.RunOutput?.Stdout ?? '' }
      },
      { timeoutMs: 20_000, everyMs: 250 },
    )
    const afterResume = await shoal(api, ['wasm', 'run', join(FIXTURES, 'hello.wasm'), '--constraints', 'tab=a', '--wait-timeout-secs', '60'])
    const resumed = {
      view: resumedView,
      pinned: pinnedAfterResume,
      hello: { code: afterResume.code, stdout: afterResume.stdout, stderr: afterResume.stderr.slice(-500) },
      countsA: await hook(pageA, (h) => h.counts()),
    }
    log(`resumed: ${JSON.stringify(resumed.hello)}`)

    // 4. A tab where WebRTC cannot be used (no RTCPeerConnection) joins over WebSockets.
    await tabs.context.addInitScript(() => {
      delete (window as unknown as { RTCPeerConnection?: unknown }).RTCPeerConnection
    })
    const pageWs = await tabs.open(`${devstack.url}/?label=tab=ws`)
    watchTab(pageWs, 'ws')
    const wsInfo = await hook(pageWs, (h) => ({ nodeId: h.nodeId(), transport: h.transport(), status: h.status() }))
    const wsHello = await shoal(api, ['wasm', 'run', join(FIXTURES, 'hello.wasm'), '--constraints', 'tab=ws', '--wait-timeout-secs', '60'])
    await renderedFrames(pageWs)
    const wsScreenshot = join(screenshotDir, 'websockets.png')
    await pageWs.screenshot({ path: wsScreenshot, fullPage: true })
    const webSockets = {
      screenshot: wsScreenshot,
      info: wsInfo,
      rtcOnPage: await pageWs.evaluate(() => typeof (window as unknown as { RTCPeerConnection?: unknown }).RTCPeerConnection),
      view: await pageView(pageWs),
      hello: { code: wsHello.code, stdout: wsHello.stdout, stderr: wsHello.stderr.slice(-500) },
      counts: await hook(pageWs, (h) => h.counts()),
      requesterStatus: (await listNode(wsInfo.nodeId))?.ConnectionState.Status,
    }

    report({ nodes: { a: nodeA, b: nodeB }, slider, needsMoreCpu, paused: { view: pausedView, countsAtPause, whilePaused, turnedDown, countsWhilePaused, screenshot }, resumed, countsB: await hook(pageB, (h) => h.counts()), webSockets })
  } finally {
    await tabs.close()
    await devstack.stop()
  }
} catch (err) {
  fail(err)
}

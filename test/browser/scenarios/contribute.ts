/**
 * Two tabs contribute: 20 WASM jobs submitted with the CLI complete on the tabs (stdout and
 * result files checked with `shoal job get`), spread over both, over WebRTC; then hostile jobs
 * (an infinite loop under ExecutionTimeout, a memory hog under a 64 MB cap) fail on tab A and
 * tab A runs the next job; last, a screenshot of tab A. Prints one JSON line of findings.
 */
import { mkdtemp, readFile, writeFile, rm, mkdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startDevstack } from '../../../node-runner/src/devstack/run-devstack.ts'
import { openHeadlessTabs } from '../../../node-runner/src/browsers/index.ts'
import { ensureWebBuilt, fail, FIXTURES, hook, log, renderedFrames, report, ROOT, shoal, shoalOk, watchTab } from './scenario-kit.ts'

const JOBS = 20
const CLI_PARALLEL = 5

interface ExecutionView {
  ID: string
  NodeID: string
  ComputeState: { StateType: string | number; Message?: string }
  RunOutput?: { Stdout?: string; ExitCode?: number; ErrorMsg?: string }
}

try {
  ensureWebBuilt()
  const work = await mkdtemp(join(tmpdir(), 'shoal-browser-'))
  const devstack = await startDevstack({ computes: 0, host: '127.0.0.1', port: 0, browsers: 0 })
  const tabNames = ['a', 'b']
  const tabs = await openHeadlessTabs({ url: (i) => `${devstack.url}/?label=tab=${tabNames[i]}`, count: 2, namespaceOk: false })
  tabs.browser.on('disconnected', () => log('the browser exited'))
  tabs.pages.forEach((page, i) => watchTab(page, tabNames[i]))
  log(`devstack at ${devstack.url}, 2 tabs contributing`)
  // Progress every 10 s, so a stuck run shows where it is.
  const ticker = setInterval(() => {
    void Promise.all(tabs.pages.map((page) => hook(page, (h) => `${h.status()} ${JSON.stringify(h.counts())}`).catch((err: Error) => err.message))).then((states) => log(`tabs: ${states.join(' | ')}`))
  }, 10_000)
  try {
    const api = devstack.url
    const pageOf = Object.fromEntries(tabNames.map((name, i) => [name, tabs.pages[i]]))
    const tabInfo = await Promise.all(tabs.pages.map((page) => hook(page, (h) => ({ nodeId: h.nodeId(), transport: h.transport(), status: h.status() }))))
    const nodeName = new Map(tabInfo.map((info, i) => [info.nodeId, tabNames[i]]))

    // 1. Twenty jobs, each writing its own text to a result file.
    const started = Date.now()
    const jobIds: string[] = []
    const submitOne = async (i: number) => {
      const out = await shoalOk(api, ['wasm', 'run', join(FIXTURES, 'write-file.wasm'), '-o', 'outputs:/outputs', '--id-only', '--', '/outputs/result.txt', `text-${i}`])
      jobIds[i] = out.trim().split('\n').at(-1)!.trim()
    }
    for (let i = 0; i < JOBS; i += CLI_PARALLEL) await Promise.all(Array.from({ length: Math.min(CLI_PARALLEL, JOBS - i) }, (_, k) => submitOne(i + k)))
    log(`${JOBS} jobs submitted`)
    const jobs = []
    for (const [i, id] of jobIds.entries()) {
      const described = JSON.parse(await shoalOk(api, ['job', 'describe', id, '--output', 'json'])) as { Job: { State: { StateType: string | number } }; Executions: { Items: ExecutionView[] } }
      const dir = join(work, `job-${i}`)
      await shoalOk(api, ['job', 'get', id, '--output-dir', dir])
      const completed = described.Executions.Items.filter((e) => e.RunOutput?.ExitCode === 0)
      jobs.push({
        id,
        state: described.Job.State.StateType,
        nodes: completed.map((e) => nodeName.get(e.NodeID) ?? e.NodeID),
        stdout: await readFile(join(dir, 'stdout'), 'utf8').catch((err: Error) => `(missing: ${err.message})`),
        file: await readFile(join(dir, 'outputs', 'result.txt'), 'utf8').catch((err: Error) => `(missing: ${err.message})`),
        expectedFile: `text-${i}`,
      })
    }
    const jobsSeconds = (Date.now() - started) / 1000
    log('jobs checked; hostile jobs next')

    // 2. Hostile jobs on tab A: an infinite loop under a 1 s ExecutionTimeout, a memory hog under 64 MB.
    const loopSpec = (await shoalOk(api, ['wasm', 'run', join(FIXTURES, 'loop.wasm'), '--constraints', 'tab=a', '--dry-run'])).replace(
      /Timeouts: \{\}/,
      // QueueTimeout 1 s: after the failure no other node may take it, so the job fails within a second (as with the default, 0).
      'Timeouts:\n      ExecutionTimeout: 1\n      QueueTimeout: 1',
    )
    await writeFile(join(work, 'loop.yaml'), loopSpec)
    const loop = await shoal(api, ['job', 'run', join(work, 'loop.yaml'), '--id-only', '--wait-timeout-secs', '60'])
    log(`loop job: exit ${loop.code} ${loop.stderr.trim().split('\n').at(-1)}`)
    const hog = await shoal(api, ['wasm', 'run', join(FIXTURES, 'memory-hog.wasm'), '--memory', '64Mb', '--constraints', 'tab=a', '--queue-timeout', '1', '--id-only', '--wait-timeout-secs', '60'])
    log(`memory hog: exit ${hog.code} ${hog.stderr.trim().split('\n').at(-1)}`)
    const hostile = []
    for (const [name, run] of [['loop', loop], ['memory-hog', hog]] as const) {
      const id = run.stdout.trim().split('\n').at(-1)!.trim()
      const described = JSON.parse(await shoalOk(api, ['job', 'describe', id, '--output', 'json'])) as { Job: { State: { StateType: string | number; Message?: string } }; Executions: { Items: ExecutionView[] } }
      hostile.push({
        name,
        cliExit: run.code,
        state: described.Job.State.StateType,
        messages: described.Executions.Items.map((e) => `${nodeName.get(e.NodeID) ?? e.NodeID}: ${e.ComputeState.Message ?? ''} ${e.RunOutput?.ErrorMsg ?? ''}`.trim()),
      })
    }
    const after = await shoal(api, ['wasm', 'run', join(FIXTURES, 'hello.wasm'), '--constraints', 'tab=a', '--wait-timeout-secs', '60'])
    const tabA = await hook(pageOf.a, (h) => ({ status: h.status(), counts: h.counts(), transport: h.transport() }))
    const tabB = await hook(pageOf.b, (h) => ({ status: h.status(), counts: h.counts(), transport: h.transport() }))

    // 3. The page after the run, for a person to look at.
    const screenshotDir = join(ROOT, 'test/browser/screenshots')
    await mkdir(screenshotDir, { recursive: true })
    const screenshot = join(screenshotDir, 'contribute.png')
    await renderedFrames(pageOf.a)
    await pageOf.a.screenshot({ path: screenshot, fullPage: true })
    const text = await pageOf.a.evaluate(() => document.body.innerText)

    report({ tabInfo, jobs, jobsSeconds, hostile, after: { code: after.code, stdout: after.stdout }, tabA, tabB, screenshot, text })
  } finally {
    clearInterval(ticker)
    await tabs.close()
    await devstack.stop()
    await rm(work, { recursive: true, force: true })
  }
} catch (err) {
  fail(err)
}

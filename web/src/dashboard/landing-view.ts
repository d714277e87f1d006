/**
 * /: what this network is, live counts (nodes by runtime, jobs running, jobs per minute), the
 * pictures (jobs over time by state, queue, throughput, nodes by runtime), and the two ways in:
 * contribute this tab, or submit a job. Follows job and node events.
 */
import { TERMINAL_JOB_STATES, type Job, type NodeState } from '@shoal/models'
import { barChart, stackedColumns, type Bucket } from './charts.ts'
import { h, replace } from './dom.ts'
import { timeMs } from './format.ts'
import { reloadOn } from './live-events.ts'
import { runtimeOf } from './nodes-view.ts'
import { errorMessage } from './session.ts'
import type { View } from './view.ts'

/** Jobs the charts look at (the newest). */
const RECENT_JOBS = 500
/** Width of a chart bucket, and how many. */
const BUCKET_MS = 60_000
const BUCKETS = 30
const CHART_STATES = ['Completed', 'Failed', 'Stopped', 'Running', 'Queued', 'Pending']

/** The landing view. */
export const landingView: View = (context) => {
  context.setTitle('Shoal')
  const { session, live, signal } = context
  const counts = h('div', { class: 'stats', 'data-bind': 'counts' })
  const charts = h('div', { class: 'charts' })
  const status = h('p', { class: 'muted small', role: 'status' })

  const load = async () => {
    try {
      const nodes: NodeState[] = []
      for await (const node of session.client.iterateNodes({ signal })) nodes.push(node)
      const jobs = (await session.client.listJobs({ namespace: '*', orderBy: 'created_at', reverse: true, limit: RECENT_JOBS, signal })).Items
      render(nodes, jobs)
      status.textContent = ''
    } catch (err) {
      session.noteError(err)
      status.textContent = `Cannot read the network: ${errorMessage(err)}`
    }
  }

  const render = (nodes: NodeState[], jobs: Job[]) => {
    const now = Date.now()
    const compute = nodes.filter((n) => n.Info.NodeType !== 'Requester' && n.ConnectionState.Status === 'CONNECTED')
    const byRuntime = new Map<string, number>()
    for (const node of compute) byRuntime.set(runtimeOf(node), (byRuntime.get(runtimeOf(node)) ?? 0) + 1)
    const running = jobs.filter((j) => j.State.StateType === 'Running').length
    const queued = jobs.filter((j) => j.State.StateType === 'Queued' || j.State.StateType === 'Pending').length
    const lastTen = jobs.filter((j) => timeMs(j.CreateTime) > now - 10 * 60_000).length
    const stat = (value: string | number, label: string, bind: string) => h('div', { class: 'card stat' }, h('span', { class: 'stat-value', 'data-bind': bind }, String(value)), h('span', { class: 'stat-label' }, label))
    replace(
      counts,
      stat(compute.length, `compute nodes online${byRuntime.size > 0 ? ` (${[...byRuntime].map(([r, n]) => `${n} ${r}`).join(', ')})` : ''}`, 'nodes-online'),
      stat(running, 'jobs running', 'jobs-running'),
      stat(queued, 'jobs waiting', 'jobs-queued'),
      stat((lastTen / 10).toFixed(1), 'jobs/min (last 10 min)', 'jobs-per-minute'),
    )
    const start = Math.floor(now / BUCKET_MS) * BUCKET_MS - (BUCKETS - 1) * BUCKET_MS
    const submitted: Bucket[] = Array.from({ length: BUCKETS }, (_, i) => ({ start: start + i * BUCKET_MS, counts: {} }))
    const finished: Bucket[] = Array.from({ length: BUCKETS }, (_, i) => ({ start: start + i * BUCKET_MS, counts: {} }))
    for (const job of jobs) {
      const created = Math.floor((timeMs(job.CreateTime) - start) / BUCKET_MS)
      const state = job.State.StateType
      if (created >= 0 && created < BUCKETS) submitted[created].counts[state] = (submitted[created].counts[state] ?? 0) + 1
      if (TERMINAL_JOB_STATES.includes(state)) {
        const ended = Math.floor((timeMs(job.ModifyTime) - start) / BUCKET_MS)
        if (ended >= 0 && ended < BUCKETS) finished[ended].counts[state] = (finished[ended].counts[state] ?? 0) + 1
      }
    }
    replace(
      charts,
      h('div', { class: 'card' }, stackedColumns('Jobs submitted per minute, by their state now (last 30 min)', submitted, CHART_STATES)),
      h('div', { class: 'card' }, stackedColumns('Throughput: jobs finished per minute (last 30 min)', finished, ['Completed', 'Failed', 'Stopped'])),
      h('div', { class: 'card' }, barChart('Queue: jobs by state now', CHART_STATES.map((s) => ({ label: s, value: jobs.filter((j) => j.State.StateType === s).length, tone: s })))),
      h('div', { class: 'card' }, barChart('Compute nodes online, by runtime', [...byRuntime].map(([label, value]) => ({ label, value, tone: 'ok' })))),
    )
  }

  reloadOn(live, ['job', 'node'], () => true, load, signal, 1000)
  void load()

  return h(
    'section',
    { class: 'stack' },
    h(
      'div',
      { class: 'hero card' },
      h('h1', {}, 'A WebAssembly compute network'),
      h('p', {}, 'Shoal runs jobs on whatever joins it: servers, edge workers and browser tabs. It speaks Bacalhau’s API, so its CLI and yours both work here.'),
      h(
        'div',
        { class: 'row' },
        h('a', { class: 'button primary', href: '/contribute', 'data-link': 'external' }, 'Contribute this tab'),
        h('a', { class: 'button', href: '/submit' }, 'Submit a job'),
      ),
    ),
    counts,
    status,
    charts,
  )
}

/**
 * /jobs/<id>: a job's information, timeline, executions (with their nodes), history with Shoal's
 * explanations, live logs, results, its spec, and Stop / Rerun. Every part follows the job's
 * events; the logs stream follows the running execution.
 */
import { desiredStateName, TERMINAL_JOB_STATES, type Execution, type Job, type JobHistory, type JobStateType, type SpecConfig } from '@shoal/models'
import type { GetJobResponse } from '@shoal/client'
import { stringify as toYaml } from 'yaml'
import { timeline, type TimelineStep } from './charts.ts'
import { h, replace } from './dom.ts'
import { executionStateName, formatTime, stateTone, timeMs } from './format.ts'
import { stateBadge } from './jobs-view.ts'
import { reloadOn } from './live-events.ts'
import { errorMessage } from './session.ts'
import type { View, ViewContext } from './view.ts'

/** Most log lines the page keeps (a job may print without end). */
const MAX_LOG_LINES = 5000

/** The job detail view. */
export const jobView: View = (context, params) => {
  const id = decodeURIComponent(params[0])
  context.setTitle(`Job ${id.slice(0, 10)}`)
  const { session, live, signal } = context

  const header = h('div', { class: 'row spread' }, h('h1', {}, 'Job ', h('code', {}, id)))
  const notice = h('p', { class: 'notice', role: 'status', hidden: true })
  const timelineSlot = h('div', {})
  const info = h('dl', { class: 'facts' })
  const executions = h('tbody', { 'data-bind': 'executions' })
  const history = h('ol', { class: 'history', 'data-bind': 'history' })
  const results = h('ul', { class: 'results', 'data-bind': 'results' })
  const spec = h('pre', { class: 'code', 'data-bind': 'spec', tabindex: 0 })
  let specFormat: 'yaml' | 'json' = 'yaml'
  const showSpec = () => {
    if (job) spec.textContent = specFormat === 'yaml' ? toYaml(job) : JSON.stringify(job, null, 2)
    for (const button of specButtons) button.setAttribute('aria-pressed', String(button.dataset.format === specFormat))
  }
  const specButtons = (['yaml', 'json'] as const).map((format) =>
    h('button', { type: 'button', class: 'button small', 'data-format': format, 'aria-pressed': String(format === specFormat), onclick: () => ((specFormat = format), showSpec()) }, format.toUpperCase()),
  )
  const logs = h('pre', { class: 'code logs', 'data-bind': 'logs', 'aria-live': 'off', tabindex: 0 })
  const logStatus = h('p', { class: 'muted small', 'data-bind': 'log-status' }, 'Logs appear once an execution runs.')
  const stop = h('button', { type: 'button', class: 'button danger', 'data-action': 'stop', hidden: true, onclick: () => void act('stop') }, 'Stop')
  const rerun = h('button', { type: 'button', class: 'button', 'data-action': 'rerun', hidden: true, onclick: () => void act('rerun') }, 'Rerun')
  header.append(h('div', { class: 'row' }, stop, rerun))

  let job: Job | undefined
  let following: string | undefined

  const say = (message: string) => {
    notice.hidden = false
    notice.textContent = message
  }

  const act = async (action: 'stop' | 'rerun') => {
    if (!session.abilities.write) return say(`Your token is read-only: it cannot ${action} jobs.`)
    try {
      if (action === 'stop') {
        await session.client.stopJob(id, { reason: 'stopped from the dashboard', signal })
        say('Stop requested.')
      } else {
        const answer = await session.client.rerunJob(id, { reason: 'rerun from the dashboard', signal })
        say(`Rerun as version ${answer.JobVersion}.`)
        following = undefined
      }
      await load()
    } catch (err) {
      session.noteError(err)
      say(`Cannot ${action}: ${errorMessage(err)}`)
    }
  }

  const load = async () => {
    let answer: GetJobResponse
    try {
      answer = await session.client.getJob(id, { include: ['executions', 'history'], limit: 1000, signal })
    } catch (err) {
      session.noteError(err)
      say(`Cannot read job ${id}: ${errorMessage(err)}`)
      return
    }
    job = answer.Job
    const state = job.State.StateType
    const terminal = TERMINAL_JOB_STATES.includes(state)
    replace(header.querySelector('h1')!, job.Name || 'Job', ' ', stateBadge(state))
    stop.hidden = terminal
    rerun.hidden = !terminal
    stop.title = rerun.title = session.abilities.write ? '' : 'Needs a token with the write scope'
    const execs = answer.Executions?.Items ?? []
    const items = answer.History?.Items ?? []
    replace(timelineSlot, timeline('Timeline', timelineOf(job, execs, items)))
    renderInfo(info, job)
    replace(executions, ...execs.map(executionRow))
    replace(history, ...items.map(historyItem))
    showSpec()
    void loadResults(state)
    followLogs(execs, terminal)
  }

  const loadResults = async (state: JobStateType) => {
    if (state !== 'Completed') {
      replace(results, h('li', { class: 'muted' }, 'Results are listed once the job completes.'))
      return
    }
    try {
      const answer = await session.client.jobResults(id, { signal })
      replace(results, ...(answer.Items.length > 0 ? answer.Items.map(resultItem) : [h('li', { class: 'muted' }, 'This job published nothing (noop publisher).')]))
    } catch (err) {
      replace(results, h('li', {}, `Cannot list results: ${errorMessage(err)}`))
    }
  }

  const followLogs = (execs: Execution[], terminal: boolean) => {
    // The newest execution that ran; logs follow it while it runs and stay once it ended.
    const ran = [...execs].sort((a, b) => b.CreateTime - a.CreateTime).find((e) => ['Running', 'Publishing', 'Completed', 'Failed'].includes(executionStateName(e.ComputeState.StateType)))
    if (!ran || ran.ID === following) return
    following = ran.ID
    void streamLogs(context, id, ran.ID, !terminal, logs, logStatus)
  }

  reloadOn(live, ['job'], (event) => event.type === 'job' && (event.JobID === id || event.JobID === job?.ID), load, signal, 100)
  void load()

  return h(
    'article',
    { class: 'stack' },
    header,
    notice,
    h('section', { class: 'card' }, timelineSlot),
    h('section', { class: 'card', 'aria-labelledby': 'info-h' }, h('h2', { id: 'info-h' }, 'Information'), info),
    h(
      'section',
      { class: 'card table-card', 'aria-labelledby': 'exec-h' },
      h('h2', { id: 'exec-h' }, 'Executions'),
      h('table', {}, h('thead', {}, h('tr', {}, h('th', {}, 'Execution'), h('th', {}, 'Node'), h('th', {}, 'State'), h('th', {}, 'Desired'), h('th', {}, 'Exit'), h('th', {}, 'Message'))), executions),
    ),
    h('section', { class: 'card', 'aria-labelledby': 'logs-h' }, h('h2', { id: 'logs-h' }, 'Logs'), logStatus, logs),
    h('section', { class: 'card', 'aria-labelledby': 'results-h' }, h('h2', { id: 'results-h' }, 'Results'), results),
    h('section', { class: 'card', 'aria-labelledby': 'history-h' }, h('h2', { id: 'history-h' }, 'History'), history),
    h('section', { class: 'card', 'aria-labelledby': 'spec-h' }, h('div', { class: 'row spread' }, h('h2', { id: 'spec-h' }, 'Spec'), h('div', { class: 'row', role: 'group', 'aria-label': 'Spec format' }, specButtons)), spec),
  )
}

/** Streams an execution's logs into `out`, following while it runs. */
async function streamLogs(context: ViewContext, jobId: string, executionId: string, follow: boolean, out: HTMLElement, status: HTMLElement): Promise<void> {
  out.textContent = ''
  status.textContent = follow ? `Following the logs of ${executionId}…` : `Logs of ${executionId}.`
  let lines = 0
  try {
    for await (const entry of context.session.client.logs(jobId, { executionId, follow, signal: context.signal })) {
      if (lines++ >= MAX_LOG_LINES) {
        status.textContent = `Showing the first ${MAX_LOG_LINES} lines; \`shoal job logs ${jobId}\` has them all.`
        continue
      }
      out.append(h('span', { class: entry.Type === 2 ? 'stderr' : 'stdout' }, entry.Line.endsWith('\n') ? entry.Line : `${entry.Line}\n`))
    }
    if (!context.signal.aborted) status.textContent = `Logs of ${executionId} (ended).`
  } catch (err) {
    if (!context.signal.aborted) status.textContent = `Logs unavailable: ${errorMessage(err)}`
  }
}

function renderInfo(info: HTMLElement, job: Job): void {
  const labels = Object.entries(job.Labels ?? {}).map(([k, v]) => `${k}=${v}`).join(', ')
  const fact = (term: string, value: string | Node) => h('div', { class: 'fact' }, h('dt', {}, term), h('dd', {}, value))
  replace(
    info,
    fact('ID', h('code', {}, job.ID)),
    fact('Name', job.Name),
    fact('Namespace', job.Namespace),
    fact('Type', `${job.Type}, count ${job.Count}`),
    fact('Version', String(job.Version)),
    fact('Priority', String(job.Priority)),
    fact('Labels', labels || '—'),
    fact('Engine', job.Tasks.map((t) => t.Engine.Type).join(', ')),
    fact('Created', formatTime(job.CreateTime)),
    fact('Modified', formatTime(job.ModifyTime)),
    fact('State', job.State.Message ? `${job.State.StateType}: ${job.State.Message}` : job.State.StateType),
  )
}

function executionRow(execution: Execution): HTMLElement {
  const state = executionStateName(execution.ComputeState.StateType)
  return h(
    'tr',
    { 'data-execution-id': execution.ID },
    h('td', {}, h('code', {}, execution.ID.slice(0, 10))),
    h('td', {}, h('a', { href: `/nodes/${encodeURIComponent(execution.NodeID)}` }, execution.NodeID)),
    h('td', {}, h('span', { class: `badge tone-${stateTone(state)}` }, state)),
    h('td', {}, typeof execution.DesiredState.StateType === 'number' ? desiredStateName(execution.DesiredState.StateType) : String(execution.DesiredState.StateType)),
    h('td', {}, execution.RunOutput ? String(execution.RunOutput.ExitCode) : '—'),
    h('td', {}, execution.ComputeState.Message ?? ''),
  )
}

function historyItem(item: JobHistory): HTMLElement {
  const change = item.JobState
    ? `job ${item.JobState.Previous} → ${item.JobState.New}`
    : item.ExecutionState
      ? `execution ${item.ExecutionID?.slice(0, 10) ?? ''} ${executionStateName(item.ExecutionState.Previous)} → ${executionStateName(item.ExecutionState.New)}`
      : item.Type
  const details = Object.entries(item.Event?.Details ?? {}).map(([k, v]) => `${k}: ${v}`)
  return h(
    'li',
    {},
    h('time', { datetime: item.Time }, formatTime(item.Time)),
    ' ',
    h('strong', {}, change),
    item.Event?.Message ? h('div', {}, item.Event.Message) : null,
    details.length > 0 ? h('div', { class: 'muted small' }, details.join(' · ')) : null,
  )
}

function resultItem(result: SpecConfig): HTMLElement {
  const params = (result.Params ?? {}) as Record<string, unknown>
  const text = (key: string) => (typeof params[key] === 'string' ? (params[key] as string) : undefined)
  const url = text('URL') ?? text('PreSignedURL')
  const cid = text('CID')
  const where = text('Bucket') ? `s3://${text('Bucket')}/${text('Key') ?? ''}` : undefined
  return h(
    'li',
    { 'data-result-type': result.Type },
    h('span', { class: 'badge' }, result.Type),
    ' ',
    url ? h('a', { href: url, download: '' }, url.startsWith('data:') ? 'Download (inline archive)' : 'Download') : null,
    cid ? h('span', {}, ' CID ', h('code', {}, cid), ' ', h('a', { href: `/ipfs/${cid}` }, 'open via this requester')) : null,
    where ? h('span', {}, ' ', h('code', {}, where)) : null,
    !url && !cid && !where ? h('code', {}, JSON.stringify(params)) : null,
  )
}

/** The steps of a job's timeline: submitted, queued, bid accepted, running, published, done. */
function timelineOf(job: Job, executions: Execution[], history: JobHistory[]): TimelineStep[] {
  const firstJobState = (state: string) => history.find((item) => item.JobState?.New === state)
  const firstExecutionState = (name: string) => history.find((item) => item.ExecutionState && executionStateName(item.ExecutionState.New) === name)
  const at = (item: JobHistory | undefined) => (item ? timeMs(item.Time) : undefined)
  const state = job.State.StateType
  const end = TERMINAL_JOB_STATES.includes(state) ? at(firstJobState(state)) ?? timeMs(job.ModifyTime) : undefined
  const published = executions.find((e) => e.PublishedResult) ? at(firstExecutionState('Completed')) : undefined
  return [
    { label: 'Submitted', at: timeMs(job.CreateTime) },
    { label: 'Queued', at: at(firstJobState('Queued')) },
    { label: 'Bid accepted', at: at(firstExecutionState('BidAccepted')) },
    { label: 'Running', at: at(firstExecutionState('Running')) ?? at(firstJobState('Running')) },
    { label: 'Published', at: published },
    { label: state === 'Undefined' ? 'Done' : TERMINAL_JOB_STATES.includes(state) ? state : 'Done', at: end, tone: stateTone(state) },
  ]
}

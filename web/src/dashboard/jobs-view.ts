/**
 * /jobs: the job list, newest first, with a state filter, namespace, label selector and paging;
 * the filters live in the address (a filtered list is a link), and the list follows the
 * requester's job events without a reload.
 */
import { JOB_STATES, type Job } from '@shoal/models'
import { h, replace } from './dom.ts'
import { ago, formatTime, stateTone, timeMs } from './format.ts'
import { reloadOn } from './live-events.ts'
import { errorMessage } from './session.ts'
import type { View } from './view.ts'

const PAGE_SIZE = 20

/** A state badge. */
export function stateBadge(state: string): HTMLElement {
  return h('span', { class: `badge tone-${stateTone(state)}`, 'data-state': state }, state)
}

/** The job list view. */
export const jobsView: View = (context, _params, url) => {
  context.setTitle('Jobs')
  const { session, live, signal } = context
  const query = url.searchParams
  const state = query.get('state') ?? ''
  const namespace = query.get('namespace') ?? ''
  const labels = query.get('labels') ?? ''
  // Tokens of the pages before this one, so Newer goes back.
  const tokens: Array<string | undefined> = [undefined]
  let page = 0

  const rows = h('tbody', { 'data-bind': 'jobs' })
  const status = h('p', { class: 'muted', role: 'status' })
  const newer = h('button', { type: 'button', class: 'button', disabled: true, onclick: () => void show(page - 1) }, '← Newer')
  const older = h('button', { type: 'button', class: 'button', disabled: true, onclick: () => void show(page + 1) }, 'Older →')

  const apply = (event: Event) => {
    event.preventDefault()
    const form = new FormData(event.target as HTMLFormElement)
    const next = new URLSearchParams()
    for (const name of ['state', 'namespace', 'labels']) {
      const value = String(form.get(name) ?? '').trim()
      if (value) next.set(name, value)
    }
    context.navigate(`/jobs${next.size > 0 ? `?${next}` : ''}`)
  }

  const show = async (index: number) => {
    try {
      const result = await session.client.listJobs({
        namespace: namespace || undefined,
        labels: labels ? labels.split(',').map((l) => l.trim()).filter(Boolean) : undefined,
        orderBy: 'created_at',
        reverse: true,
        limit: PAGE_SIZE,
        nextToken: tokens[index],
        signal,
      })
      page = index
      tokens[index + 1] = result.NextToken || undefined
      // The API has no state filter (upstream's has none): the page's jobs are filtered here.
      const items = state ? result.Items.filter((job) => job.State.StateType === state) : result.Items
      replace(rows, ...items.map(jobRow))
      status.textContent = items.length === 0 ? (state ? `No ${state} jobs on this page.` : 'No jobs yet. Submit one, or run `shoal job run`.') : `${items.length} job(s) on page ${page + 1}${state ? `, ${state} only` : ''}.`
      newer.disabled = page === 0
      older.disabled = !result.NextToken
    } catch (err) {
      session.noteError(err)
      status.textContent = `Cannot list jobs: ${errorMessage(err)}`
    }
  }

  // Only the first page moves with new jobs; an older page stays put while being read.
  reloadOn(live, ['job'], () => true, () => show(page), signal)
  void show(0)

  return h(
    'section',
    { class: 'stack' },
    h('div', { class: 'row spread' }, h('h1', {}, 'Jobs'), h('a', { class: 'button primary', href: '/submit' }, 'Submit a job')),
    h(
      'form',
      { class: 'card filters', onsubmit: apply, 'aria-label': 'Filter jobs' },
      h('label', {}, 'State ', h('select', { name: 'state' }, h('option', { value: '' }, 'Any'), JOB_STATES.filter((s) => s !== 'Undefined').map((s) => h('option', { value: s, selected: s === state }, s)))),
      h('label', {}, 'Namespace ', h('input', { name: 'namespace', value: namespace, placeholder: 'default (* for all)', autocomplete: 'off' })),
      h('label', {}, 'Labels ', h('input', { name: 'labels', value: labels, placeholder: 'env=prod,tier!=db', autocomplete: 'off' })),
      h('button', { type: 'submit', class: 'button' }, 'Apply'),
    ),
    h(
      'div',
      { class: 'card table-card' },
      h('table', {}, h('thead', {}, h('tr', {}, h('th', {}, 'Job'), h('th', {}, 'Name'), h('th', {}, 'Type'), h('th', {}, 'State'), h('th', {}, 'Created'), h('th', {}, 'Updated'))), rows),
      status,
      h('div', { class: 'row' }, newer, older),
    ),
  )
}

function jobRow(job: Job): HTMLElement {
  return h(
    'tr',
    { 'data-job-id': job.ID },
    h('td', {}, h('a', { href: `/jobs/${encodeURIComponent(job.ID)}` }, h('code', {}, job.ID.slice(0, 10)))),
    h('td', {}, job.Name),
    h('td', {}, job.Type),
    h('td', {}, stateBadge(job.State.StateType)),
    h('td', { title: formatTime(job.CreateTime) }, ago(timeMs(job.CreateTime))),
    h('td', { title: formatTime(job.ModifyTime) }, ago(timeMs(job.ModifyTime))),
  )
}

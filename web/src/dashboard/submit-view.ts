/**
 * /submit: a job editor. YAML or JSON, checked as you type with @shoal/models (the same
 * parseJobSpec the CLI and the requester use), each problem naming its field path and selecting
 * it in the editor; templates; a WASM file picker that becomes an inline input; dry-run; submit,
 * then on to the job.
 */
import { ApiError } from '@shoal/client'
import { parseJobSpec, ValidationError, type Job, type ValidationIssue } from '@shoal/models'
import { h, replace } from './dom.ts'
import { JOB_TEMPLATES } from './job-templates.ts'
import { errorMessage } from './session.ts'
import type { View } from './view.ts'

/** Largest module the picker inlines (an inline input travels inside the job spec). */
const MAX_INLINE_BYTES = 8 * 1024 * 1024

/** Where a field path's last key is written in the document (0-based offsets), if it can be found. */
export function locatePath(text: string, path: string): { start: number; end: number; line: number } | undefined {
  const keys = path.split(/[.[\]]/).filter((part) => part !== '' && !/^\d+$/.test(part))
  for (let i = keys.length - 1; i >= 0; i--) {
    const pattern = new RegExp(`(^|[\\s{,-])"?(${keys[i].replace(/[.*+?^${}()|[\]\\]/g, '\\$&')})"?\\s*:`, 'mi')
    const match = pattern.exec(text)
    if (match) {
      const start = match.index + match[1].length
      const lineEnd = text.indexOf('\n', start)
      return { start, end: lineEnd < 0 ? text.length : lineEnd, line: text.slice(0, start).split('\n').length }
    }
  }
  return undefined
}

/** Base64 `data:` URL of bytes, as the CLI's inline input sends a file. */
function dataUrl(bytes: Uint8Array, type = 'application/wasm'): string {
  let binary = ''
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return `data:${type};base64,${btoa(binary)}`
}

/** The job editor view. */
export const submitView: View = (context) => {
  context.setTitle('Submit a job')
  const { session, signal } = context
  const editor = h('textarea', { id: 'spec', class: 'editor', spellcheck: 'false', rows: 22, 'aria-describedby': 'spec-issues', 'data-bind': 'editor' }) as HTMLTextAreaElement
  editor.value = JOB_TEMPLATES[0].spec
  const issues = h('ul', { id: 'spec-issues', class: 'issues', 'aria-live': 'polite', 'data-bind': 'issues' })
  const outcome = h('div', { class: 'outcome', role: 'status', 'data-bind': 'outcome' })
  const submit = h('button', { type: 'button', class: 'button primary', 'data-action': 'submit', onclick: () => void send() }, 'Submit')
  const dryRun = h('button', { type: 'button', class: 'button', 'data-action': 'dry-run', onclick: () => void tryIt() }, 'Dry run')
  const picker = h('input', { type: 'file', id: 'wasm-file', accept: '.wasm,application/wasm', 'data-bind': 'wasm-file', onchange: () => void pick() }) as HTMLInputElement
  const templates = h(
    'select',
    { id: 'template', 'data-bind': 'template', onchange: (event: Event) => useTemplate(Number((event.target as HTMLSelectElement).value)) },
    JOB_TEMPLATES.map((t, i) => h('option', { value: i }, t.name)),
  )
  const templateNote = h('p', { class: 'muted small' }, JOB_TEMPLATES[0].description)

  let parsed: Job | undefined
  const check = (): Job | undefined => {
    parsed = undefined
    const text = editor.value
    try {
      const result = parseJobSpec(text, { source: 'editor' })
      parsed = result.job
      replace(issues, ...result.warnings.map((w) => h('li', { class: 'warning' }, `Warning: ${w}`)))
      if (result.warnings.length === 0) replace(issues, h('li', { class: 'ok' }, 'Valid job spec.'))
      editor.removeAttribute('aria-invalid')
    } catch (err) {
      const list: ValidationIssue[] = err instanceof ValidationError ? err.issues : [{ path: '', message: errorMessage(err) }]
      replace(issues, ...list.map((issue) => issueItem(issue, text)))
      editor.setAttribute('aria-invalid', 'true')
    }
    submit.disabled = parsed === undefined
    dryRun.disabled = parsed === undefined
    return parsed
  }

  const issueItem = (issue: ValidationIssue, text: string) => {
    const at = issue.path ? locatePath(text, issue.path) : undefined
    const select = () => {
      if (!at) return
      editor.focus()
      editor.setSelectionRange(at.start, at.end)
    }
    return h(
      'li',
      { class: 'error', 'data-path': issue.path },
      issue.path ? h('mark', {}, issue.path) : null,
      issue.path ? ': ' : '',
      issue.message,
      at ? h('button', { type: 'button', class: 'link', onclick: select }, ` (line ${at.line})`) : null,
    )
  }

  const useTemplate = (index: number) => {
    editor.value = JOB_TEMPLATES[index].spec
    templateNote.textContent = JOB_TEMPLATES[index].description
    check()
  }

  const pick = async () => {
    const file = picker.files?.[0]
    if (!file) return
    if (file.size > MAX_INLINE_BYTES) {
      replace(outcome, h('p', { class: 'error' }, `${file.name} is ${file.size} bytes; inline inputs go inside the job, so keep them under ${MAX_INLINE_BYTES} bytes. Publish larger modules and use a urlDownload or ipfs input.`))
      return
    }
    let job: Job
    try {
      job = parseJobSpec(editor.value, { validate: false }).job
    } catch (err) {
      replace(outcome, h('p', { class: 'error' }, `Fix the spec before adding the module: ${errorMessage(err)}`))
      return
    }
    const target = `/app/${file.name.replace(/[^A-Za-z0-9._-]/g, '_')}`
    const task = job.Tasks[0]
    task.InputSources = [...(task.InputSources ?? []).filter((input) => input.Target !== target), { Source: { Type: 'inline', Params: { URL: dataUrl(new Uint8Array(await file.arrayBuffer())) } }, Alias: file.name, Target: target }]
    if (task.Engine.Type === 'wasm') task.Engine.Params = { ...task.Engine.Params, EntryModule: target }
    // The spec comes back as JSON: the editor takes YAML or JSON alike.
    editor.value = JSON.stringify(job, null, 2)
    replace(outcome, h('p', {}, `${file.name} (${file.size} bytes) is now an inline input at ${target}.`))
    check()
  }

  const tryIt = async () => {
    const job = check()
    if (!job) return
    replace(outcome, h('p', {}, 'The spec is valid. Checking it against the requester…'))
    if (!job.Name) {
      replace(outcome, h('p', {}, 'Valid. It has no Name, so it would be a new job; nothing is compared.'), h('pre', { class: 'code' }, JSON.stringify(job, null, 2)))
      return
    }
    try {
      const diff = await session.client.diffJob(job, { signal })
      replace(
        outcome,
        h('p', {}, diff.Diff ? `Dry run: a job named ${job.Name} exists; submitting would change it as below.` : `Dry run: valid, and no job named ${job.Name} would change (a new one would be created, or it is identical).`),
        diff.Diff ? h('pre', { class: 'code', 'data-bind': 'diff' }, diff.Diff) : null,
        diff.Warnings.length > 0 ? h('ul', {}, diff.Warnings.map((w) => h('li', {}, w))) : null,
      )
    } catch (err) {
      session.noteError(err)
      // No job of that Name yet: nothing to compare with, and the spec passed the requester's checks.
      if (err instanceof ApiError && err.status === 404) replace(outcome, h('p', {}, `Dry run: valid; no job named ${job.Name} exists, so submitting creates it.`))
      else replace(outcome, h('p', { class: 'error' }, `Dry run refused: ${errorMessage(err)}`))
    }
  }

  const send = async () => {
    const job = check()
    if (!job) return
    if (!session.abilities.write) {
      replace(outcome, h('p', { class: 'error' }, 'Your token is read-only: submitting needs the write scope.'))
      return
    }
    submit.disabled = true
    try {
      const answer = await session.client.putJob(job, { signal })
      context.navigate(`/jobs/${encodeURIComponent(answer.JobID)}`)
    } catch (err) {
      session.noteError(err)
      replace(outcome, h('p', { class: 'error' }, `Not submitted: ${errorMessage(err)}`))
      submit.disabled = false
    }
  }

  let timer: ReturnType<typeof setTimeout> | undefined
  editor.addEventListener('input', () => {
    clearTimeout(timer)
    timer = setTimeout(check, 150)
  })
  signal.addEventListener('abort', () => clearTimeout(timer), { once: true })
  check()

  return h(
    'section',
    { class: 'stack' },
    h('h1', {}, 'Submit a job'),
    h(
      'div',
      { class: 'card stack' },
      h('div', { class: 'row' }, h('label', { for: 'template' }, 'Template '), templates),
      templateNote,
      h('div', { class: 'row' }, h('label', { for: 'wasm-file' }, 'WASM module '), picker),
      h('label', { for: 'spec' }, 'Job spec (YAML or JSON)'),
      editor,
      issues,
      h('div', { class: 'row' }, dryRun, submit),
      outcome,
    ),
  )
}

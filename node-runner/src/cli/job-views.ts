import { ExecutionState, executionStateName, shortId, EXECUTION_DESIRED_STATES, type Execution, type Job, type JobHistory, type NodeState } from '@shoal/models'
import type { Column, OutputOptions } from './output-format.ts'
import { renderTable } from './output-format.ts'
import { isoTime, relativeTime } from './time-format.ts'

/** An ID as tables show it: `j-1234abcd` for prefixed UUIDs unless --wide; other IDs (chosen node names) in full. */
export const displayId = (id: string, options: OutputOptions): string => (options.wide || !/^[a-z]-[0-9a-f]{8}-/.test(id) ? id : shortId(id))

/** A time as tables show it: relative unless --wide (ISO). */
export const displayTime = (time: number | string | undefined, options: OutputOptions, now: number): string =>
  options.wide ? isoTime(time) : relativeTime(time, now)

/** The columns of `job list`: CREATED, ID, JOB, TYPE, STATE. */
export function jobColumns(now: number): Column<Job>[] {
  return [
    { header: 'CREATED', value: (j, o) => displayTime(j.CreateTime, o, now) },
    { header: 'ID', value: (j, o) => displayId(j.ID, o) },
    { header: 'JOB', value: (j) => j.Name, maxWidth: 30 },
    { header: 'TYPE', value: (j) => j.Type },
    { header: 'STATE', value: (j) => j.State?.StateType ?? '' },
    { header: 'NAMESPACE', value: (j) => j.Namespace, wideOnly: true },
    { header: 'LABELS', value: (j) => labelText(j.Labels), wideOnly: true },
  ]
}

/** The columns of `job versions`: VERSION, SUBMITTED (when that version was submitted), NAME, TYPE. */
export function versionColumns(now: number): Column<Job>[] {
  return [
    { header: 'VERSION', value: (j) => String(j.Version) },
    { header: 'SUBMITTED', value: (j, o) => displayTime(j.ModifyTime || j.CreateTime, o, now) },
    { header: 'NAME', value: (j) => j.Name, maxWidth: 30 },
    { header: 'TYPE', value: (j) => j.Type },
    { header: 'ID', value: (j, o) => displayId(j.ID, o), wideOnly: true },
  ]
}

/** The name of a desired state integer. */
export const desiredStateName = (value: number): string => EXECUTION_DESIRED_STATES[value] ?? `Unknown(${value})`

/** The columns of `job executions`. */
export function executionColumns(now: number): Column<Execution>[] {
  return [
    { header: 'CREATED', value: (e, o) => displayTime(e.CreateTime, o, now) },
    { header: 'MODIFIED', value: (e, o) => displayTime(e.ModifyTime, o, now) },
    { header: 'ID', value: (e, o) => displayId(e.ID, o) },
    { header: 'NODE ID', value: (e, o) => displayId(e.NodeID, o) },
    { header: 'REV.', value: (e) => String(e.Revision) },
    { header: 'COMPUTE STATE', value: (e) => executionStateName(e.ComputeState?.StateType ?? 0) },
    { header: 'DESIRED STATE', value: (e) => desiredStateName(e.DesiredState?.StateType ?? 0) },
    { header: 'EXIT', value: (e) => (e.RunOutput ? String(e.RunOutput.ExitCode) : '') },
    { header: 'MESSAGE', value: (e) => e.ComputeState?.Message ?? '', maxWidth: 60, wideOnly: true },
  ]
}

function historyState(h: JobHistory): string {
  if (h.JobState) return `${h.JobState.Previous} → ${h.JobState.New}`
  if (h.ExecutionState) return `${executionStateName(h.ExecutionState.Previous)} → ${executionStateName(h.ExecutionState.New)}`
  return ''
}

/** The columns of `job history`. */
export function historyColumns(now: number): Column<JobHistory>[] {
  return [
    { header: 'TIME', value: (h, o) => displayTime(h.Time || h.Event?.Timestamp, o, now) },
    { header: 'LEVEL', value: (h) => (h.Type === 'ExecutionLevel' ? 'Execution' : 'Job') },
    { header: 'EXEC. ID', value: (h, o) => (h.ExecutionID ? displayId(h.ExecutionID, o) : '') },
    { header: 'STATE', value: historyState, wideOnly: true },
    { header: 'TOPIC', value: (h) => h.Event?.Topic ?? '' },
    { header: 'EVENT', value: (h) => h.Event?.Message ?? '', maxWidth: 70 },
  ]
}

/** `k=v, k2=v2` (sorted) for labels. */
export function labelText(labels: Record<string, string> | undefined): string {
  return Object.entries(labels ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => (v === '' ? k : `${k}=${v}`))
    .join(', ')
}

/** Column groups of `node list --show` (Bacalhau's), and the default. */
export const NODE_COLUMN_GROUPS = ['labels', 'version', 'features', 'capacity'] as const
/** A `node list --show` column group. */
export type NodeColumnGroup = (typeof NODE_COLUMN_GROUPS)[number]
/** The groups `node list` shows without --show. */
export const DEFAULT_NODE_COLUMN_GROUPS: readonly NodeColumnGroup[] = ['labels', 'capacity']

/** The columns of `node list`: ID, TYPE, APPROVAL, STATUS, then those of each group in `groups`. */
export function nodeColumns(groups: readonly NodeColumnGroup[] = DEFAULT_NODE_COLUMN_GROUPS): Column<NodeState>[] {
  const capacity = (n: NodeState, key: 'CPU' | 'Memory' | 'Disk' | 'GPU'): string => {
    const info = n.Info.ComputeNodeInfo
    if (!info) return ''
    const fmt = (v: number | undefined) => (v === undefined ? '?' : key === 'Memory' || key === 'Disk' ? bytes(v) : String(v))
    return `${fmt(info.AvailableCapacity?.[key])} / ${fmt(info.MaxCapacity?.[key])}`
  }
  const list = (values: readonly string[] | undefined) => (values ?? []).join(', ')
  const columns: Column<NodeState>[] = [
    { header: 'ID', value: (n, o) => displayId(n.Info.NodeID, o) },
    { header: 'TYPE', value: (n) => n.Info.NodeType },
    { header: 'APPROVAL', value: (n) => n.Membership },
    { header: 'STATUS', value: (n) => n.ConnectionState?.Status ?? '' },
  ]
  for (const group of NODE_COLUMN_GROUPS.filter((g) => groups.includes(g))) {
    if (group === 'labels') columns.push({ header: 'LABELS', value: (n) => labelText(n.Info.Labels), maxWidth: 40 })
    if (group === 'version') columns.push({ header: 'VERSION', value: (n) => n.Info.BacalhauVersion?.GitVersion ?? '' })
    if (group === 'features') {
      columns.push(
        { header: 'ENGINES', value: (n) => list(n.Info.ComputeNodeInfo?.ExecutionEngines) },
        { header: 'INPUTS FROM', value: (n) => list(n.Info.ComputeNodeInfo?.StorageSources) },
        { header: 'OUTPUTS', value: (n) => list(n.Info.ComputeNodeInfo?.Publishers) },
      )
    }
    if (group === 'capacity') {
      columns.push(
        { header: 'CPU', value: (n) => capacity(n, 'CPU') },
        { header: 'MEMORY', value: (n) => capacity(n, 'Memory') },
        { header: 'DISK', value: (n) => capacity(n, 'Disk'), wideOnly: true },
        { header: 'GPU', value: (n) => capacity(n, 'GPU'), wideOnly: true },
      )
    }
  }
  if (!groups.includes('features')) columns.push({ header: 'ENGINES', value: (n) => list(n.Info.ComputeNodeInfo?.ExecutionEngines), wideOnly: true })
  return columns
}

/** Bytes as "512 MB", "1.5 GB". */
export function bytes(value: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB']
  let v = value
  let unit = 0
  while (v >= 1024 && unit < units.length - 1) {
    v /= 1024
    unit++
  }
  return `${Number.isInteger(v) ? v : v.toFixed(1)} ${units[unit]}`
}

/** The human summary of `job describe`: job fields, execution summary and table, history, outputs. */
export function describeJobText(job: Job, executions: readonly Execution[], history: readonly JobHistory[], options: OutputOptions, now: number): string {
  const task = job.Tasks?.[0]
  const field = (name: string, value: string) => `${name.padEnd(13)} = ${value}\n`
  let text = ''
  text += field('ID', job.ID)
  text += field('Name', job.Name)
  text += field('Namespace', job.Namespace)
  text += field('Type', job.Type)
  text += field('State', job.State?.StateType ?? '')
  if (job.State?.Message) text += field('Message', job.State.Message)
  text += field('Count', String(job.Count))
  text += field('Version', String(job.Version))
  text += field('Created', `${isoTime(job.CreateTime)} (${relativeTime(job.CreateTime, now)})`)
  text += field('Modified', `${isoTime(job.ModifyTime)} (${relativeTime(job.ModifyTime, now)})`)
  if (Object.keys(job.Labels ?? {}).length > 0) text += field('Labels', labelText(job.Labels))
  if (task) {
    text += field('Engine', task.Engine?.Type ?? '')
    text += field('Publisher', task.Publisher?.Type || '(none)')
  }
  const counts = new Map<string, number>()
  for (const e of executions) {
    const name = executionStateName(e.ComputeState?.StateType ?? 0)
    counts.set(name, (counts.get(name) ?? 0) + 1)
  }
  text += '\nSummary\n'
  text += counts.size === 0 ? '  no executions yet\n' : [...counts].map(([k, v]) => `  ${k}: ${v}\n`).join('')
  if (executions.length > 0) {
    text += '\nExecutions\n'
    text += indent(renderTable(executions, executionColumns(now), { ...options, output: 'table' }))
    // What running executions do now (the node's progress: bytes downloaded, published), in full.
    const active = executions.filter((e) => {
      const state = e.ComputeState?.StateType
      return (state === ExecutionState.Running || state === ExecutionState.Publishing) && (e.ComputeState?.Message ?? '') !== ''
    })
    if (active.length > 0) {
      text += '\nProgress\n'
      for (const e of active) text += `  ${displayId(e.ID, options)}  ${executionStateName(e.ComputeState.StateType)}: ${e.ComputeState.Message}\n`
    }
  }
  if (history.length > 0) {
    const recent = history.slice(-10)
    text += `\nHistory${history.length > recent.length ? ` (last ${recent.length} of ${history.length})` : ''}\n`
    text += indent(renderTable(recent, historyColumns(now), { ...options, output: 'table' }))
  }
  const withOutput = executions.filter((e) => e.RunOutput)
  for (const e of withOutput) {
    const run = e.RunOutput!
    const label = withOutput.length > 1 ? ` (${displayId(e.ID, options)})` : ''
    if (run.ErrorMsg) text += `\nError${label}\n${indent(ensureNewline(run.ErrorMsg))}`
    if (run.Stdout) text += `\nStandard Output${label}${run.StdoutTruncated ? ' (truncated)' : ''}\n${indent(ensureNewline(run.Stdout))}`
    if (run.stderr) text += `\nStandard Error${label}${run.StderrTruncated ? ' (truncated)' : ''}\n${indent(ensureNewline(run.stderr))}`
  }
  return text
}

/** Adds a final newline when missing. */
export const ensureNewline = (text: string): string => (text === '' || text.endsWith('\n') ? text : `${text}\n`)

const indent = (text: string): string =>
  text
    .split('\n')
    .map((line) => (line === '' ? line : `  ${line}`))
    .join('\n')

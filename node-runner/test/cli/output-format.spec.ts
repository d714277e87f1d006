import { describe, expect, it } from 'vitest'
import { parse as parseYaml } from 'yaml'
import { renderList, type Column } from '../../src/cli/output-format.ts'
import { relativeTime } from '../../src/cli/time-format.ts'
import { jobColumns } from '../../src/cli/job-views.ts'
import type { Job } from '@shoal/models'

interface Row {
  id: string
  note: string
}
const rows: Row[] = [
  { id: 'j-1', note: 'short' },
  { id: 'j-22222', note: 'has, a "comma"' },
]
const columns: Column<Row>[] = [
  { header: 'ID', value: (r) => r.id },
  { header: 'NOTE', value: (r) => r.note, maxWidth: 8 },
  { header: 'EXTRA', value: () => 'x', wideOnly: true },
]

describe('output formats', () => {
  it('table: aligned columns, cut cells, optional header, plain with --no-style', () => {
    expect(renderList(rows, columns, { output: 'table', noStyle: true })).toBe('ID       NOTE\nj-1      short\nj-22222  has, a …\n')
    expect(renderList(rows, columns, { output: 'table', noStyle: true, hideHeader: true })).toBe('j-1      short\nj-22222  has, a …\n')
    expect(renderList(rows, columns, { output: 'table', noStyle: true, wide: true }).split('\n')[2]).toBe('j-22222  has, a "comma"  x')
    expect(renderList(rows, columns, { output: 'table' }).startsWith('\u001b[1mID       NOTE\u001b[0m\n')).toBe(true)
  })

  it('csv: RFC 4180 quoting, never cut', () => {
    expect(renderList(rows, columns, { output: 'csv' })).toBe('ID,NOTE\nj-1,short\nj-22222,"has, a ""comma"""\n')
  })

  it('json and yaml: the full objects', () => {
    expect(JSON.parse(renderList(rows, columns, { output: 'json' }))).toEqual(rows)
    expect(parseYaml(renderList(rows, columns, { output: 'yaml' }))).toEqual(rows)
  })

  it('job list columns: short IDs and relative times, full with --wide', () => {
    const now = Date.parse('2025-01-01T00:10:00Z')
    const job = { ID: 'j-01234567-89ab-4def-8000-000000000000', Name: 'hello', Type: 'batch', State: { StateType: 'Completed' }, CreateTime: Date.parse('2025-01-01T00:07:00Z') * 1e6, Namespace: 'default', Labels: {} } as unknown as Job
    expect(renderList([job], jobColumns(now), { output: 'table', noStyle: true })).toBe('CREATED  ID          JOB    TYPE   STATE\n3m ago   j-01234567  hello  batch  Completed\n')
    expect(renderList([job], jobColumns(now), { output: 'table', noStyle: true, wide: true })).toContain('2025-01-01T00:07:00.000Z  j-01234567-89ab-4def-8000-000000000000')
  })

  it('relative times', () => {
    const now = Date.parse('2025-01-02T00:00:00Z')
    expect(relativeTime((now - 5_000) * 1e6, now)).toBe('5s ago')
    expect(relativeTime((now - 2 * 3600_000) * 1e6, now)).toBe('2h ago')
    expect(relativeTime('2025-01-01T00:00:00Z', now)).toBe('1d ago')
  })
})

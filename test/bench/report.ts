/** One measured figure of a benchmark. */
export interface BenchFigure {
  /** Short id, e.g. "P1". */
  id: string
  name: string
  value: number
  unit: string
  /** The goal, when the issue sets one, and whether lower or higher is better. */
  goal?: { value: number; better: 'lower' | 'higher' }
  /** A baseline measured in the same process, and value/baseline. */
  baseline?: { name: string; value: number; ratio: number }
  notes?: string
}

/** Whether a figure meets its goal ("-" when it has none). */
export function verdict(figure: BenchFigure): string {
  if (figure.goal === undefined) return '-'
  const ok = figure.goal.better === 'lower' ? figure.value <= figure.goal.value : figure.value >= figure.goal.value
  return ok ? 'met' : 'NOT met'
}

const fmt = (n: number): string => (Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 10 ? n.toFixed(1) : n.toFixed(3))

/** Renders figures as an aligned text table. */
export function renderTable(figures: BenchFigure[]): string {
  const rows = [
    ['id', 'figure', 'value', 'goal', 'baseline', 'ratio', 'verdict'],
    ...figures.map((f) => [
      f.id,
      f.name,
      `${fmt(f.value)} ${f.unit}`,
      f.goal ? `${f.goal.better === 'lower' ? '<=' : '>='} ${f.goal.value} ${f.unit}` : '-',
      f.baseline ? `${f.baseline.name}: ${fmt(f.baseline.value)}` : '-',
      f.baseline ? `${f.baseline.ratio.toFixed(2)}x` : '-',
      verdict(f),
    ]),
  ]
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)))
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd()).join('\n')
}

/** Percentile (0..100) of unsorted samples, nearest-rank. */
export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return NaN
  const sorted = [...samples].sort((a, b) => a - b)
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[rank]
}

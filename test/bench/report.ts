/** One measured figure of a benchmark. */
export interface BenchFigure {
  /** Short id, e.g. "P1". */
  id: string
  name: string
  value: number
  unit: string
  /**
   * The goal, when the issue sets one, and whether lower or higher is better. `on: 'ratio'`
   * puts the goal on value/baseline (e.g. "at most 3x the direct run") instead of the value.
   */
  goal?: { value: number; better: 'lower' | 'higher'; on?: 'value' | 'ratio' }
  /** A baseline measured in the same process, and value/baseline. */
  baseline?: { name: string; value: number; ratio: number }
  notes?: string
}

/** A figure as written to the JSON report: the figure plus its verdict. */
export interface BenchFigureRecord extends BenchFigure {
  verdict: string
}

/** A baseline entry for a figure whose value is `value`: the ratio is value/baseline. */
export function baselineOf(name: string, baseline: number, value: number): NonNullable<BenchFigure['baseline']> {
  return { name, value: baseline, ratio: value / baseline }
}

/** Whether a figure meets its goal ("-" when it has none). */
export function verdict(figure: BenchFigure): string {
  if (figure.goal === undefined) return '-'
  const measured = figure.goal.on === 'ratio' ? figure.baseline?.ratio : figure.value
  if (measured === undefined || !Number.isFinite(measured)) return 'NOT measured'
  const ok = figure.goal.better === 'lower' ? measured <= figure.goal.value : measured >= figure.goal.value
  return ok ? 'met' : 'NOT met'
}

/** The figure with its verdict, ready for JSON. */
export function toRecord(figure: BenchFigure): BenchFigureRecord {
  return { ...figure, verdict: verdict(figure) }
}

const fmt = (n: number): string =>
  !Number.isFinite(n) ? String(n) : Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 10 ? n.toFixed(1) : n.toFixed(3)

function goalText(figure: BenchFigure): string {
  const goal = figure.goal
  if (goal === undefined) return '-'
  const sign = goal.better === 'lower' ? '<=' : '>='
  return goal.on === 'ratio' ? `ratio ${sign} ${goal.value}x` : `${sign} ${goal.value} ${figure.unit}`
}

/** Renders figures as an aligned text table. */
export function renderTable(figures: BenchFigure[]): string {
  const rows = [
    ['id', 'figure', 'value', 'goal', 'baseline', 'ratio', 'verdict'],
    ...figures.map((f) => [
      f.id,
      f.name,
      `${fmt(f.value)} ${f.unit}`,
      goalText(f),
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

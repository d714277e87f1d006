/** Small hand-drawn SVG charts (no chart library): bars, stacked columns over time, a timeline. */
import { h, svg } from './dom.ts'

/** One bar: a label, a value and a tone (CSS class). */
export interface Bar {
  label: string
  value: number
  tone?: string
}

/** Horizontal bars with their values, e.g. nodes by runtime. A table holds the same numbers for screen readers. */
export function barChart(title: string, bars: Bar[]): HTMLElement {
  const max = Math.max(1, ...bars.map((b) => b.value))
  const row = 26
  const chart = svg('svg', { viewBox: `0 0 320 ${Math.max(1, bars.length) * row}`, class: 'chart', role: 'img', 'aria-label': `${title}: ${bars.map((b) => `${b.label} ${b.value}`).join(', ') || 'none'}` })
  bars.forEach((bar, i) => {
    const y = i * row
    chart.append(
      svg('text', { x: 0, y: y + 17, class: 'chart-label' }, bar.label),
      svg('rect', { x: 90, y: y + 5, width: Math.max(2, (bar.value / max) * 190), height: 16, rx: 3, class: `chart-bar tone-${bar.tone ?? 'idle'}` }),
      svg('text', { x: 90 + Math.max(2, (bar.value / max) * 190) + 6, y: y + 17, class: 'chart-value' }, String(bar.value)),
    )
  })
  return h('figure', { class: 'chart-figure' }, h('figcaption', {}, title), chart)
}

/** One time bucket of a stacked column chart. */
export interface Bucket {
  /** Start of the bucket (ms). */
  start: number
  counts: Record<string, number>
}

/** Stacked columns over time (jobs by state per interval), with a legend. */
export function stackedColumns(title: string, buckets: Bucket[], keys: string[]): HTMLElement {
  const width = 320
  const height = 120
  const max = Math.max(1, ...buckets.map((b) => keys.reduce((sum, k) => sum + (b.counts[k] ?? 0), 0)))
  const step = width / Math.max(1, buckets.length)
  const label = buckets.map((b) => `${new Date(b.start).toLocaleTimeString()}: ${keys.map((k) => `${b.counts[k] ?? 0} ${k}`).join(', ')}`).join('; ')
  const chart = svg('svg', { viewBox: `0 0 ${width} ${height + 2}`, class: 'chart', role: 'img', 'aria-label': `${title}. ${label}` })
  chart.append(svg('line', { x1: 0, y1: height, x2: width, y2: height, class: 'chart-axis' }))
  buckets.forEach((bucket, i) => {
    let y = height
    for (const key of keys) {
      const n = bucket.counts[key] ?? 0
      if (n === 0) continue
      const barHeight = (n / max) * (height - 4)
      y -= barHeight
      chart.append(svg('rect', { x: i * step + 1, y, width: Math.max(1, step - 2), height: barHeight, class: `chart-bar state-${key}` }, svg('title', {}, `${n} ${key}`)))
    }
  })
  const legend = h('ul', { class: 'legend' }, keys.map((k) => h('li', {}, h('span', { class: `swatch state-${k}` }), k)))
  return h('figure', { class: 'chart-figure' }, h('figcaption', {}, title), chart, legend)
}

/** One step of a timeline. */
export interface TimelineStep {
  label: string
  /** When it happened (ms), or undefined when it has not (yet). */
  at?: number
  tone?: string
}

/** A job's way from submitted to done, as a horizontal sequence of steps with times. */
export function timeline(title: string, steps: TimelineStep[]): HTMLElement {
  const first = steps.find((s) => s.at !== undefined)?.at
  return h(
    'figure',
    { class: 'chart-figure' },
    h('figcaption', {}, title),
    h(
      'ol',
      { class: 'timeline' },
      steps.map((step) =>
        h(
          'li',
          { class: `timeline-step ${step.at === undefined ? 'pending' : `tone-${step.tone ?? 'ok'}`}` },
          h('span', { class: 'timeline-dot', 'aria-hidden': 'true' }),
          h('span', { class: 'timeline-label' }, step.label),
          h('span', { class: 'timeline-time' }, step.at === undefined ? '—' : first !== undefined && step.at !== first ? `+${((step.at - first) / 1000).toFixed(1)} s` : new Date(step.at).toLocaleTimeString()),
        ),
      ),
    ),
  )
}

import { stringify as toYaml } from 'yaml'

/** Output formats of commands that print data. */
export const OUTPUT_FORMATS = ['table', 'csv', 'json', 'yaml'] as const
/** An output format. */
export type OutputFormat = (typeof OUTPUT_FORMATS)[number]

/** How a command prints data (the --output, --pretty, --wide, --hide-header, --no-style flags). */
export interface OutputOptions {
  output: OutputFormat
  /** Indent JSON (Bacalhau's --pretty); without it JSON is one line, as `bacalhau … --output json` prints it. */
  pretty?: boolean
  /** Full IDs and values, absolute times. */
  wide?: boolean
  hideHeader?: boolean
  /** Plain text: no bold header, no colour. */
  noStyle?: boolean
}

/** A column of a table: a header and how to render a row's cell. */
export interface Column<T> {
  header: string
  value(row: T, options: OutputOptions): string
  /** Shown only with --wide. */
  wideOnly?: boolean
  /** Cells longer than this are cut with "…" unless --wide. */
  maxWidth?: number
}

const BOLD = '\u001b[1m'
const RESET = '\u001b[0m'

function cut(text: string, max: number | undefined, wide: boolean | undefined): string {
  const single = text.replace(/\s*\n\s*/g, ' ')
  if (wide || max === undefined || single.length <= max) return single
  return `${single.slice(0, Math.max(1, max - 1))}…`
}

function csvCell(text: string): string {
  return /[",\r\n]/.test(text) || /^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

/** Renders rows as aligned columns separated by two spaces, with an optional header. */
export function renderTable<T>(rows: readonly T[], columns: readonly Column<T>[], options: OutputOptions): string {
  const shown = columns.filter((c) => options.wide || !c.wideOnly)
  const body = rows.map((row) => shown.map((c) => cut(c.value(row, options), c.maxWidth, options.wide)))
  const header = shown.map((c) => c.header)
  const all = options.hideHeader ? body : [header, ...body]
  const widths = shown.map((_, i) => Math.max(0, ...all.map((r) => r[i].length)))
  const lines = all.map((r) =>
    r
      .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i])))
      .join('  ')
      .trimEnd(),
  )
  if (!options.hideHeader && !options.noStyle && lines.length > 0) lines[0] = `${BOLD}${lines[0]}${RESET}`
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`
}

/** Renders rows as RFC 4180 CSV (header first unless hidden); cells are never cut. */
export function renderCsv<T>(rows: readonly T[], columns: readonly Column<T>[], options: OutputOptions): string {
  const shown = columns.filter((c) => options.wide || !c.wideOnly)
  const lines = rows.map((row) => shown.map((c) => csvCell(c.value(row, { ...options, wide: true }))).join(','))
  if (!options.hideHeader) lines.unshift(shown.map((c) => csvCell(c.header)).join(','))
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`
}

/** Renders a whole value as JSON (one line, or 2-space indent when `pretty`) or YAML, for scripts. */
export function renderDocument(value: unknown, format: 'json' | 'yaml', options: { pretty?: boolean } = {}): string {
  return format === 'json' ? `${JSON.stringify(value, null, options.pretty ? 2 : undefined)}\n` : toYaml(value, { aliasDuplicateObjects: false })
}

/**
 * Renders a list in the chosen format: table and csv use the columns; json and yaml print the
 * full objects unchanged.
 */
export function renderList<T>(rows: readonly T[], columns: readonly Column<T>[], options: OutputOptions): string {
  switch (options.output) {
    case 'csv':
      return renderCsv(rows, columns, options)
    case 'json':
    case 'yaml':
      return renderDocument(rows, options.output, options)
    default:
      return renderTable(rows, columns, options)
  }
}

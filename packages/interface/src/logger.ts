/** A structured logger; runtimes inject theirs (console, a file, a test collector). */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void
  info(message: string, fields?: Record<string, unknown>): void
  warn(message: string, fields?: Record<string, unknown>): void
  error(message: string, fields?: Record<string, unknown>): void
  /** A logger whose lines carry `component` and the given fields. */
  child(component: string, fields?: Record<string, unknown>): Logger
}

/** A logger that drops everything. */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silentLogger
  },
}

/** Levels in increasing severity. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const
/** A log level. */
export type LogLevel = (typeof LOG_LEVELS)[number]

/** A logger writing one line per entry through `write` (console.error by default). */
export function createConsoleLogger(
  options: { level?: LogLevel; component?: string; write?: (line: string) => void; fields?: Record<string, unknown> } = {},
): Logger {
  const min = LOG_LEVELS.indexOf(options.level ?? 'info')
  const write = options.write ?? ((line: string) => console.error(line))
  const base = options.fields ?? {}
  const emit = (level: LogLevel, message: string, fields?: Record<string, unknown>) => {
    if (LOG_LEVELS.indexOf(level) < min) return
    const all = { ...base, ...fields }
    const extra = Object.entries(all)
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' ')
    write(`${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${options.component ? `[${options.component}] ` : ''}${message}${extra ? ' ' + extra : ''}`)
  }
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (component, fields) =>
      createConsoleLogger({ ...options, component, fields: { ...base, ...fields } }),
  }
}

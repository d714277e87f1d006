import { ValidationError, type ValidationIssue } from '@shoal/models'

/** Options of job spec templating (Bacalhau's --template-vars / --template-envs). */
export interface TemplateOptions {
  /** Values for `{{.Name}}` placeholders. */
  vars: Record<string, string>
  /** Regular expression selecting environment variables that become template values too ("*" = all). */
  envPattern?: string
  env?: Record<string, string | undefined>
}

/** Parses repeated `K=V` flag values (also comma-separated lists, as Bacalhau's StringToString flags). */
export function parseKeyValues(values: readonly string[], flag: string): Record<string, string> {
  const out: Record<string, string> = {}
  const issues: ValidationIssue[] = []
  for (const value of values) {
    for (const pair of value.split(',')) {
      if (pair === '') continue
      const eq = pair.indexOf('=')
      if (eq <= 0) issues.push({ path: flag, message: `"${pair}" is not KEY=VALUE` })
      else out[pair.slice(0, eq)] = pair.slice(eq + 1)
    }
  }
  if (issues.length > 0) throw new ValidationError(issues)
  return out
}

const ACTION = /\{\{-?\s*(.*?)\s*-?\}\}/g
const FIELD = /^\.([A-Za-z_][A-Za-z0-9_]*)$/

/**
 * Replaces `{{.Name}}` placeholders in a job spec, as Bacalhau's Go-template step does for the
 * simple case. A placeholder with no value, or any other template action, is an error naming it.
 */
export function applyTemplate(text: string, options: TemplateOptions): string {
  const values: Record<string, string> = {}
  if (options.envPattern) {
    let pattern: RegExp
    try {
      pattern = new RegExp(options.envPattern === '*' ? '.*' : options.envPattern)
    } catch (error) {
      throw new ValidationError([{ path: '--template-envs', message: `not a valid regular expression: ${(error as Error).message}` }])
    }
    for (const [name, value] of Object.entries(options.env ?? {})) if (value !== undefined && pattern.test(name)) values[name] = value
  }
  Object.assign(values, options.vars)
  const issues: ValidationIssue[] = []
  const result = text.replace(ACTION, (whole, inner: string) => {
    const field = FIELD.exec(inner)
    if (!field) {
      issues.push({ path: 'template', message: `unsupported template action ${whole}; only {{.Name}} placeholders are supported (use --no-template to send the spec unchanged)` })
      return whole
    }
    const value = values[field[1]]
    if (value === undefined) {
      issues.push({ path: 'template', message: `no value for ${whole}; pass --template-vars ${field[1]}=VALUE (or --no-template)` })
      return whole
    }
    return value
  })
  if (issues.length > 0) throw new ValidationError(issues)
  return result
}

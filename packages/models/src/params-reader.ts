/**
 * Reads the fields of a spec's Params map (an engine's, a source's) the way job specs are read:
 * keys matched case-insensitively, every wrong field recorded as a problem naming its path and
 * what to put there, a default returned so decoding goes on and reports all problems at once.
 */

/** Options of {@link ParamsReader}. */
export interface ParamsReaderInit {
  /** The Params map as it came in the spec (anything that is not an object reads as empty). */
  params: unknown
  /** Path of the map in problems, e.g. `Engine.Params`. */
  path: string
}

/** Case-insensitive, problem-collecting reader of one Params map. */
export class ParamsReader {
  /** Every problem found so far, `Path.Field: what is wrong and what to do`. */
  readonly problems: string[] = []
  private readonly params: Record<string, unknown>
  private readonly path: string

  constructor(init: ParamsReaderInit) {
    this.params = typeof init.params === 'object' && init.params !== null && !Array.isArray(init.params) ? (init.params as Record<string, unknown>) : {}
    this.path = init.path
  }

  /** The field path of `name` (and of an element, with `index`), as problems name it. */
  pathOf(name: string, index?: number): string {
    return `${this.path}.${name}${index === undefined ? '' : `[${index}]`}`
  }

  /** Records a problem of field `name`: `hint` says what is wrong and what to do. */
  problem(name: string, hint: string, index?: number): void {
    this.problems.push(`${this.pathOf(name, index)}: ${hint}`)
  }

  /** The raw value of `name`, its key matched exactly first, then case-insensitively. */
  field(name: string): unknown {
    if (Object.hasOwn(this.params, name)) return this.params[name]
    const lower = name.toLowerCase()
    const key = Object.keys(this.params).find((k) => k.toLowerCase() === lower)
    return key === undefined ? undefined : this.params[key]
  }

  /** Whether `name` is absent (missing or null). */
  absent(name: string): boolean {
    const value = this.field(name)
    return value === undefined || value === null
  }

  /** A string field; `fallback` when absent, or when not a string (recorded). */
  string(name: string, fallback = ''): string {
    const value = this.field(name)
    if (value === undefined || value === null) return fallback
    if (typeof value !== 'string') {
      this.problem(name, 'expected a string')
      return fallback
    }
    return value
  }

  /** A list of strings; empty when absent, or when not such a list (recorded). */
  strings(name: string): string[] {
    const value = this.field(name)
    if (value === undefined || value === null) return []
    if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
      this.problem(name, 'expected a list of strings')
      return []
    }
    return value as string[]
  }

  /** Whether `name` holds a map of strings (an object whose values are all strings). */
  isStringMap(name: string): boolean {
    const value = this.field(name)
    return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.values(value).every((v) => typeof v === 'string')
  }

  /** A map of strings; empty when absent, or when not such a map (recorded). */
  stringMap(name: string): Record<string, string> {
    if (this.absent(name)) return {}
    if (!this.isStringMap(name)) {
      this.problem(name, 'expected a map of strings')
      return {}
    }
    return { ...(this.field(name) as Record<string, string>) }
  }
}

import type { SqlValue } from '@shoal/interface'

/**
 * The WHERE clauses of a list query and their parameters, built up one condition at a time;
 * conditions whose value is absent (undefined, or an empty list) are left out.
 */
export class SqlFilter {
  readonly clauses: string[] = []
  readonly params: SqlValue[] = []

  /** Adds `sql` (with `?` placeholders for `params`) as one condition. */
  where(sql: string, ...params: SqlValue[]): this {
    this.clauses.push(sql)
    this.params.push(...params)
    return this
  }

  /** `column = value`, when a value is given. */
  equals(column: string, value: SqlValue | undefined): this {
    return value === undefined ? this : this.where(`${column} = ?`, value)
  }

  /** `column IN (values…)`, when any values are given. */
  oneOf(column: string, values: readonly SqlValue[] | undefined): this {
    if (values === undefined || values.length === 0) return this
    return this.where(`${column} IN (${values.map(() => '?').join(', ')})`, ...values)
  }

  /** ` WHERE …` joining every condition with AND, or '' when there is none. */
  sql(): string {
    return this.clauses.length > 0 ? ` WHERE ${this.clauses.join(' AND ')}` : ''
  }
}

/**
 * Label selectors as Bacalhau (and Kubernetes) write them: `key=value`, `key==value`,
 * `key!=value`, `key`, `!key`, `key in (a,b)`, `key notin (a,b)`, `key>N`, `key<N` (N an
 * integer), several joined by commas.
 */
import { BadRequestError } from '@shoal/models'
import type { LabelSelectorRequirement } from '@shoal/models'

const KEY = '[A-Za-z0-9][A-Za-z0-9._/-]*'
const VALUE = '[A-Za-z0-9._/-]*'
const NOT_EXISTS = new RegExp(`^!\\s*(${KEY})$`)
const EXISTS = new RegExp(`^(${KEY})$`)
const COMPARE = new RegExp(`^(${KEY})\\s*(==|!=|=)\\s*(${VALUE})$`)
const SET = new RegExp(`^(${KEY})\\s+(in|notin)\\s*\\(([^()]*)\\)$`)
const SET_VALUE = new RegExp(`^${VALUE}$`)
const ORDER = new RegExp(`^(${KEY})\\s*([<>])\\s*([-+]?\\d+)$`)
/** A label value Kubernetes reads as an integer (strconv.ParseInt): an optional sign, then digits. */
const INTEGER_VALUE = "(value GLOB '[0-9]*' OR value GLOB '[-+][0-9]*') AND substr(value, 2) NOT GLOB '*[^0-9]*'"

/**
 * Most requirements one query may hold. Each becomes a clause of one SQL expression, and SQLite
 * refuses expressions over 1000 deep; no real filter comes near 100.
 */
export const MAX_LABEL_REQUIREMENTS = 100
/** Most values all `in`/`notin` sets of one query may list together (each is an SQL parameter). */
export const MAX_LABEL_VALUES = 1000

/**
 * Parses selectors (each may hold several comma-separated requirements) into requirements with
 * Operator one of '=', '!=', 'in', 'notin', 'exists', '!', 'gt', 'lt'. Throws BadRequestError
 * naming the part it could not read, or the limit a query passes.
 */
export function parseLabelSelectors(selectors: readonly string[]): LabelSelectorRequirement[] {
  const requirements: LabelSelectorRequirement[] = []
  let values = 0
  for (const selector of selectors) {
    for (const part of splitTopLevel(selector)) {
      const text = part.trim()
      if (text === '') continue
      const requirement = parseRequirement(text, selector)
      requirements.push(requirement)
      values += requirement.Values?.length ?? 0
      if (requirements.length > MAX_LABEL_REQUIREMENTS) {
        throw new BadRequestError(`too many label selector requirements: more than ${MAX_LABEL_REQUIREMENTS} in one query`, {
          component: 'orchestrator',
          hint: `use at most ${MAX_LABEL_REQUIREMENTS} (all labels parameters together, each comma-separated part counting once); key in (a,b) matches several values in one`,
        })
      }
      if (values > MAX_LABEL_VALUES) {
        throw new BadRequestError(`too many label selector values: more than ${MAX_LABEL_VALUES} in one query`, {
          component: 'orchestrator',
          hint: `list at most ${MAX_LABEL_VALUES} values across all in/notin sets, or filter on a label that groups them`,
        })
      }
    }
  }
  return requirements
}

/**
 * A SQL condition (and its parameters) true when the JSON object in `column` satisfies every
 * requirement; uses json_each, which node:sqlite and Durable Object SQLite both provide.
 */
export function labelSelectorSql(requirements: readonly LabelSelectorRequirement[], column: string): { sql: string; params: Array<string | number> } {
  const clauses: string[] = []
  const params: Array<string | number> = []
  for (const requirement of requirements) {
    const values = requirement.Values ?? []
    const inValues = values.map(() => '?').join(', ')
    switch (requirement.Operator) {
      case '=':
      case '==':
      case 'in':
        clauses.push(`EXISTS (SELECT 1 FROM json_each(${column}) WHERE key = ? AND value IN (${inValues}))`)
        params.push(requirement.Key, ...values)
        break
      case '!=':
      case 'notin':
        clauses.push(`NOT EXISTS (SELECT 1 FROM json_each(${column}) WHERE key = ? AND value IN (${inValues}))`)
        params.push(requirement.Key, ...values)
        break
      case 'exists':
        clauses.push(`EXISTS (SELECT 1 FROM json_each(${column}) WHERE key = ?)`)
        params.push(requirement.Key)
        break
      case '!':
        clauses.push(`NOT EXISTS (SELECT 1 FROM json_each(${column}) WHERE key = ?)`)
        params.push(requirement.Key)
        break
      case 'gt':
      case 'lt': {
        // As Kubernetes: the label must hold an integer; a label that does not never matches.
        const bound = Number(values[0])
        if (values.length !== 1 || !Number.isSafeInteger(bound)) {
          throw new BadRequestError(`label selector ${requirement.Key} ${requirement.Operator} needs one integer value`)
        }
        const comparison = requirement.Operator === 'gt' ? '>' : '<'
        clauses.push(`EXISTS (SELECT 1 FROM json_each(${column}) WHERE key = ? AND ${INTEGER_VALUE} AND CAST(value AS INTEGER) ${comparison} ?)`)
        params.push(requirement.Key, bound)
        break
      }
      default:
        throw new BadRequestError(`unsupported label selector operator "${requirement.Operator}"`)
    }
  }
  return { sql: clauses.join(' AND '), params }
}

function parseRequirement(text: string, selector: string): LabelSelectorRequirement {
  let match = NOT_EXISTS.exec(text)
  if (match) return { Key: match[1], Operator: '!' }
  match = SET.exec(text)
  if (match) {
    const values = match[3].split(',').map((value) => value.trim())
    if (values.some((value) => !SET_VALUE.test(value))) throw invalid(text, selector)
    return { Key: match[1], Operator: match[2], Values: values }
  }
  match = COMPARE.exec(text)
  if (match) return { Key: match[1], Operator: match[2] === '==' ? '=' : match[2], Values: [match[3]] }
  match = ORDER.exec(text)
  if (match) return { Key: match[1], Operator: match[2] === '>' ? 'gt' : 'lt', Values: [String(Number(match[3]))] }
  match = EXISTS.exec(text)
  if (match) return { Key: match[1], Operator: 'exists' }
  throw invalid(text, selector)
}

function splitTopLevel(selector: string): string[] {
  const parts: string[] = []
  let depth = 0
  let start = 0
  for (let index = 0; index < selector.length; index++) {
    const char = selector[index]
    if (char === '(') depth++
    else if (char === ')') depth--
    else if (char === ',' && depth === 0) {
      parts.push(selector.slice(start, index))
      start = index + 1
    }
  }
  parts.push(selector.slice(start))
  return parts
}

function invalid(text: string, selector: string): BadRequestError {
  return new BadRequestError(`invalid label selector "${selector}": cannot read "${text}"`, {
    component: 'orchestrator',
    hint: 'Use key=value, key!=value, key, !key, key in (a,b), key notin (a,b), key>N or key<N, joined by commas.',
  })
}

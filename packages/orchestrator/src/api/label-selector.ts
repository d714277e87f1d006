/**
 * Label selectors as Bacalhau (Kubernetes-style) writes them: `key=value`, `key==value`,
 * `key!=value`, `key in (a,b)`, `key notin (a,b)`, `key` (exists), `!key` (does not exist).
 */
import { BadRequestError } from '@shoal/models'

/** One parsed requirement of a label selector. */
export interface LabelRequirement {
  key: string
  operator: '=' | '!=' | 'in' | 'notin' | 'exists' | '!'
  values: string[]
  /** The requirement written back in canonical form (what the job store receives). */
  text: string
}

const KEY = /^[A-Za-z0-9]([\w./-]*[A-Za-z0-9])?$/
const VALUE = /^([A-Za-z0-9]([\w.-]*[A-Za-z0-9])?)?$/

/** Splits comma-separated requirements, keeping commas inside `( … )` sets together. */
function splitRequirements(selector: string): string[] {
  const parts: string[] = []
  let depth = 0
  let current = ''
  for (const char of selector) {
    if (char === '(') depth++
    if (char === ')') depth--
    if (char === ',' && depth === 0) {
      parts.push(current)
      current = ''
    } else current += char
  }
  parts.push(current)
  return parts.map((p) => p.trim()).filter((p) => p !== '')
}

function parseOne(raw: string): LabelRequirement {
  const bad = (why: string) =>
    new BadRequestError(`invalid label selector ${JSON.stringify(raw)}: ${why}`, {
      hint: 'write requirements like env=prod, tier!=db, region in (eu,us), gpu, !spot',
    })
  const checkKey = (key: string) => {
    if (!KEY.test(key)) throw bad(`${JSON.stringify(key)} is not a valid label key`)
    return key
  }
  const checkValue = (value: string) => {
    if (!VALUE.test(value)) throw bad(`${JSON.stringify(value)} is not a valid label value`)
    return value
  }
  const set = /^(\S+)\s+(in|notin)\s*\((.*)\)$/.exec(raw)
  if (set) {
    const values = set[3].split(',').map((v) => checkValue(v.trim()))
    const operator = set[2] as 'in' | 'notin'
    return { key: checkKey(set[1]), operator, values, text: `${set[1]} ${operator} (${values.join(',')})` }
  }
  const cmp = /^([^=!\s]+)\s*(==|=|!=)\s*(.*)$/.exec(raw)
  if (cmp) {
    const operator = cmp[2] === '!=' ? '!=' : '='
    const value = checkValue(cmp[3].trim())
    return { key: checkKey(cmp[1]), operator, values: [value], text: `${cmp[1]}${operator}${value}` }
  }
  if (raw.startsWith('!')) {
    const key = checkKey(raw.slice(1).trim())
    return { key, operator: '!', values: [], text: `!${key}` }
  }
  return { key: checkKey(raw), operator: 'exists', values: [], text: raw }
}

/** Parses every `labels` query value (each may hold several comma-separated requirements). */
export function parseLabelSelector(values: string[]): LabelRequirement[] {
  return values.flatMap(splitRequirements).map(parseOne)
}

/** Whether `labels` satisfy every requirement. */
export function matchesLabels(requirements: LabelRequirement[], labels: Record<string, string>): boolean {
  return requirements.every((r) => {
    const has = Object.hasOwn(labels, r.key)
    const value = labels[r.key]
    switch (r.operator) {
      case '=':
        return has && value === r.values[0]
      case '!=':
        return !has || value !== r.values[0]
      case 'in':
        return has && r.values.includes(value)
      case 'notin':
        return !has || !r.values.includes(value)
      case 'exists':
        return has
      case '!':
        return !has
    }
  })
}

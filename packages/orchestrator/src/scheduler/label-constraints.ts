import type { LabelSelectorRequirement } from '@shoal/models'

/**
 * Whether node labels satisfy one constraint, with Bacalhau's (Kubernetes label selector)
 * operators: `=`/`==` and `in` need the label with one of the values; `!=` and `notin` need it
 * absent or different; `exists` / `!` test presence; `gt` / `lt` compare integers.
 */
export function matchesConstraint(labels: Record<string, string>, constraint: LabelSelectorRequirement): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, constraint.Key)
  const value = has ? labels[constraint.Key] : undefined
  const values = constraint.Values ?? []
  switch (constraint.Operator.toLowerCase()) {
    case '=':
    case '==':
    case 'in':
      return value !== undefined && values.includes(value)
    case '!=':
    case 'notin':
      return value === undefined || !values.includes(value)
    case 'exists':
      return has
    case '!':
    case 'doesnotexist':
      return !has
    case 'gt':
    case 'lt': {
      if (value === undefined || values.length !== 1) return false
      const actual = Number(value)
      const bound = Number(values[0])
      if (!Number.isFinite(actual) || !Number.isFinite(bound)) return false
      return constraint.Operator.toLowerCase() === 'gt' ? actual > bound : actual < bound
    }
    default:
      return false
  }
}

/** The first constraint the labels fail, or undefined when all hold. */
export function firstUnmetConstraint(
  labels: Record<string, string>,
  constraints: readonly LabelSelectorRequirement[],
): LabelSelectorRequirement | undefined {
  return constraints.find((c) => !matchesConstraint(labels, c))
}

/** A constraint as a user writes it, e.g. `region in (eu, us)`, `gpu exists`, `cores gt 4`. */
export function formatConstraint(constraint: LabelSelectorRequirement): string {
  const values = constraint.Values ?? []
  switch (constraint.Operator.toLowerCase()) {
    case 'exists':
      return `${constraint.Key} exists`
    case '!':
      return `!${constraint.Key}`
    case 'in':
    case 'notin':
      return `${constraint.Key} ${constraint.Operator} (${values.join(', ')})`
    default:
      return `${constraint.Key}${/^[a-z]+$/i.test(constraint.Operator) ? ` ${constraint.Operator} ` : constraint.Operator}${values.join(',')}`
  }
}

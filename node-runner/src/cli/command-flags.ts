import { InvalidArgumentError, Option, type Command } from 'commander'
import { OUTPUT_FORMATS, type OutputFormat } from './output-format.ts'

/** Adds --output and --pretty, plus --wide, --hide-header, --no-style when tables are among the formats (Bacalhau's OutputFormatFlags). */
export function addOutputFlags(command: Command, formats: readonly OutputFormat[] = OUTPUT_FORMATS, fallback: OutputFormat = formats[0]): Command {
  command.addOption(new Option('--output <format>', `output format: ${formats.join(', ')}`).choices([...formats]).default(fallback))
  command.option('--pretty', 'indent JSON output (yaml and tables are unchanged)')
  if (formats.includes('table')) {
    command.option('--wide', 'full IDs, untruncated cells and absolute times')
    command.option('--hide-header', 'do not print the column headers')
    command.option('--no-style', 'plain text: no bold header')
  }
  return command
}

/** Parses a non-negative whole number flag. */
export function wholeNumber(flag: string): (value: string) => number {
  return (value: string) => {
    if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`${flag} must be a whole number.`)
    return Number(value)
  }
}

/** Collects a repeatable flag's values. */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value]

/** Adds --limit, --next-token, --order-by, --reverse (alias --order-reversed), --all. */
export function addListFlags(command: Command, orderFields: readonly string[], defaultLimit: number): Command {
  command.option('--limit <n>', 'how many items to show', wholeNumber('--limit'), defaultLimit)
  command.option('--next-token <token>', 'continue a previous listing from this page token')
  command.addOption(new Option('--order-by <field>', `order by a field: ${orderFields.join(', ')}`).choices([...orderFields]))
  command.option('--reverse', 'reverse the order')
  command.addOption(new Option('--order-reversed', 'same as --reverse (Bacalhau spelling)').hideHelp())
  command.option('--all', 'fetch every page, not just the first --limit items')
  return command
}

/** Adds --namespace: where a job is looked up by name (Bacalhau's flag; default: default). */
export function addNamespaceFlag(command: Command): Command {
  return command.option('--namespace <ns>', 'namespace of the job (default: default)')
}

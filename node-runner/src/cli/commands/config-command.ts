import { Command } from 'commander'
import type { CliContext } from '../cli-context.ts'
import type { OutputFlags } from '../cli-context.ts'
import { CONFIG_KEYS, configFilePath, writeConfigValue, type ConfigValue } from '../cli-config.ts'
import { addOutputFlags } from '../command-flags.ts'
import { renderList } from '../output-format.ts'

interface ConfigRow {
  Key: string
  Value: string
  Source: string
  Description: string
}

/** `shoal config list|set`: the CLI's own configuration (~/.shoal/config.yaml or $SHOAL_DIR/config.yaml). */
export function configCommand(ctx: CliContext): Command {
  const config = new Command('config').description("The CLI's configuration: ~/.shoal/config.yaml, or $SHOAL_DIR/config.yaml")

  const list = new Command('list').description('Print the configuration in effect and where each value came from (default, file, env, flag)')
  addOutputFlags(list)
  list.addHelpText('after', `\nPrecedence: flag > env > file > default.\n\nExamples:\n  shoal config list\n  SHOAL_API_URL=http://10.0.0.5:1234 shoal config list --output json`)
  list.action(async (flags: OutputFlags, command: Command) => {
    const options = ctx.output(flags)
    const effective = await ctx.config(command)
    const rows: ConfigRow[] = Object.entries(CONFIG_KEYS).map(([key, spec]) => {
      const value: ConfigValue | undefined = effective.values[key]
      return { Key: key, Value: value ? (spec.secret ? '********' : value.value) : '', Source: value?.source ?? '', Description: spec.description }
    })
    rows.push({ Key: '(requester)', Value: effective.apiUrl.value, Source: effective.apiUrl.source, Description: 'The API URL in use' })
    rows.push({ Key: '(file)', Value: effective.path, Source: '', Description: 'The config file read' })
    ctx.out(
      renderList(
        rows,
        [
          { header: 'KEY', value: (r) => r.Key },
          { header: 'VALUE', value: (r) => r.Value },
          { header: 'SOURCE', value: (r) => r.Source },
          { header: 'DESCRIPTION', value: (r) => r.Description, wideOnly: true },
        ],
        options,
      ),
    )
  })
  config.addCommand(list)

  config.addCommand(
    new Command('set')
      .description('Set a value in the config file')
      .argument('<key>', `one of: ${Object.keys(CONFIG_KEYS).join(', ')}`)
      .argument('<value>', 'the value')
      .addHelpText('after', '\nExamples:\n  shoal config set api.host 10.0.0.5\n  shoal config set api.url https://shoal.example.com\n  shoal config set api.token s3cr3t')
      .action(async (key: string, value: string) => {
        const path = configFilePath(ctx.io.env, ctx.io.home)
        const normalised = await writeConfigValue(path, key, value)
        ctx.err(`Set ${normalised} in ${path}\n`)
      }),
  )
  return config
}

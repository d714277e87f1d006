import { Command } from 'commander'
import type { CliContext } from '../cli-context.ts'
import type { OutputFlags } from '../cli-context.ts'
import { CONFIG_KEYS, checkConfigKeys, configFilePath, writeConfigValue, type ConfigValue } from '../cli-config.ts'
import { addOutputFlags } from '../command-flags.ts'
import { renderList } from '../output-format.ts'

interface ConfigRow {
  Key: string
  Value: string
  Source: string
  /** The environment variable, file or flag that set it. */
  Origin?: string
  Description: string
}

/** `shoal config list|set`: the CLI's own configuration (~/.shoal/config.yaml or $SHOAL_DIR/config.yaml). */
export function configCommand(ctx: CliContext): Command {
  const config = new Command('config').description("The CLI's configuration: ~/.shoal/config.yaml, or $SHOAL_DIR/config.yaml")

  const list = new Command('list').description('Print the configuration in effect and where each value came from (default, file, env, flag)')
  addOutputFlags(list)
  list.addHelpText(
    'after',
    `
Precedence: flag > env > file > default. Keys: api.* (this client), serve.* and compute.* (\`shoal serve\`),
devstack.* (\`shoal devstack\`, which also reads serve.host, serve.port, compute.allow-listed-local-paths).
An invalid value is listed, then reported with where it came from (exit 1).

Examples:
  shoal config list
  shoal config list --wide              also show which variable, file or flag set each value
  SHOAL_API_URL=http://10.0.0.5:1234 shoal config list --output json`,
  )
  list.action(async (flags: OutputFlags, command: Command) => {
    const options = ctx.output(flags)
    const effective = await ctx.config(command)
    const rows: ConfigRow[] = Object.entries(CONFIG_KEYS).map(([key, spec]) => {
      const value: ConfigValue | undefined = effective.values[key]
      return { Key: key, Value: value ? (spec.secret ? '********' : value.value) : '', Source: value?.source ?? '', Origin: value?.origin, Description: spec.description }
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
          { header: 'ORIGIN', value: (r) => r.Origin ?? '', wideOnly: true },
          { header: 'DESCRIPTION', value: (r) => r.Description, wideOnly: true },
        ],
        options,
      ),
    )
    // Listed first, so the user sees everything; then every bad value, with where it came from.
    checkConfigKeys(effective, Object.keys(CONFIG_KEYS))
  })
  config.addCommand(list)

  config.addCommand(
    new Command('set')
      .description('Set a value in the config file (an empty value removes it)')
      .argument('<key>', `one of: ${Object.keys(CONFIG_KEYS).join(', ')}`)
      .argument('<value>', 'the value')
      .addHelpText('after', `
Keys ignore case, '-' and '_'; Bacalhau's spelling of a key also works (compute.AllowListedLocalPaths).
Lists are comma-separated: compute.labels "region=eu,gpu=no", compute.allow-listed-local-paths "/data:rw,/ref".

Examples:
  shoal config set api.host 10.0.0.5
  shoal config set api.url https://shoal.example.com
  shoal config set api.token s3cr3t
  shoal config set serve.host 0.0.0.0
  shoal config set serve.manual-approval yes
  shoal config set compute.labels region=eu,gpu=no
  shoal config set serve.join-token ''           remove the key`)
      .action(async (key: string, value: string) => {
        const path = configFilePath(ctx.io.env, ctx.io.home)
        const normalised = await writeConfigValue(path, key, value)
        ctx.err(value === '' ? `Removed ${normalised} from ${path}\n` : `Set ${normalised} in ${path}\n`)
      }),
  )
  return config
}

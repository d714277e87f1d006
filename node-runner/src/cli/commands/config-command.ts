import { Command } from 'commander'
import type { CliContext } from '../cli-context.ts'
import type { OutputFlags } from '../cli-context.ts'
import { CONFIG_KEYS, checkConfigKeys, computePluginSettings, configFilePath, writeConfigValue, type ConfigValue, type EffectiveConfig } from '../cli-config.ts'
import type { PluginStatus } from '@shoal/interface'
import { PLUGIN_KIND_NAMES } from '@shoal/models'
import { formatPluginState } from '@shoal/compute'
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

/**
 * What a compute node started with this configuration would offer, checked now; none when a
 * setting they depend on is invalid (that is reported after the list).
 */
async function pluginStatuses(ctx: CliContext, effective: EffectiveConfig, probe: boolean): Promise<PluginStatus[]> {
  const settings = computePluginSettings(effective)
  if (!settings) return []
  const check = ctx.deps.checkPlugins ?? (await import('../../serve/compute-plugins.ts')).checkComputePlugins
  return check(settings, { signal: ctx.signal, probe })
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
Then each engine, input source and publisher a compute node started here with this configuration
would offer, or why not: "(engine docker)  off — disabled by configuration (compute.disabled-engines)".
What needs a probe (dockerd, git, AWS credentials) is checked with --check:
"(engine docker)  off — dockerd does not answer at /var/run/docker.sock: connect ENOENT …".
An invalid value is listed, then reported with where it came from (exit 1).

Examples:
  shoal config list
  shoal config list --wide              also show which variable, file or flag set each value
  shoal config list --check             also check dockerd, git and AWS credentials now
  SHOAL_API_URL=http://10.0.0.5:1234 shoal config list --output json`,
  )
  list.option('--check', 'also check what the plug-ins need on this machine now (dockerd, git, AWS credentials), as a compute node does at start')
  list.action(async (flags: OutputFlags & { check?: boolean }, command: Command) => {
    const options = ctx.output(flags)
    const effective = await ctx.config(command)
    const rows: ConfigRow[] = Object.entries(CONFIG_KEYS).map(([key, spec]) => {
      const value: ConfigValue | undefined = effective.values[key]
      return { Key: key, Value: value ? (spec.secret ? '********' : value.value) : '', Source: value?.source ?? '', Origin: value?.origin, Description: spec.description }
    })
    rows.push({ Key: '(requester)', Value: effective.apiUrl.value, Source: effective.apiUrl.source, Description: 'The API URL in use' })
    rows.push({ Key: '(file)', Value: effective.path, Source: '', Description: 'The config file read' })
    for (const status of await pluginStatuses(ctx, effective, flags.check === true)) {
      rows.push({
        Key: `(${status.kind} ${status.type})`,
        Value: formatPluginState(status),
        Source: '',
        Description: `Whether a compute node started here with this configuration offers the ${PLUGIN_KIND_NAMES[status.kind]} ${status.type}`,
      })
    }
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

import { Command } from 'commander'
import type { ShoalClient } from '@shoal/client'
import type { CliContext } from '../cli-context.ts'
import type { OutputFlags } from '../cli-context.ts'
import { addOutputFlags } from '../command-flags.ts'
import { renderDocument } from '../output-format.ts'

/** `shoal agent alive|version|node|config`: ask the requester about itself. */
export function agentCommand(ctx: CliContext): Command {
  const agent = new Command('agent').description('Ask the requester node about itself')
  const entries = [
    ['alive', 'Check that the requester answers', (api) => api.alive()],
    ['version', "The requester's version", (api) => api.version()],
    ['node', "The requester's node info", (api) => api.agentNode()],
    ['config', "The requester's configuration (secrets redacted)", (api) => api.agentConfig()],
  ] as const satisfies readonly (readonly [string, string, (api: ShoalClient) => Promise<unknown>])[]
  for (const [name, description, call] of entries) {
    const command = new Command(name).description(description)
    addOutputFlags(command, ['yaml', 'json'])
    command.addHelpText('after', `\nExamples:\n  shoal agent ${name}\n  shoal agent ${name} --output json`)
    command.action(async (flags: OutputFlags, self: Command) => {
      const options = ctx.output(flags, ['yaml', 'json'])
      const api = await ctx.api(self)
      ctx.out(renderDocument(await call(api), options.output === 'json' ? 'json' : 'yaml', options))
    })
    agent.addCommand(command)
  }
  return agent
}

import { readFileSync } from 'node:fs'
import { Command } from 'commander'
import type { CliContext } from '../cli-context.ts'
import type { OutputFlags } from '../cli-context.ts'
import { isUnreachable } from '../cli-errors.ts'
import { addOutputFlags } from '../command-flags.ts'
import { renderDocument, renderTable } from '../output-format.ts'

/** The version of this CLI (node-runner's package.json). */
export const CLIENT_VERSION: string = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version

/** `shoal version`: the client version and, unless --client, the requester's. */
export function versionCommand(ctx: CliContext): Command {
  const version = new Command('version').description('Print the client version and the requester version (if it answers)').option('--client', 'only the client version; do not contact the requester')
  addOutputFlags(version)
  version.addHelpText('after', '\nExamples:\n  shoal version\n  shoal version --client\n  shoal version --output json')
  version.action(async (flags: OutputFlags & { client?: boolean }, command: Command) => {
    const options = ctx.output(flags)
    const info: { clientVersion: { GitVersion: string }; serverVersion?: Record<string, unknown>; serverError?: string } = { clientVersion: { GitVersion: `v${CLIENT_VERSION}` } }
    if (!flags.client) {
      try {
        const api = await ctx.api(command)
        info.serverVersion = { ...(await api.version()) }
      } catch (error) {
        if (!isUnreachable(error)) throw error
        info.serverError = `unreachable at ${ctx.apiUrl}`
      }
    }
    if (options.output === 'json' || options.output === 'yaml') {
      ctx.out(renderDocument(info, options.output, options))
      return
    }
    const rows = [{ client: info.clientVersion.GitVersion, server: info.serverVersion ? String(info.serverVersion.GitVersion ?? '') : (info.serverError ?? '') }]
    const columns = [{ header: 'CLIENT', value: (r: (typeof rows)[0]) => r.client }, ...(flags.client ? [] : [{ header: 'SERVER', value: (r: (typeof rows)[0]) => r.server }])]
    if (options.output === 'csv') ctx.out([options.hideHeader ? '' : columns.map((c) => c.header).join(','), ...rows.map((r) => columns.map((c) => c.value(r)).join(','))].filter((l) => l).join('\n') + '\n')
    else ctx.out(renderTable(rows, columns, options))
    if (info.serverError) ctx.err(`Note: the requester is ${info.serverError}; showing the client version only.\n`)
  })
  return version
}

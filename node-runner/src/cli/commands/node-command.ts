import { Command, InvalidArgumentError } from 'commander'
import { NotFoundError, ShoalError } from '@shoal/models'
import type { CliContext } from '../cli-context.ts'
import type { OutputFlags } from '../cli-context.ts'
import { addListFlags, addOutputFlags } from '../command-flags.ts'
import { DEFAULT_NODE_COLUMN_GROUPS, NODE_COLUMN_GROUPS, nodeColumns, type NodeColumnGroup } from '../job-views.ts'
import { renderDocument, renderList } from '../output-format.ts'
import { splitSelector } from '../storage-spec.ts'
import type { ListNodesQuery } from '@shoal/client'

function nodeNotFound(id: string) {
  return (error: unknown): never => {
    if (error instanceof NotFoundError || (error instanceof ShoalError && error.status === 404)) {
      throw new NotFoundError(`node ${id} not found`, { cause: error, hint: 'List nodes with `shoal node list`.' })
    }
    throw error
  }
}

/** Parses a filter value in any case (Bacalhau documents approved|pending|…, its API answers PENDING|…); sends it upper-case. */
export function caseInsensitiveChoice(flag: string, values: readonly string[]): (value: string) => string {
  return (value: string) => {
    const upper = value.toUpperCase()
    if (!values.includes(upper)) throw new InvalidArgumentError(`${flag} must be one of ${values.map((v) => v.toLowerCase()).join(', ')} (any case), not "${value}".`)
    return upper
  }
}

/** Collects --show column groups: repeatable and comma-separated; an empty value shows none. */
function columnGroups(value: string, previous: NodeColumnGroup[] | undefined): NodeColumnGroup[] {
  const groups = value.split(',').map((g) => g.trim().toLowerCase()).filter((g) => g !== '')
  for (const group of groups) {
    if (!(NODE_COLUMN_GROUPS as readonly string[]).includes(group)) throw new InvalidArgumentError(`--show takes column groups among ${NODE_COLUMN_GROUPS.join(', ')}, not "${group}".`)
  }
  return [...(previous ?? []), ...(groups as NodeColumnGroup[])]
}

/** `shoal node list|describe|approve|reject|delete`. */
export function nodeCommand(ctx: CliContext): Command {
  const node = new Command('node').description('List and manage the nodes of the network')

  const list = new Command('list').description('List nodes with their approval, connection and capacity (available / max)')
  addListFlags(list, ['id', 'type', 'available_cpu', 'available_memory', 'available_disk', 'available_gpu', 'approval', 'status'], 100)
  addOutputFlags(list)
  list
    .option('--labels <selector>', 'only nodes whose labels match')
    .option('--filter-approval <state>', 'only nodes with this approval: approved, pending, rejected (any case)', caseInsensitiveChoice('--filter-approval', ['APPROVED', 'PENDING', 'REJECTED']))
    .option('--filter-status <state>', 'only nodes with this connection state: connected, disconnected (any case)', caseInsensitiveChoice('--filter-status', ['CONNECTED', 'DISCONNECTED']))
    .option('--show <groups>', `column groups to show (comma-separated or repeated): ${NODE_COLUMN_GROUPS.join(', ')} (default: ${DEFAULT_NODE_COLUMN_GROUPS.join(',')})`, columnGroups)
    .addHelpText('after', '\nExamples:\n  shoal node list\n  shoal node list --filter-approval pending --wide\n  shoal node list --show labels,features,version\n  shoal node list --output json')
    .action(async (flags: OutputFlags & { limit: number; nextToken?: string; orderBy?: string; reverse?: boolean; orderReversed?: boolean; labels?: string; filterApproval?: string; filterStatus?: string; show?: NodeColumnGroup[] }, command: Command) => {
      const options = ctx.output(flags)
      const api = await ctx.api(command)
      const answer = await api.listNodes({
        limit: flags.limit,
        nextToken: flags.nextToken,
        orderBy: flags.orderBy as ListNodesQuery['orderBy'],
        reverse: flags.reverse || flags.orderReversed,
        labels: flags.labels ? splitSelector(flags.labels) : undefined,
        filterApproval: flags.filterApproval as ListNodesQuery['filterApproval'],
        filterStatus: flags.filterStatus as ListNodesQuery['filterStatus'],
        signal: ctx.signal,
      })
      ctx.out(renderList(answer.Nodes, nodeColumns(flags.show ?? DEFAULT_NODE_COLUMN_GROUPS), options))
      if (answer.NextToken && options.output === 'table') ctx.err(`More nodes: shoal node list --limit ${flags.limit} --next-token ${answer.NextToken}\n`)
    })
  node.addCommand(list)

  const describe = new Command('describe').description('Show everything about one node').argument('<id>', 'node ID')
  addOutputFlags(describe, ['yaml', 'json'])
  describe.addHelpText('after', '\nExamples:\n  shoal node describe n-1234abcd\n  shoal node describe n-1234abcd --output json')
  describe.action(async (id: string, flags: OutputFlags, command: Command) => {
    const options = ctx.output(flags, ['yaml', 'json'])
    const api = await ctx.api(command)
    const answer = await api.getNode(id, { signal: ctx.signal }).catch(nodeNotFound(id))
    ctx.out(renderDocument(answer.Node, options.output === 'json' ? 'json' : 'yaml', options))
  })
  node.addCommand(describe)

  const actions = [
    ['approve', 'Approve a pending node so it receives work'],
    ['reject', 'Reject a node so it receives no work'],
    ['delete', 'Forget a node'],
  ] as const
  for (const [action, description] of actions) {
    node.addCommand(
      new Command(action)
        .description(description)
        .argument('<id>', 'node ID')
        .option('-m, --message <text>', 'why, recorded with the action')
        .addHelpText('after', `\nExamples:\n  shoal node ${action} n-1234abcd${action === 'reject' ? ' -m "unknown operator"' : ''}`)
        .action(async (id: string, flags: { message?: string }, command: Command) => {
          const api = await ctx.api(command)
          const answer = await api.nodeAction(id, action, { message: flags.message, signal: ctx.signal }).catch(nodeNotFound(id))
          if (!answer.Success) throw new ShoalError(`could not ${action} node ${id}: ${answer.Error ?? 'no reason given'}`)
          ctx.out(`Node ${id} ${action === 'approve' ? 'approved' : action === 'reject' ? 'rejected' : 'deleted'}.\n`)
        }),
    )
  }
  return node
}

/**
 * /nodes and /nodes/<id>: every node with its runtime (node, browser, edge), capacity and use,
 * labels, what it offers, connection and approval; approve, reject and delete. Both follow the
 * requester's node events, so a contribute tab opened elsewhere appears without a reload.
 */
import type { NodeAction, NodeState } from '@shoal/models'
import { h, replace } from './dom.ts'
import { ago, formatBytes, stateTone, timeMs } from './format.ts'
import { reloadOn } from './live-events.ts'
import { errorMessage, type Session } from './session.ts'
import type { View } from './view.ts'

/** The runtime a node runs on: its `runtime` label (node, browser, edge), or the node type. */
export function runtimeOf(node: NodeState): string {
  return node.Info.Labels?.runtime ?? (node.Info.NodeType === 'Requester' ? 'requester' : 'unknown')
}

function badge(text: string): HTMLElement {
  return h('span', { class: `badge tone-${stateTone(text)}` }, text)
}

/** CPU in use of the node's total, e.g. `1 of 4 CPU`. */
function cpuUse(node: NodeState): string {
  const info = node.Info.ComputeNodeInfo
  if (!info) return '—'
  const used = Math.max(0, (info.MaxCapacity.CPU ?? 0) - (info.AvailableCapacity.CPU ?? 0))
  return `${+used.toFixed(2)} of ${+(info.MaxCapacity.CPU ?? 0).toFixed(2)} CPU`
}

/** Approve / reject / delete buttons for a node, as its membership allows. */
function actions(session: Session, node: NodeState, done: (message: string) => void): HTMLElement {
  const act = async (action: NodeAction) => {
    if (!session.abilities.admin) return done(`Your token cannot ${action} nodes: that needs the admin scope.`)
    if (action === 'delete' && !confirm(`Delete node ${node.Info.NodeID}? It must join again.`)) return
    try {
      await session.client.nodeAction(node.Info.NodeID, action, { message: `${action} from the dashboard` })
      done(`${node.Info.NodeID}: ${action} done.`)
    } catch (err) {
      session.noteError(err)
      done(`Cannot ${action} ${node.Info.NodeID}: ${errorMessage(err)}`)
    }
  }
  const title = session.abilities.admin ? undefined : 'Needs a token with the admin scope'
  const button = (action: NodeAction, label: string, tone = '') =>
    h('button', { type: 'button', class: `button small ${tone}`, 'data-action': action, title, 'aria-label': `${label} ${node.Info.NodeID}`, onclick: () => void act(action) }, label)
  if (node.Info.NodeType === 'Requester') return h('span', { class: 'muted' }, '—')
  return h(
    'div',
    { class: 'row' },
    node.Membership !== 'APPROVED' ? button('approve', 'Approve', 'primary') : null,
    node.Membership !== 'REJECTED' ? button('reject', 'Reject') : null,
    button('delete', 'Delete', 'danger'),
  )
}

/** The node list view. */
export const nodesView: View = (context) => {
  context.setTitle('Nodes')
  const { session, live, signal } = context
  const rows = h('tbody', { 'data-bind': 'nodes' })
  const status = h('p', { class: 'muted', role: 'status' })
  const load = async () => {
    try {
      const nodes: NodeState[] = []
      for await (const node of session.client.iterateNodes({ signal })) nodes.push(node)
      nodes.sort((a, b) => runtimeOf(a).localeCompare(runtimeOf(b)) || a.Info.NodeID.localeCompare(b.Info.NodeID))
      replace(rows, ...nodes.map((node) => nodeRow(node)))
      const pending = nodes.filter((n) => n.Membership === 'PENDING').length
      status.textContent = `${nodes.length} node(s)${pending > 0 ? `, ${pending} waiting for approval` : ''}.`
    } catch (err) {
      session.noteError(err)
      status.textContent = `Cannot list nodes: ${errorMessage(err)}`
    }
  }
  const nodeRow = (node: NodeState) =>
    h(
      'tr',
      { 'data-node-id': node.Info.NodeID, 'data-runtime': runtimeOf(node) },
      h('td', {}, h('a', { href: `/nodes/${encodeURIComponent(node.Info.NodeID)}` }, h('code', {}, node.Info.NodeID))),
      h('td', {}, runtimeOf(node)),
      h('td', {}, node.Info.NodeType),
      h('td', {}, badge(node.ConnectionState.Status)),
      h('td', {}, badge(node.Membership)),
      h('td', {}, cpuUse(node)),
      h('td', {}, node.Info.ComputeNodeInfo ? String(node.Info.ComputeNodeInfo.RunningExecutions) : '—'),
      h('td', {}, actions(session, node, (message) => ((status.textContent = message), void load()))),
    )
  reloadOn(live, ['node'], () => true, load, signal, 100)
  void load()
  return h(
    'section',
    { class: 'stack' },
    h('h1', {}, 'Nodes'),
    h(
      'div',
      { class: 'card table-card' },
      h('table', {}, h('thead', {}, h('tr', {}, ['Node', 'Runtime', 'Type', 'Connection', 'Approval', 'CPU in use', 'Running', 'Actions'].map((t) => h('th', {}, t)))), rows),
      status,
    ),
  )
}

/** The node detail view. */
export const nodeView: View = (context, params) => {
  const id = decodeURIComponent(params[0])
  context.setTitle(`Node ${id}`)
  const { session, live, signal } = context
  const body = h('div', { class: 'stack' })
  const status = h('p', { class: 'notice', role: 'status' })
  const load = async () => {
    try {
      const { Node: node } = await session.client.getNode(id, { signal })
      replace(body, ...nodeDetail(session, node, (message) => ((status.textContent = message), void load())))
    } catch (err) {
      session.noteError(err)
      status.textContent = `Cannot read node ${id}: ${errorMessage(err)}`
    }
  }
  reloadOn(live, ['node'], (event) => event.type === 'node' && event.NodeID === id, load, signal, 100)
  void load()
  return h('article', { class: 'stack' }, h('h1', {}, 'Node ', h('code', {}, id)), status, body)
}

function nodeDetail(session: Session, node: NodeState, done: (message: string) => void): HTMLElement[] {
  const info = node.Info.ComputeNodeInfo
  const fact = (term: string, value: string | Node) => h('div', { class: 'fact' }, h('dt', {}, term), h('dd', {}, value))
  const resources = (r: { CPU?: number; Memory?: number; Disk?: number; GPU?: number } | undefined) =>
    r ? `${+(r.CPU ?? 0).toFixed(2)} CPU · ${formatBytes(r.Memory)} memory · ${formatBytes(r.Disk)} disk · ${r.GPU ?? 0} GPU` : '—'
  const list = (items: string[] | undefined) => (items && items.length > 0 ? items.join(', ') : '—')
  const labels = Object.entries(node.Info.Labels ?? {}).map(([k, v]) => `${k}=${v}`)
  const off = (info?.PluginsOff ?? []).map((entry) => `${entry.Type} ${entry.Kind}: ${entry.Reason}`)
  const connected = node.ConnectionState
  return [
    h(
      'section',
      { class: 'card' },
      h('div', { class: 'row spread' }, h('h2', {}, 'State'), actions(session, node, done)),
      h(
        'dl',
        { class: 'facts' },
        fact('Runtime', runtimeOf(node)),
        fact('Type', node.Info.NodeType),
        fact('Connection', badge(connected.Status)),
        fact('Approval', badge(node.Membership)),
        fact('Transport', node.Info.Labels?.transport ?? 'not reported by the node'),
        fact('Connected since', connected.ConnectedSince ? ago(timeMs(connected.ConnectedSince)) : '—'),
        fact('Last heartbeat', connected.LastHeartbeat ? ago(timeMs(connected.LastHeartbeat)) : '—'),
        connected.LastError ? fact('Last error', connected.LastError) : null,
        fact('Version', node.Info.BacalhauVersion?.GitVersion ?? '—'),
        // Verified results (Meta shoal.verify/replicas): agreeing with the quorum raises it, disagreeing lowers it.
        fact('Reputation', node.Reputation ? `${node.Reputation.Score} (${node.Reputation.Agreed} agreed, ${node.Reputation.Disagreed} disagreed)` : 'no verified results yet'),
      ),
    ),
    h(
      'section',
      { class: 'card' },
      h('h2', {}, 'Capacity'),
      h(
        'dl',
        { class: 'facts' },
        fact('Total', resources(info?.MaxCapacity)),
        fact('Free', resources(info?.AvailableCapacity)),
        fact('Queued', resources(info?.QueueUsedCapacity)),
        fact('Largest job', resources(info?.MaxJobRequirements)),
        fact('Executions', info ? `${info.RunningExecutions} running, ${info.EnqueuedExecutions} queued` : '—'),
      ),
    ),
    h(
      'section',
      { class: 'card' },
      h('h2', {}, 'Offers'),
      h(
        'dl',
        { class: 'facts' },
        fact('Engines', list(info?.ExecutionEngines)),
        fact('Sources', list(info?.StorageSources)),
        fact('Publishers', list(info?.Publishers)),
        // What the node has but turned off, with its own reason (dockerd unreachable, no S3 credentials …).
        fact('Off', off.length > 0 ? off.join('; ') : '—'),
        fact('Labels', labels.length > 0 ? labels.join(', ') : '—'),
      ),
    ),
    // The node as the API returns it, as upstream's node inspect tab shows it.
    h('section', { class: 'card' }, h('details', { 'data-bind': 'inspect' }, h('summary', {}, 'Inspect (JSON)'), h('pre', { class: 'code' }, JSON.stringify(node, null, 2)))),
  ]
}

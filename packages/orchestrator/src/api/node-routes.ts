/** The /api/v1/orchestrator/nodes endpoints. */
import { BadRequestError, NODE_CONNECTION_STATES, NODE_MEMBERSHIPS, nodeStateToWire, NotFoundError, ValidationError } from '@shoal/models'
import type { NodeState, Resources } from '@shoal/models'
import { pathId, requestUrl } from './api-route.ts'
import type { ApiComponents, ApiRoute } from './api-route.ts'
import type { GetNodeResponse, ListNodesResponse, PutNodeResponse } from './api-types.ts'
import { expectObject, optionalString, readJsonBody } from './json-body.ts'
import { parseLabelSelectors } from '../store/label-selector.ts'
import { firstUnmetConstraint } from '../scheduler/label-constraints.ts'
import { MultipleNodesFoundError, NODES_COMPONENT } from '../nodes/node-errors.ts'
import { decodeOffsetToken, encodeOffsetToken } from './offset-token.ts'
import { queryAlias, queryBoolean, queryEnum, queryLimit, queryString } from './query-params.ts'
import type { NodeAction } from '../requester-service.ts'

const NODES = '/api/v1/orchestrator/nodes'

/** Orderings of the node list (Bacalhau's). Capacity orderings put the largest first. */
export const NODE_ORDER_BY = ['id', 'type', 'available_cpu', 'available_memory', 'available_disk', 'available_gpu', 'approval', 'status'] as const
/** Node actions of PUT /nodes/:id. */
export const NODE_ACTIONS: readonly NodeAction[] = ['approve', 'reject', 'delete']

type NodeOrder = (typeof NODE_ORDER_BY)[number]

function available(node: NodeState, key: keyof Resources): number {
  return node.Info.ComputeNodeInfo?.AvailableCapacity[key] ?? 0
}

function comparator(orderBy: NodeOrder): (a: NodeState, b: NodeState) => number {
  const text = (f: (n: NodeState) => string) => (a: NodeState, b: NodeState) => f(a).localeCompare(f(b))
  const largestFirst = (key: keyof Resources) => (a: NodeState, b: NodeState) => available(b, key) - available(a, key)
  switch (orderBy) {
    case 'id':
      return text((n) => n.Info.NodeID)
    case 'type':
      return text((n) => n.Info.NodeType)
    case 'available_cpu':
      return largestFirst('CPU')
    case 'available_memory':
      return largestFirst('Memory')
    case 'available_disk':
      return largestFirst('Disk')
    case 'available_gpu':
      return largestFirst('GPU')
    case 'approval':
    case 'status':
      return text((n) => n.Membership)
  }
}

/** A filter value that must be one of `allowed` (case-insensitive, as Bacalhau upper-cases it). */
function upperEnum(value: string | undefined, name: string, allowed: readonly string[]): string | undefined {
  if (value === undefined) return undefined
  const upper = value.toUpperCase()
  if (!allowed.includes(upper)) throw new BadRequestError(`${name}=${JSON.stringify(value)} is not one of ${allowed.join(', ')}`)
  return upper
}

/** The node routes. */
export function nodeRoutes(components: ApiComponents): ApiRoute[] {
  const { service, maxBodyBytes } = components

  /** A node by exact ID or unique ID prefix (as Bacalhau's `node describe` accepts). */
  const findNode = async (id: string): Promise<NodeState> => {
    const nodes = await service.listNodes()
    const exact = nodes.find((n) => n.Info.NodeID === id)
    if (exact) return exact
    const matches = nodes.filter((n) => n.Info.NodeID.startsWith(id))
    if (matches.length === 1) return matches[0]
    if (matches.length > 1) {
      const shown = matches.slice(0, 3).map((n) => n.Info.NodeID)
      throw new MultipleNodesFoundError(
        `multiple nodes found for prefix ${JSON.stringify(id)}: ${shown.join(', ')}${matches.length > shown.length ? ', …' : ''}`,
        { component: NODES_COMPONENT, hint: 'use a longer node ID prefix or the full node ID' },
      )
    }
    throw new NotFoundError(`node not found: ${id}`, { component: NODES_COMPONENT, hint: `list nodes with GET ${NODES}` })
  }

  return [
    {
      method: 'GET',
      path: NODES,
      operationId: 'orchestrator/listNodes',
      summary: 'Lists the nodes the requester knows, with live capacity.',
      tag: 'Orchestrator',
      query: [
        { name: 'limit', type: 'integer', description: 'Page size (1–1000)' },
        { name: 'next_token', type: 'string', description: 'NextToken of the previous page' },
        { name: 'order_by', type: 'string', description: 'Sort field', enum: NODE_ORDER_BY },
        { name: 'reverse', type: 'boolean', description: 'Reverse the order' },
        { name: 'filter-approval', type: 'string', description: 'Only this membership (also filter_approval)', enum: NODE_MEMBERSHIPS },
        { name: 'filter-status', type: 'string', description: 'Only this connection state (also filter_status)', enum: NODE_CONNECTION_STATES },
        { name: 'labels', type: 'string', description: 'Label selector, e.g. region=eu,gpu', repeated: true },
      ],
      response: 'ListNodesResponse',
      handler: async (c) => {
        const url = requestUrl(c)
        let orderBy: NodeOrder = queryEnum(url, 'order_by', NODE_ORDER_BY) ?? 'id'
        let reverse = queryBoolean(url, 'reverse')
        let limit = queryLimit(url)
        let offset = 0
        const token = queryString(url, 'next_token')
        if (token !== undefined) {
          // The token's ordering and page size win, as with Bacalhau's paging tokens.
          const cursor = decodeOffsetToken(token)
          if (!(NODE_ORDER_BY as readonly string[]).includes(cursor.orderBy)) {
            throw new BadRequestError(`next_token ${JSON.stringify(token)} is not a paging token this server issued`)
          }
          ;({ offset, reverse, limit } = cursor)
          orderBy = cursor.orderBy as NodeOrder
        }
        const approval = upperEnum(queryAlias(url, ['filter-approval', 'filter_approval']), 'filter-approval', NODE_MEMBERSHIPS)
        const status = upperEnum(queryAlias(url, ['filter-status', 'filter_status']), 'filter-status', NODE_CONNECTION_STATES)
        const selector = parseLabelSelectors(url.searchParams.getAll('labels'))
        const compare = comparator(orderBy)
        const nodes = (await service.listNodes())
          .filter(
            (n) =>
              (!approval || n.Membership === approval) &&
              (!status || n.ConnectionState.Status === status) &&
              firstUnmetConstraint(n.Info.Labels ?? {}, selector) === undefined,
          )
          .sort((a, b) => (reverse ? -compare(a, b) : compare(a, b)) || a.Info.NodeID.localeCompare(b.Info.NodeID))
        const end = limit === undefined ? nodes.length : offset + limit
        const page = nodes.slice(offset, end)
        const NextToken = limit !== undefined && end < nodes.length ? encodeOffsetToken({ offset: end, orderBy, reverse, limit }) : ''
        return c.json({ Nodes: page.map(nodeStateToWire), NextToken } satisfies ListNodesResponse)
      },
    },
    {
      method: 'GET',
      path: `${NODES}/:id`,
      operationId: 'orchestrator/getNode',
      summary: 'Returns a node by ID or unique ID prefix.',
      tag: 'Orchestrator',
      response: 'GetNodeResponse',
      handler: async (c) => c.json({ Node: nodeStateToWire(await findNode(pathId(c))) } satisfies GetNodeResponse),
    },
    {
      method: 'PUT',
      path: `${NODES}/:id`,
      operationId: 'orchestrator/updateNode',
      summary: 'Approves, rejects or deletes a node.',
      tag: 'Orchestrator',
      // Admitting a node decides who runs every job: an operator's decision, not a submitter's.
      scope: 'admin',
      requestBody: 'PutNodeRequest',
      response: 'PutNodeResponse',
      handler: async (c) => {
        const body = expectObject(await readJsonBody(c.req.raw, maxBodyBytes, { example: '{"Action": "approve", "Message": "why"}' }))
        const action = optionalString(body, 'Action')
        if (action === undefined || !(NODE_ACTIONS as readonly string[]).includes(action)) {
          throw new ValidationError([{ path: 'Action', message: `must be one of ${NODE_ACTIONS.join(', ')}` }])
        }
        const node = await findNode(pathId(c))
        const result = await service.nodeAction(node.Info.NodeID, action as NodeAction, optionalString(body, 'Message'))
        const response: PutNodeResponse = { Success: result.Success }
        if (result.Error) response.Error = result.Error
        return c.json(response)
      },
    },
  ]
}

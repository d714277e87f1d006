/** The /api/v1/agent endpoints: liveness, version, node info, configuration. */
import { nodeInfoToWire, type ComputeNodeInfo } from '@shoal/models'
import type { ApiComponents, ApiRoute } from './api-route.ts'
import type { BuildVersionInfo, GetAgentConfigResponse, IsAliveResponse } from './api-types.ts'
import { redactConfig } from './config-redaction.ts'

/** The version reported when the runtime passes none. BuildDate must parse as RFC 3339. */
export const DEFAULT_BUILD_VERSION: BuildVersionInfo = {
  Major: '0',
  Minor: '1',
  GitVersion: 'v0.1.0',
  GitCommit: '',
  BuildDate: '1970-01-01T00:00:00Z',
  GOOS: '',
  GOARCH: '',
}

/** The agent routes. */
export function agentRoutes(
  components: ApiComponents & { version: BuildVersionInfo; config: Record<string, unknown>; localCompute?: () => ComputeNodeInfo | undefined },
): ApiRoute[] {
  const { service, version, config, localCompute } = components
  return [
    {
      method: 'GET',
      path: '/api/v1/agent/alive',
      operationId: 'agent/alive',
      summary: 'Whether the node is alive; open without credentials.',
      tag: 'Agent',
      scope: 'public',
      response: 'IsAliveResponse',
      handler: (c) => c.json({ Status: 'OK' } satisfies IsAliveResponse),
    },
    {
      method: 'GET',
      path: '/api/v1/agent/version',
      operationId: 'agent/version',
      summary: "The node's build version (fields at the top level, as Bacalhau).",
      tag: 'Agent',
      response: 'BuildVersionInfo',
      handler: (c) => c.json(version),
    },
    {
      method: 'GET',
      path: '/api/v1/agent/node',
      operationId: 'agent/node',
      summary:
        "The requester's NodeInfo (fields at the top level, as Bacalhau), with BacalhauVersion and ComputeNodeInfo always present; ComputeNodeInfo is the in-process compute node's (engines, sources, publishers, and PluginsOff with why) when one runs.",
      tag: 'Agent',
      response: 'NodeInfo',
      handler: (c) => {
        const info = service.nodeInfo()
        const compute = localCompute?.()
        return c.json(nodeInfoToWire({ ...info, ...(compute ? { ComputeNodeInfo: compute } : {}), BacalhauVersion: info.BacalhauVersion ?? version }))
      },
    },
    {
      method: 'GET',
      path: '/api/v1/agent/config',
      operationId: 'agent/config',
      summary: "The node's configuration, secrets redacted.",
      tag: 'Agent',
      response: 'GetAgentConfigResponse',
      handler: (c) => c.json({ config: redactConfig(config) } satisfies GetAgentConfigResponse),
    },
  ]
}

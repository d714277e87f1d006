import nodeRunnerPackage from '../../node-runner/package.json' with { type: 'json' }

/** Shoal's version (node-runner's package.json), as the edge requester reports it at GET /api/v1/agent/version. */
export const EDGE_VERSION: string = nodeRunnerPackage.version

/**
 * The edge requester as an operator runs it (`npm run dev -w edge`: wrangler dev, workerd, with
 * the LOADER binding of edge/wrangler.jsonc) runs a WASM job itself on its edge compute node:
 * `shoal wasm run` against it prints the program's output with no other compute node around.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { killAllEdgeRequesters, removeTempDirs, runShoal, shoalJson, startEdgeRequester, wasmFixture } from '../support/index.ts'

afterAll(async () => {
  await killAllEdgeRequesters()
  await removeTempDirs()
})

describe('edge compute under wrangler dev', () => {
  it('shoal wasm run prints the output of a job run on the edge compute node, which node list shows as runtime=edge', async () => {
    const edge = await startEdgeRequester({ vars: { SHOAL_EDGE_COMPUTE: 'true' } })
    const run = await runShoal(['wasm', 'run', wasmFixture('hello'), '--publisher', 'noop'], { env: edge.env, timeoutMs: 90_000 })
    expect(run.stdout, run.stderr).toContain('hello from wasm')
    expect(run.code, run.stderr).toBe(0)
    const nodes = await shoalJson<Array<{ Info: { NodeID: string; Labels?: Record<string, string> }; ConnectionState: { Status: string } }>>(['node', 'list'], { env: edge.env })
    expect(nodes.map((n) => [n.Info.NodeID, n.Info.Labels?.runtime, n.ConnectionState.Status])).toEqual([['n-edge-compute-default', 'edge', 'CONNECTED']])
  }, 240_000)
})

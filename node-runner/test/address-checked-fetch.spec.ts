// URL inputs on Node: a host name is judged again by the address it resolves to, on a real
// socket to a real HTTP server on loopback. Name resolution is injected where the test needs a
// public-looking name to point at 127.0.0.1 (no DNS server here); `localhost` uses the real one.
import { lookup as dnsLookup } from 'node:dns'
import { createServer, type Server } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MemoryVolumeSpace, UrlDownloadStorage, UrlHostPolicy } from '@shoal/compute'
import { UrlRefusedError, type InputSource } from '@shoal/models'
import { createAddressCheckedFetch } from '../src/net/address-checked-fetch.ts'

let server: Server
let port: number
const requests: string[] = []

beforeAll(async () => {
  server = createServer((req, res) => {
    requests.push(req.url ?? '')
    res.writeHead(200, { 'content-type': 'text/plain' }).end('secret node config\n')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  port = typeof address === 'object' && address ? address.port : 0
})

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve))
})

/** Resolves every name to 127.0.0.1, as a hostile DNS record would. */
const toLoopback = ((_host: string, options: unknown, callback: (e: null, a: unknown, f?: number) => void) => {
  if ((options as { all?: boolean }).all) callback(null, [{ address: '127.0.0.1', family: 4 }])
  else callback(null, '127.0.0.1', 4)
}) as unknown as typeof dnsLookup

const download = (url: string): InputSource => ({ Source: { Type: 'urlDownload', Params: { URL: url } }, Target: '/inputs' })
const context = { executionId: 'e-1', jobId: 'j-1', inputIndex: 0, space: new MemoryVolumeSpace() }

describe('the address-checked fetch of node-runner compute nodes', () => {
  it('refuses a public-looking name that resolves to loopback, before connecting', async () => {
    const policy = new UrlHostPolicy()
    const storage = new UrlDownloadStorage({ policy, fetch: createAddressCheckedFetch({ policy, lookup: toLoopback }) })
    const before = requests.length
    const error = await storage.prepare(download(`http://files.example:${port}/config`), context).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(UrlRefusedError)
    expect((error as Error).message).toBe(`InputSources[0].Source.Params.URL: files.example (127.0.0.1) is a loopback address; compute nodes do not fetch URL inputs from it`)
    expect(requests.length).toBe(before)
  })

  it('refuses localhost through the real resolver too', async () => {
    const fetch = createAddressCheckedFetch({ policy: new UrlHostPolicy() })
    const error = await fetch(`http://localhost:${port}/config`).catch((e: unknown) => e)
    expect((error as Error).cause).toBeInstanceOf(UrlRefusedError)
  })

  it('fetches when the name, or the address it resolves to, is allow-listed', async () => {
    for (const allowHosts of [['files.example'], ['127.0.0.1'], ['127.0.0.0/8']]) {
      const policy = new UrlHostPolicy({ allowHosts })
      const storage = new UrlDownloadStorage({ policy, fetch: createAddressCheckedFetch({ policy, lookup: toLoopback }) })
      const volume = await storage.prepare(download(`http://files.example:${port}/config`), context)
    const tree = volume.kind === 'memory' ? volume.node : undefined
      const file = tree?.kind === 'dir' ? tree.entries.get('config') : undefined
      expect(file?.kind === 'file' && new TextDecoder().decode(file.data)).toBe('secret node config\n')
    }
  })
})

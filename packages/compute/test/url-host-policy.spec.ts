import { describe, expect, it } from 'vitest'
import { UrlRefusedError, type InputSource } from '@shoal/models'
import { MemoryVolumeSpace, UrlDownloadStorage, UrlHostPolicy, refusedAddressKind } from '../src/index.ts'

const context = { executionId: 'e-1', jobId: 'j-1', inputIndex: 0, space: new MemoryVolumeSpace() }
const download = (url: string): InputSource => ({ Source: { Type: 'urlDownload', Params: { URL: url } }, Target: '/inputs' })

/** A fetch that records what it was asked for and answers from a table (no network). */
function tableFetch(answers: Record<string, () => Response>) {
  const requested: string[] = []
  const fetch = (async (input: string | URL | Request, init?: RequestInit) => {
    requested.push(String(input))
    expect(init?.redirect).toBe('manual')
    const answer = answers[String(input)]
    return answer ? answer() : new Response('not here', { status: 404 })
  }) as typeof globalThis.fetch
  return { fetch, requested }
}

describe('UrlHostPolicy: refused addresses', () => {
  it.each([
    ['http://127.0.0.1/', 'loopback'],
    ['http://127.1.2.3:8080/', 'loopback'],
    ['http://2130706433/', 'loopback'], // decimal 127.0.0.1, normalised by URL parsing
    ['http://0x7f.0.0.1/', 'loopback'], // hex
    ['http://0177.0.0.1/', 'loopback'], // octal
    ['http://127.1/', 'loopback'], // short form
    ['http://[::1]/', 'loopback'],
    ['http://[0:0:0:0:0:0:0:1]/', 'loopback'],
    ['http://[::ffff:127.0.0.1]/', 'loopback'], // v4-mapped v6
    ['http://[::ffff:7f00:1]/', 'loopback'],
    ['http://[64:ff9b::a00:1]/', 'private'], // NAT64 of 10.0.0.1
    ['http://localhost:1234/api/v1/agent/config', 'loopback'],
    ['http://LOCALHOST./', 'loopback'],
    ['http://api.localhost/', 'loopback'],
    ['http://10.1.2.3/', 'private'],
    ['http://172.20.0.1/', 'private'],
    ['http://192.168.1.1/', 'private'],
    ['http://169.254.169.254/latest/meta-data/', 'link-local'], // cloud metadata
    ['http://100.64.0.1/', 'shared (carrier-grade NAT)'],
    ['http://0.0.0.0/', 'this-network'],
    ['http://[fe80::1]/', 'link-local'],
    ['http://[fd12:3456::1]/', 'private (unique local)'],
    ['http://[::]/', 'unspecified'],
    ['http://224.0.0.1/', 'multicast'],
  ])('refuses %s (%s)', (url, kind) => {
    const error = (() => {
      try {
        new UrlHostPolicy().checkUrl(new URL(url), 'InputSources[0].Source.Params.URL')
      } catch (e) {
        return e
      }
    })()
    expect(error).toBeInstanceOf(UrlRefusedError)
    expect((error as UrlRefusedError).message).toContain(`is a ${kind} address`)
    expect((error as UrlRefusedError).message).toMatch(/^InputSources\[0\]\.Source\.Params\.URL: /)
    expect((error as UrlRefusedError).hint).toContain('--allow-url-hosts')
  })

  it.each(['http://example.com/', 'http://93.184.216.34/', 'http://[2606:2800:220:1::1]/', 'http://172.32.0.1/', 'http://[::ffff:8.8.8.8]/', 'http://localhost.example.com/'])('lets %s through', (url) => {
    expect(() => new UrlHostPolicy().checkUrl(new URL(url), 'x')).not.toThrow()
  })

  it('judges resolved addresses the same way', () => {
    expect(refusedAddressKind('127.0.0.1')).toBe('loopback')
    expect(refusedAddressKind('::ffff:192.168.0.1')).toBe('private')
    expect(refusedAddressKind('8.8.8.8')).toBeUndefined()
    expect(() => new UrlHostPolicy().checkAddress('evil.example', '10.0.0.5', 'f')).toThrow('f: evil.example (10.0.0.5) is a private address')
  })

  it('allow-lists host names, addresses and CIDR ranges', () => {
    const policy = new UrlHostPolicy({ allowHosts: ['127.0.0.1', 'files.internal', '10.0.0.0/8', '::1'] })
    for (const url of ['http://127.0.0.1:9/x', 'http://2130706433/', 'http://files.internal/', 'http://10.9.8.7/', 'http://[::1]/']) {
      expect(() => policy.checkUrl(new URL(url), 'x')).not.toThrow()
    }
    expect(() => policy.checkUrl(new URL('http://127.0.0.2/'), 'x')).toThrow(UrlRefusedError)
    expect(() => policy.checkUrl(new URL('http://localhost/'), 'x')).toThrow(UrlRefusedError)
    expect(() => policy.checkAddress('files.internal', '10.0.0.1', 'x')).not.toThrow()
    expect(() => policy.checkAddress('other.example', '192.168.0.1', 'x')).toThrow(UrlRefusedError)
  })
})

describe('UrlDownloadStorage: URL inputs cannot reach the node itself', () => {
  it('refuses a loopback URL without fetching it', async () => {
    const { fetch, requested } = tableFetch({})
    const storage = new UrlDownloadStorage({ fetch })
    const error = await storage.prepare(download('http://127.0.0.1:1234/api/v1/agent/config'), context).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(UrlRefusedError)
    expect((error as Error).message).toBe('InputSources[0].Source.Params.URL: 127.0.0.1:1234 is a loopback address; compute nodes do not fetch URL inputs from it')
    expect(requested).toEqual([])
  })

  it('checks every redirect hop: an allowed host redirecting to loopback is refused', async () => {
    const { fetch, requested } = tableFetch({
      'http://files.example/a': () => new Response(null, { status: 302, headers: { location: '/b' } }),
      'http://files.example/b': () => new Response(null, { status: 307, headers: { location: 'http://[::ffff:127.0.0.1]:1234/api/v1/agent/config' } }),
    })
    const error = await new UrlDownloadStorage({ fetch }).prepare(download('http://files.example/a'), context).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(UrlRefusedError)
    expect((error as Error).message).toContain('[::ffff:7f00:1]:1234 is a loopback address')
    expect(requested).toEqual(['http://files.example/a', 'http://files.example/b'])
  })

  it('follows public redirects and names the file after the final URL', async () => {
    const { fetch } = tableFetch({
      'http://files.example/latest': () => new Response(null, { status: 301, headers: { location: 'https://cdn.example/v2/data.csv' } }),
      'https://cdn.example/v2/data.csv': () => new Response('a,b\n'),
    })
    const volume = await new UrlDownloadStorage({ fetch }).prepare(download('http://files.example/latest'), context)
    const tree = volume.kind === 'memory' ? volume.node : undefined
    expect(tree?.kind === 'dir' && [...tree.entries.keys()]).toEqual(['data.csv'])
  })

  it('gives up after too many redirects', async () => {
    const { fetch, requested } = tableFetch({ 'http://files.example/loop': () => new Response(null, { status: 302, headers: { location: '/loop' } }) })
    await expect(new UrlDownloadStorage({ fetch, maxRedirects: 3 }).prepare(download('http://files.example/loop'), context)).rejects.toThrow('GET http://files.example/loop redirected more than 3 times')
    expect(requested).toHaveLength(4)
  })

  it('fetches an allow-listed loopback host', async () => {
    const { fetch } = tableFetch({ 'http://127.0.0.1:8080/x.csv': () => new Response('ok') })
    const storage = new UrlDownloadStorage({ fetch, policy: new UrlHostPolicy({ allowHosts: ['127.0.0.1'] }) })
    const volume = await storage.prepare(download('http://127.0.0.1:8080/x.csv'), context)
    const tree = volume.kind === 'memory' ? volume.node : undefined
    expect(tree?.kind === 'dir' && [...tree.entries.keys()]).toEqual(['x.csv'])
  })
})

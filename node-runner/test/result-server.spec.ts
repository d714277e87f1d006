// The compute node's result server: archives only through links it signed, and only until they expire.
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startResultServer, type ResultServer } from '../src/publisher/result-server.ts'
import { loadOrCreateResultSecret, ResultUrlSigner } from '../src/publisher/result-url-signer.ts'

let dir: string
let server: ResultServer
let now = Date.UTC(2026, 11, 7)
let signer: ResultUrlSigner

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'shoal-results-'))
  await writeFile(join(dir, 'e-1.tar.gz'), 'archive one')
  await writeFile(join(dir, 'e-2.tar.gz'), 'archive two')
  signer = new ResultUrlSigner({ secret: await loadOrCreateResultSecret(dir), ttlMs: 60_000, now: () => now })
  server = await startResultServer({ directory: dir, host: '127.0.0.1', port: 0, signer })
})

afterAll(async () => {
  await server.stop()
  await rm(dir, { recursive: true, force: true })
})

const get = (path: string) => fetch(`${server.url}${path}`)

describe('result server', () => {
  it('serves an archive through the link it signed', async () => {
    const response = await get(`/results/e-1.tar.gz?${signer.sign('e-1.tar.gz')}`)
    expect(response.status).toBe(200)
    expect(await response.text()).toBe('archive one')
  })

  it('refuses a guessed link, another archive\'s signature, and a stretched expiry (403)', async () => {
    const signed = new URLSearchParams(signer.sign('e-1.tar.gz'))
    expect((await get('/results/e-2.tar.gz')).status).toBe(403)
    expect((await get(`/results/e-2.tar.gz?${signed}`)).status).toBe(403)
    const stretched = new URLSearchParams(signed)
    stretched.set('expires', String(Number(signed.get('expires')) + 3600))
    expect((await get(`/results/e-1.tar.gz?${stretched}`)).status).toBe(403)
    expect(await (await get('/results/e-1.tar.gz')).text()).toContain('not signed by this node')
  })

  it('answers 410 once the link expired', async () => {
    const query = signer.sign('e-1.tar.gz')
    now += 61_000
    const response = await get(`/results/e-1.tar.gz?${query}`)
    expect(response.status).toBe(410)
    expect(await response.text()).toContain('expired')
  })

  it('keeps its secret across restarts (links stay valid), private to the owner', async () => {
    const again = await loadOrCreateResultSecret(dir)
    const fresh = new ResultUrlSigner({ secret: again, ttlMs: 60_000, now: () => now })
    expect(fresh.check('e-1.tar.gz', new URLSearchParams(signer.sign('e-1.tar.gz')))).toBe('valid')
    expect((await stat(join(dir, 'result-url-secret'))).mode & 0o077).toBe(0)
  })
})

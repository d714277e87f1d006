// `shoal serve --tls-cert --tls-key`: the REST API over HTTPS, with a self-signed certificate
// made for 127.0.0.1 by the openssl CLI in the test.
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freePort, killAllShoals, removeTempDirs, runShoal, spawnShoal, tempDir, type ShoalProcess } from '../support/index.ts'

let serve: ShoalProcess
let api: string
let cert: string

beforeAll(async () => {
  const dir = await tempDir('shoal-tls-')
  cert = join(dir, 'cert.pem')
  const key = join(dir, 'key.pem')
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' })
  const port = await freePort({ span: 2, udp: true })
  serve = spawnShoal(['serve', '--orchestrator', '--host', '127.0.0.1', '--port', String(port), '--data-dir', join(dir, 'data'), '--tls-cert', cert, '--tls-key', key])
  api = (await serve.waitForLine(/^\s+API:\s+(\S+)$/m, 20_000))[1]
})

afterAll(async () => {
  await serve?.stop()
  await killAllShoals()
  await removeTempDirs()
})

describe('HTTPS on the requester', () => {
  it('serves the API over TLS to a client that trusts the certificate, and not to one that does not', async () => {
    expect(api).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/)
    const trusted = await runShoal(['job', 'list', '--output', 'json'], { env: { SHOAL_API_URL: api, NODE_EXTRA_CA_CERTS: cert } })
    expect(trusted.stderr).toBe('')
    expect(trusted.code).toBe(0)
    expect(JSON.parse(trusted.stdout)).toEqual([])
    const untrusted = await runShoal(['job', 'list'], { env: { SHOAL_API_URL: api } })
    expect(untrusted.code).not.toBe(0)
    // Plain HTTP to the TLS port gets no API answer.
    const plain = await runShoal(['job', 'list'], { env: { SHOAL_API_URL: api.replace('https:', 'http:') } })
    expect(plain.code).not.toBe(0)
  })
})

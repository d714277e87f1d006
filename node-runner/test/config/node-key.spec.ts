import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { verifyHandshakeProof, signHandshakeProof } from '@shoal/protocol'
import { loadOrCreateNodeKey, NODE_KEY_FILE, NodeKeyError } from '../../src/config/node-key.ts'

describe('loadOrCreateNodeKey', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'shoal-node-key-'))
  })
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('creates a key once, stores it private, and proves the same identity after a restart', async () => {
    const first = await loadOrCreateNodeKey(dir)
    expect((await stat(join(dir, NODE_KEY_FILE))).mode & 0o777).toBe(0o600)
    const second = await loadOrCreateNodeKey(dir)
    expect(second.publicKey).toBe(first.publicKey)
    const fields = { requesterId: 'n-r', nonce: 'nonce-0123456789abcdef', nodeId: 'n-1' }
    expect(await verifyHandshakeProof({ ...fields, publicKey: first.publicKey, signature: await signHandshakeProof(second, fields) })).toBe(true)
  })

  it('gives concurrent first starts one key', async () => {
    const keys = await Promise.all([1, 2, 3, 4].map(() => loadOrCreateNodeKey(dir)))
    expect(new Set(keys.map((k) => k.publicKey)).size).toBe(1)
  })

  it('says which file is corrupt and what to do, and leaves it alone', async () => {
    await writeFile(join(dir, NODE_KEY_FILE), '{"kty":"RSA"}')
    const error = await loadOrCreateNodeKey(dir).catch((err: unknown) => err)
    expect(error).toBeInstanceOf(NodeKeyError)
    expect((error as Error).message).toContain(join(dir, NODE_KEY_FILE))
    expect((error as NodeKeyError).hint).toMatch(/delete it together with node-id/)
    expect(await readFile(join(dir, NODE_KEY_FILE), 'utf8')).toBe('{"kty":"RSA"}')
  })
})

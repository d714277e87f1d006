import { mkdtemp, readFile, rm, stat, writeFile, chmod } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { peerIdOf } from '@shoal/transport-libp2p'
import { loadOrCreatePeerKey, PEER_KEY_FILE, PeerKeyError } from '../../src/libp2p/peer-key.ts'
import { DataDirError } from '../../src/config/data-dir.ts'

describe('loadOrCreatePeerKey', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'shoal-peer-key-'))
  })
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('creates a key once, stores it private, and returns the same peer ID afterwards', async () => {
    const dataDir = join(dir, 'data')
    const first = await loadOrCreatePeerKey(dataDir)
    const file = join(dataDir, PEER_KEY_FILE)
    expect((await stat(file)).mode & 0o777).toBe(0o600)
    const second = await loadOrCreatePeerKey(dataDir)
    expect(peerIdOf(second)).toBe(peerIdOf(first))
    expect(peerIdOf(first)).toMatch(/^12D3KooW/)
  })

  it('gives concurrent first starts one identity', async () => {
    const keys = await Promise.all([1, 2, 3, 4].map(() => loadOrCreatePeerKey(dir)))
    expect(new Set(keys.map(peerIdOf)).size).toBe(1)
  })

  it('tightens the mode of a key file others can read', async () => {
    await loadOrCreatePeerKey(dir)
    await chmod(join(dir, PEER_KEY_FILE), 0o644)
    await loadOrCreatePeerKey(dir)
    expect((await stat(join(dir, PEER_KEY_FILE))).mode & 0o777).toBe(0o600)
  })

  it('says which file is corrupt and what to do', async () => {
    await writeFile(join(dir, PEER_KEY_FILE), 'not a key')
    const error = await loadOrCreatePeerKey(dir).catch((err: unknown) => err)
    expect(error).toBeInstanceOf(PeerKeyError)
    expect((error as Error).message).toContain(join(dir, PEER_KEY_FILE))
    expect((error as PeerKeyError).hint).toMatch(/delete it to start with a new peer ID/)
    expect(await readFile(join(dir, PEER_KEY_FILE), 'utf8')).toBe('not a key')
  })

  it('fails with DataDirError when the data dir cannot be created', async () => {
    await writeFile(join(dir, 'a-file'), '')
    const error = await loadOrCreatePeerKey(join(dir, 'a-file', 'data')).catch((err: unknown) => err)
    expect(error).toBeInstanceOf(DataDirError)
    expect((error as Error).message).toMatch(/not writable/)
    expect((error as DataDirError).hint).toMatch(/--data-dir/)
  })
})

import { describe, expect, it } from 'vitest'
import { generateNodeKey, generateNodeKeyJwk, newChallengeNonce, nodeKeyFromJwk, nodeKeyFromSigner, signHandshakeProof, verifyHandshakeProof } from '../src/index.ts'

describe('node identity keys and handshake proofs', () => {
  it('a stored key signs proofs that verify against its public key; a tampered field does not verify', async () => {
    const jwk = await generateNodeKeyJwk()
    const key = await nodeKeyFromJwk(jwk)
    expect(key.publicKey).toBe(jwk.x)
    const nonce = newChallengeNonce()
    const fields = { requesterId: 'n-requester', nonce, nodeId: 'n-node-1' }
    const signature = await signHandshakeProof(key, fields)
    expect(await verifyHandshakeProof({ ...fields, publicKey: key.publicKey, signature })).toBe(true)

    // Reloaded from the same JWK (a restart): the same public key, proofs still verify.
    const again = await nodeKeyFromJwk(JSON.parse(JSON.stringify(jwk)) as JsonWebKey)
    expect(again.publicKey).toBe(key.publicKey)
    expect(await verifyHandshakeProof({ ...fields, publicKey: again.publicKey, signature: await signHandshakeProof(again, fields) })).toBe(true)

    // Another nonce (a replayed handshake), node ID (a claimed ID), requester or key: refused.
    expect(await verifyHandshakeProof({ ...fields, nonce: newChallengeNonce(), publicKey: key.publicKey, signature })).toBe(false)
    expect(await verifyHandshakeProof({ ...fields, nodeId: 'n-node-2', publicKey: key.publicKey, signature })).toBe(false)
    expect(await verifyHandshakeProof({ ...fields, requesterId: 'n-other', publicKey: key.publicKey, signature })).toBe(false)
    const other = await generateNodeKey()
    expect(await verifyHandshakeProof({ ...fields, publicKey: other.publicKey, signature })).toBe(false)
  })

  it('answers false, not an exception, for malformed keys and signatures', async () => {
    const key = await generateNodeKey()
    const fields = { requesterId: 'r', nonce: newChallengeNonce(), nodeId: 'n' }
    const signature = await signHandshakeProof(key, fields)
    expect(await verifyHandshakeProof({ ...fields, publicKey: 'not base64url!', signature })).toBe(false)
    expect(await verifyHandshakeProof({ ...fields, publicKey: 'AAAA', signature })).toBe(false)
    expect(await verifyHandshakeProof({ ...fields, publicKey: key.publicKey, signature: signature.slice(4) })).toBe(false)
    expect(await verifyHandshakeProof({ ...fields, publicKey: key.publicKey, signature: '' })).toBe(false)
  })

  it('refuses a JWK that is not an Ed25519 private key', async () => {
    const jwk = await generateNodeKeyJwk()
    const { d: _d, ...publicOnly } = jwk
    await expect(nodeKeyFromJwk(publicOnly)).rejects.toThrow(/not an Ed25519 private key/)
    await expect(nodeKeyFromJwk({ ...jwk, crv: 'X25519' })).rejects.toThrow(/not an Ed25519 private key/)
  })

  it('accepts an Ed25519 signer held elsewhere (a libp2p key in a tab): its proofs verify with WebCrypto', async () => {
    const jwk = await generateNodeKeyJwk()
    const inner = await nodeKeyFromJwk(jwk)
    const raw = Uint8Array.from(atob(jwk.x!.replaceAll('-', '+').replaceAll('_', '/') + '='), (c) => c.charCodeAt(0))
    const key = nodeKeyFromSigner({ publicKey: raw, sign: (data) => inner.sign(data) })
    expect(key.publicKey).toBe(jwk.x)
    const fields = { requesterId: 'r', nonce: newChallengeNonce(), nodeId: 'n' }
    expect(await verifyHandshakeProof({ ...fields, publicKey: key.publicKey, signature: await signHandshakeProof(key, fields) })).toBe(true)
    expect(() => nodeKeyFromSigner({ publicKey: new Uint8Array(33), sign: () => new Uint8Array() })).toThrow(/32 bytes, not 33/)
  })

  it('makes a fresh nonce each time', () => {
    expect(newChallengeNonce()).not.toBe(newChallengeNonce())
    expect(newChallengeNonce()).toMatch(/^[A-Za-z0-9_-]{43}$/)
  })
})

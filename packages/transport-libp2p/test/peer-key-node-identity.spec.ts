import { describe, expect, it } from 'vitest'
import { newChallengeNonce, nodeKeyFromSigner, signHandshakeProof, verifyHandshakeProof } from '@shoal/protocol'
import { generatePeerKey, peerKeyFromBytes, peerKeyToBytes } from '../src/index.ts'

// A tab's node identity is a libp2p Ed25519 key (it signs without WebCrypto where a page has
// none); the requester verifies its handshake proofs with WebCrypto.
describe('a libp2p peer key as a compute node identity', () => {
  it('signs handshake proofs the requester verifies, also after a round trip through storage', async () => {
    const key = await generatePeerKey()
    const identity = nodeKeyFromSigner({ publicKey: key.publicKey.raw, sign: (data) => key.sign(data) })
    const fields = { requesterId: 'n-requester', nonce: newChallengeNonce(), nodeId: 'n-tab' }
    expect(await verifyHandshakeProof({ ...fields, publicKey: identity.publicKey, signature: await signHandshakeProof(identity, fields) })).toBe(true)

    const restored = peerKeyFromBytes(peerKeyToBytes(key))
    const again = nodeKeyFromSigner({ publicKey: restored.publicKey.raw, sign: (data) => restored.sign(data) })
    expect(again.publicKey).toBe(identity.publicKey)
    expect(await verifyHandshakeProof({ ...fields, publicKey: again.publicKey, signature: await signHandshakeProof(again, fields) })).toBe(true)
  })
})

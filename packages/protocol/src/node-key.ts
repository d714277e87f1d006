/**
 * A compute node's identity key and the handshake proof made with it. The requester binds a node
 * ID to the public key that first joined with it; every later Handshake must carry a signature
 * of a fresh requester-chosen nonce by the same key, so copying a node's ID (its `node-id` file,
 * say) into another node does not make that node the first one. Ed25519 through WebCrypto: the
 * same code runs in Node, browsers and workerd, on every transport.
 */
import { ProtocolError } from '@shoal/models'

/** The identity key of a compute node. */
export interface NodeKey {
  /** The raw Ed25519 public key, base64url (a JWK's `x`): what the requester binds and compares. */
  readonly publicKey: string
  /** Signs `data` with the private key. */
  sign(data: Uint8Array): Promise<Uint8Array>
}

/** What a handshake proof signs: who asked (requester and its nonce), and who answers. */
export interface HandshakeProofFields {
  requesterId: string
  nonce: string
  nodeId: string
  publicKey: string
}

const ED25519 = { name: 'Ed25519' } as const
/** Domain separation: these bytes are never a valid signature of anything else Shoal signs. */
const PROOF_CONTEXT = 'shoal-compute-handshake/2'

/** A new identity key as a private JWK (kty OKP, crv Ed25519, with `d` and `x`), for storing. */
export async function generateNodeKeyJwk(): Promise<JsonWebKey> {
  const pair = (await crypto.subtle.generateKey(ED25519, true, ['sign', 'verify'])) as CryptoKeyPair
  return crypto.subtle.exportKey('jwk', pair.privateKey)
}

/** The identity key of a stored private JWK; ProtocolError when it is not an Ed25519 private key. */
export async function nodeKeyFromJwk(jwk: JsonWebKey): Promise<NodeKey> {
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.d !== 'string' || typeof jwk.x !== 'string') {
    throw new ProtocolError('the node key is not an Ed25519 private key (a JWK with kty "OKP", crv "Ed25519", d and x)')
  }
  const { kty, crv, d, x } = jwk
  const privateKey = await crypto.subtle.importKey('jwk', { kty, crv, d, x }, ED25519, false, ['sign'])
  return {
    publicKey: x,
    sign: async (data) => new Uint8Array(await crypto.subtle.sign(ED25519, privateKey, data as Uint8Array<ArrayBuffer>)),
  }
}

/**
 * An identity key from an Ed25519 signer held elsewhere (a libp2p key, say, which signs with
 * pure JavaScript where WebCrypto is missing, as on a page served over plain HTTP).
 */
export function nodeKeyFromSigner(signer: { publicKey: Uint8Array; sign(data: Uint8Array): Uint8Array | Promise<Uint8Array> }): NodeKey {
  if (signer.publicKey.byteLength !== 32) throw new ProtocolError(`an Ed25519 public key has 32 bytes, not ${signer.publicKey.byteLength}`)
  return { publicKey: toBase64Url(signer.publicKey), sign: async (data) => signer.sign(data) }
}

/** A fresh identity key that lives only in memory (a node without a place to keep one). */
export async function generateNodeKey(): Promise<NodeKey> {
  return nodeKeyFromJwk(await generateNodeKeyJwk())
}

/** A fresh random challenge nonce (32 bytes, base64url). */
export function newChallengeNonce(): string {
  return toBase64Url(crypto.getRandomValues(new Uint8Array(32)))
}

/** The bytes a handshake proof signs. */
export function handshakeProofBytes(fields: HandshakeProofFields): Uint8Array {
  return new TextEncoder().encode([PROOF_CONTEXT, fields.requesterId, fields.nonce, fields.nodeId, fields.publicKey].join('\n'))
}

/** Signs a handshake proof with the node's key; resolves with the signature (base64url). */
export async function signHandshakeProof(key: NodeKey, fields: Omit<HandshakeProofFields, 'publicKey'>): Promise<string> {
  return toBase64Url(await key.sign(handshakeProofBytes({ ...fields, publicKey: key.publicKey })))
}

/** Whether `signature` is `fields.publicKey`'s signature of the proof; false for malformed keys or signatures. */
export async function verifyHandshakeProof(fields: HandshakeProofFields & { signature: string }): Promise<boolean> {
  let publicKey: CryptoKey
  let signature: Uint8Array<ArrayBuffer>
  try {
    const raw = fromBase64Url(fields.publicKey)
    if (raw.byteLength !== 32) return false
    publicKey = await crypto.subtle.importKey('raw', raw, ED25519, false, ['verify'])
    signature = fromBase64Url(fields.signature)
  } catch {
    return false
  }
  if (signature.byteLength !== 64) return false
  return crypto.subtle.verify(ED25519, publicKey, signature, handshakeProofBytes(fields) as Uint8Array<ArrayBuffer>)
}

function toBase64Url(bytes: Uint8Array): string {
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '')
}

function fromBase64Url(text: string): Uint8Array<ArrayBuffer> {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new Error('not base64url')
  const binary = atob(text.replaceAll('-', '+').replaceAll('_', '/') + '='.repeat((4 - (text.length % 4)) % 4))
  const out = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i)
  return out
}

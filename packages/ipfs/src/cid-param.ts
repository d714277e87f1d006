/** The `CID` param of ipfs sources: parsed, with messages that say what is wrong and what to do. */
import { CID } from 'multiformats/cid'

/** Multicodec codes of the two block codecs UnixFS uses. */
const DAG_PB = 0x70
const RAW = 0x55

/** Parses a CID string, or returns why it is not one a UnixFS input can use. */
export function parseUnixfsCid(value: unknown): { cid: CID } | { problem: string } {
  if (typeof value !== 'string' || value === '') return { problem: 'missing CID: set it to the CID of a file or directory in IPFS (e.g. QmT78zSu… or bafy…)' }
  const text = value.trim()
  if (text.includes('/')) {
    return { problem: `${JSON.stringify(value)} is a path, not a CID: upstream's ipfs source takes a bare CID; add the file or directory you need on its own and use its CID` }
  }
  let cid: CID
  try {
    cid = CID.parse(text)
  } catch (err) {
    return { problem: `${JSON.stringify(value)} is not a valid CID (${(err as Error).message}); use a CIDv0 (Qm…) or a base32 CIDv1 (bafy…)` }
  }
  if (cid.code !== DAG_PB && cid.code !== RAW) {
    return { problem: `${text} has codec 0x${cid.code.toString(16)}, which is not UnixFS: use the CID of a file or directory (dag-pb or raw)` }
  }
  return { cid }
}

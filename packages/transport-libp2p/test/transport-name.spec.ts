import { describe, expect, it } from 'vitest'
import { multiaddr } from '@multiformats/multiaddr'
import { transportName } from '../src/index.ts'

const peer = '12D3KooWRCNcqWFT5PwktGYQA5Mn249BrpZHEkArWa6w17gxUSG2'
const relay = '12D3KooWFoeGGBvN2zXxa92Wu4oEXiw5GoZotTujGCqdRcR3zDCr'

describe('transportName', () => {
  it.each([
    [`/ip4/127.0.0.1/udp/4001/webrtc-direct/certhash/uEiB56n2K3RMCSAYRVgV4V3KgEqbS1bCm72AdMRM3LcrlTQ/p2p/${peer}`, 'webrtc-direct'],
    [`/ip4/127.0.0.1/tcp/4002/ws/p2p/${relay}/p2p-circuit/webrtc/p2p/${peer}`, 'webrtc'],
    [`/ip4/127.0.0.1/tcp/4002/ws/p2p/${relay}/p2p-circuit/p2p/${peer}`, 'circuit-relay'],
    [`/ip4/127.0.0.1/tcp/4002/ws/p2p/${peer}`, 'websockets'],
    [`/dns4/example.org/tcp/443/tls/ws/p2p/${peer}`, 'websockets'],
    [`/ip4/127.0.0.1/tcp/4003/p2p/${peer}`, 'tcp'],
  ])('%s is %s', (address, name) => {
    expect(transportName(multiaddr(address))).toBe(name)
  })
})

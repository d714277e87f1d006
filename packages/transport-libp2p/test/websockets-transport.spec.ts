import { runTransportCompliance } from '@shoal/protocol/transport-compliance'
import { libp2pPair } from './libp2p-pair.ts'

runTransportCompliance('libp2p over WebSockets on 127.0.0.1', libp2pPair('websockets'))

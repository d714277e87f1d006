import { runTransportCompliance } from '@shoal/protocol/transport-compliance'
import { memoryPair } from './memory-pair.ts'

runTransportCompliance('memory', memoryPair())

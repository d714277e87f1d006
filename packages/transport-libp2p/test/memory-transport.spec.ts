import { runTransportCompliance } from './transport-compliance.ts'
import { memoryPair } from './memory-pair.ts'

runTransportCompliance('memory', memoryPair())

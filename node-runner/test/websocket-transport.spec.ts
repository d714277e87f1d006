/**
 * The Transport compliance suite against the WebSocket transport of @shoal/protocol: Node 24's
 * global WebSocket dialing the requester API's compute route served by @hono/node-ws on 127.0.0.1.
 */
import { runTransportCompliance } from '@shoal/protocol/transport-compliance'
import { websocketPair } from './websocket-pair.ts'

runTransportCompliance('WebSocket (the requester API route) on 127.0.0.1', websocketPair())

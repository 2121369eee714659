// @sonic/websocket: RFC 6455 WebSocket client (with RFC 7692 permessage-deflate) over any sonic
// Transport — aiohttp's ws_connect in TypeScript.
export { wsConnect } from './connect.js'
export { WebSocketClient } from './websocket.js'
export type { WebSocketInit, WsResponse, SendOptions, CloseOptions } from './websocket.js'
export type { WsConnectOptions, WsProxy } from './options.js'
export type { PerMessageDeflateOptions } from './permessage-deflate.js'
export type { ReceiveOptions } from './receive-queue.js'
export type { WsMessage, TextMessage, BinaryMessage, ControlMessage, CloseMessage, DataMessage } from './message.js'
// The error a WebSocket fails with, for `instanceof` without importing @sonic/core.
export { WebSocketError } from '@sonic/core'

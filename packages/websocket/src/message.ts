// The messages receive() gives (aiohttp's WSMessage: type, data, extra).

/** A text message: `data` is the decoded (validated UTF-8) text. */
export interface TextMessage {
  readonly type: 'text'
  readonly data: string
  readonly extra: null
}

/** A binary message. */
export interface BinaryMessage {
  readonly type: 'binary'
  readonly data: Uint8Array
  readonly extra: null
}

/** A ping or pong from the server (only with `autoping: false`). */
export interface ControlMessage {
  readonly type: 'ping' | 'pong'
  readonly data: Uint8Array
  readonly extra: null
}

/** The server's close: `data` is the code (1005 when it sent none), `extra` the reason. */
export interface CloseMessage {
  readonly type: 'close'
  readonly data: number
  readonly extra: string
}

export type WsMessage = TextMessage | BinaryMessage | ControlMessage | CloseMessage

/** The data messages async iteration yields. */
export type DataMessage = TextMessage | BinaryMessage

// diagnostics_channel events, so APM tools can trace requests without patching. Every publish is
// behind `hasSubscribers`: with nobody listening a request builds no message at all.
import { channel } from 'node:diagnostics_channel'
import type { DispatchRequest, HttpHeaders } from '@sonic/core'
import type { ConnectionTimings, ResponseTimings } from './timings.js'

/** The request as diagnostics messages describe it. */
export interface DiagnosticsRequest {
  readonly method: string
  /** As URL.origin: 'http://127.0.0.1:8080'. */
  readonly origin: string
  /** The origin-form target: '/a?b=1'. */
  readonly path: string
  /** The flat [name, value, …] header list as sent (Host, Content-Length are added later by the protocol). */
  readonly headers: readonly string[]
}

/** `sonic:request:create`: a request was handed to the agent (each redirect hop and retry is one). */
export interface RequestCreateMessage {
  readonly request: DiagnosticsRequest
}

/** `sonic:request:headers`: its response head arrived. */
export interface RequestHeadersMessage {
  readonly request: DiagnosticsRequest
  readonly response: { readonly status: number; readonly headers: HttpHeaders }
  /** `end` is filled in later, when the body has been read. */
  readonly timings: ResponseTimings
}

/** `sonic:request:error`: it failed before a response head (the error names the request). */
export interface RequestErrorMessage {
  readonly request: DiagnosticsRequest
  readonly error: unknown
}

/** `sonic:connection:connected`: the agent's transport made a new connection. */
export interface ConnectionConnectedMessage {
  readonly origin: string
  /** What ALPN agreed ('h2', 'http/1.1'), null for plain TCP. */
  readonly alpn: string | null
  /** ms from the start of the connect; null when the transport does not report them. */
  readonly timings: ConnectionTimings | null
}

/** The channel names, as API.md gives them. */
export const DIAGNOSTICS_CHANNELS = Object.freeze({
  requestCreate: 'sonic:request:create',
  requestHeaders: 'sonic:request:headers',
  requestError: 'sonic:request:error',
  connectionConnected: 'sonic:connection:connected',
} as const)

export const requestCreate = channel(DIAGNOSTICS_CHANNELS.requestCreate)
export const requestHeaders = channel(DIAGNOSTICS_CHANNELS.requestHeaders)
export const requestError = channel(DIAGNOSTICS_CHANNELS.requestError)
export const connectionConnected = channel(DIAGNOSTICS_CHANNELS.connectionConnected)

/** True when any request channel has a subscriber (one check on the hot path). */
export function tracingRequests(): boolean {
  return requestCreate.hasSubscribers || requestHeaders.hasSubscribers || requestError.hasSubscribers
}

/** The message's view of a request (origin-form path even when sent to a forward proxy). */
export function describeRequest(req: DispatchRequest): DiagnosticsRequest {
  return { method: req.method, origin: req.origin, path: req.path, headers: req.headers }
}

export { SonicError, isSonicError, attachRequest } from './sonic-error.js'
export type { SonicErrorOptions } from './sonic-error.js'
export {
  ConnectError,
  ConnectTimeoutError,
  ReadTimeoutError,
  RequestTimeoutError,
  PoolAcquireTimeoutError,
  HttpParserError,
  ConnectionClosedError,
  MaxRedirectsError,
  InvalidArgumentError,
  ProxyError,
  FingerprintMismatchError,
  ResponseTooLargeError,
  BodyUsedError,
  AbortError,
  ClientClosedError,
  DnsError,
  Http2Error,
  HttpStatusError,
  WebSocketError,
  MockNotMatchedError,
} from './errors.js'
export type { ProxyErrorOptions, HttpStatusErrorOptions, WebSocketErrorOptions } from './errors.js'
export { HttpHeaders } from './http-headers.js'
export type { HeadersInit } from './http-headers.js'
export { Timeouts } from './timeouts.js'
export type { TimeoutsInit } from './timeouts.js'
export { PoolConfig } from './pool-config.js'
export type { PoolConfigInit } from './pool-config.js'
export { isToken, isSafeFieldValue, assertHeaderName, assertHeaderValue, assertMethod, assertPath, validatedHeaders, isValidatedHeaders } from './validate.js'
export type { ValidatedHeaders } from './validate.js'
export { compose } from './dispatch.js'
export type { Dispatch, DispatchRequest, Interceptor, Dispatcher, TlsOptions } from './dispatch.js'
export { bodyFrom } from './body-from.js'
export { isStreamBody } from './body.js'
export { readWebStream } from './web-stream.js'
export type { Progress, StreamBody, RequestBody, BodyReader } from './body.js'
export type {
  PoolableConnection,
  ConnectionFactory,
  ProgressCallback,
  HttpRequest,
  HttpResponseHead,
  HttpConnection,
} from './connection.js'

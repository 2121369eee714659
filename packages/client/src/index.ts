// @sonic/client: the thin assembly. Its own classes plus, by name, everything a user of the
// client needs from the layers below.
export { HTTPClient } from './http-client.js'
export type { ClientOptions } from './http-client.js'
export { TCPConnector, UnixConnector } from './connector.js'
export type { ConnectorOptions, UnixConnectorOptions, ConnectTarget, ConnectionFactory, PoolClass, Connector } from './connector.js'
export { HttpResponse } from './response.js'
export type { RequestOptions, RequestInput, RequestData, ParamsInit, AuthInit } from './options.js'
export { request, get, post, put, patch, delete, del, head, options, getDefaultClient } from './shortcuts.js'
export { SSEClient } from './sse-client.js'

export {
  SonicError,
  isSonicError,
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
  HttpHeaders,
  Timeouts,
  PoolConfig,
} from '@sonic/core'
export type { HeadersInit, TimeoutsInit, PoolConfigInit, Progress, StreamBody } from '@sonic/core'
export { SmartPool, CyclicQueuePool } from '@sonic/pool'
export type { Pool } from '@sonic/pool'
export { SystemResolver, CaresResolver, CachingResolver, createLookup } from '@sonic/resolver'
export type { Resolver, ResolvedAddress, CaresResolverOptions } from '@sonic/resolver'
export { MultipartForm, MultipartFile, urlEncode } from '@sonic/multipart'
export { EventStreamParser, parseEventStream, SSEConnection, SSEResponseError } from '@sonic/sse'
export type { ServerSentEvent, SSEConnectOptions } from '@sonic/sse'

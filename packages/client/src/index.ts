// @sonic/client: the thin assembly. Its own classes plus, by name, everything a user of the
// client needs from the layers below.
export { HTTPClient } from './http-client.js'
export type { ClientOptions } from './http-client.js'
export { Agent } from './agent.js'
export type { AgentOptions, AgentStats } from './agent.js'
export { TCPConnector, UnixConnector } from './connector.js'
export { MockAgent, MockScope } from './mock-agent.js'
export { BalancedAgent } from './balanced-agent.js'
export type { BalancedAgentOptions, BalancedHost } from './balanced-agent.js'
export type { MockAgentOptions, MockInterceptOptions, MockInterception, MockMatcher, MockRequest, MockReplyBody } from './mock-agent.js'
export { DIAGNOSTICS_CHANNELS } from './diagnostics.js'
export type { DiagnosticsRequest, RequestCreateMessage, RequestHeadersMessage, RequestErrorMessage, ConnectionConnectedMessage } from './diagnostics.js'
export type { ResponseTimings, ConnectionTimings } from './timings.js'
export type { ConnectorOptions, UnixConnectorOptions, ConnectTarget, ConnectionFactory, PoolClass, Connector } from './connector.js'
export { redirect } from './redirect.js'
export type { RedirectOptions } from './redirect.js'
export { cookies } from './cookies.js'
export { decompress } from './decompress.js'
export type { DecompressOptions } from './decompress.js'
export { staleRetry } from './stale-retry.js'
export { retry } from './retry.js'
export type { RetryOptions, RetryInit } from './retry.js'
export { raiseForStatus } from './raise-for-status.js'
export type { RaiseForStatusOptions } from './raise-for-status.js'
export { deadline } from './request-deadline.js'
export type { ClientRequest, ClientResponseHead } from './client-request.js'
export { HttpResponse } from './response.js'
export type { RequestOptions, RequestInput, RequestData, ParamsInit, AuthInit, CookiesInit } from './options.js'
export { request, get, post, put, patch, delete, del, head, options, getDefaultClient } from './shortcuts.js'
export { SSEClient } from './sse-client.js'
export { WebSocketClient, wsConnect } from '@sonic/websocket'
export type { WsConnectOptions, WsMessage, TextMessage, BinaryMessage, ControlMessage, CloseMessage, DataMessage, ReceiveOptions, SendOptions, CloseOptions, PerMessageDeflateOptions, WsResponse } from '@sonic/websocket'
export type { ClientWsConnectOptions } from './ws-connect.js'
export { fetch, createFetch, getFetchAgent } from './fetch.js'
export type { FetchFunction, CreateFetchOptions, FetchInit, FetchInput, RedirectMode } from './fetch.js'

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
  HttpStatusError,
  WebSocketError,
  MockNotMatchedError,
  HttpHeaders,
  Timeouts,
  PoolConfig,
  compose,
  bodyFrom,
} from '@sonic/core'
export type {
  HeadersInit,
  TimeoutsInit,
  PoolConfigInit,
  Progress,
  StreamBody,
  Dispatch,
  DispatchRequest,
  Interceptor,
  Dispatcher,
  TlsOptions,
  BodyReader,
  HttpResponseHead,
} from '@sonic/core'
export { TcpTransport, UnixTransport } from '@sonic/transport'
export { HttpProxy, SocksProxy, proxyFromEnv, isProxy } from '@sonic/proxy'
export type { ProxyOptions, ProxyResolver } from '@sonic/proxy'
export type { ProxyInit } from './proxy-option.js'
export type { Transport, TransportTarget, Connected } from '@sonic/transport'
export { SmartPool, CyclicQueuePool } from '@sonic/pool'
export type { Pool } from '@sonic/pool'
export { Http2Connection, Http2MultiplexPool, isRetryableHttp2Error } from '@sonic/http2'
export type { Http2ConnectionOptions, Http2BodyReader } from '@sonic/http2'
export { SystemResolver, CaresResolver, CachingResolver, createLookup } from '@sonic/resolver'
export type { Resolver, ResolvedAddress, CaresResolverOptions } from '@sonic/resolver'
export { MultipartForm, MultipartFile, urlEncode } from '@sonic/multipart'
export { EventStreamParser, parseEventStream, SSEConnection, SSEResponseError } from '@sonic/sse'
export type { ServerSentEvent, SSEConnectOptions } from '@sonic/sse'

import { describe, expect, it } from 'vitest'
import { SonicError, isSonicError } from './sonic-error.js'
import * as errors from './errors.js'

const table: Array<[string, string]> = [
  ['ConnectError', 'SONIC_CONNECT_ERROR'],
  ['ConnectTimeoutError', 'SONIC_CONNECT_TIMEOUT'],
  ['ReadTimeoutError', 'SONIC_READ_TIMEOUT'],
  ['RequestTimeoutError', 'SONIC_REQUEST_TIMEOUT'],
  ['PoolAcquireTimeoutError', 'SONIC_POOL_ACQUIRE_TIMEOUT'],
  ['HttpParserError', 'SONIC_PARSE_ERROR'],
  ['ConnectionClosedError', 'SONIC_CONNECTION_CLOSED'],
  ['MaxRedirectsError', 'SONIC_MAX_REDIRECTS'],
  ['InvalidArgumentError', 'SONIC_INVALID_ARGUMENT'],
  ['ProxyError', 'SONIC_PROXY_ERROR'],
  ['FingerprintMismatchError', 'SONIC_FINGERPRINT_MISMATCH'],
  ['ResponseTooLargeError', 'SONIC_RESPONSE_TOO_LARGE'],
  ['BodyUsedError', 'SONIC_BODY_USED'],
  ['AbortError', 'SONIC_ABORTED'],
  ['ClientClosedError', 'SONIC_CLIENT_CLOSED'],
  ['DnsError', 'SONIC_DNS_ERROR'],
  ['Http2Error', 'SONIC_HTTP2_ERROR'],
  ['HttpStatusError', 'SONIC_HTTP_STATUS'],
  ['WebSocketError', 'SONIC_WEBSOCKET_ERROR'],
  ['MockNotMatchedError', 'SONIC_MOCK_NOT_MATCHED'],
]

function make(name: string): SonicError {
  const Ctor = (errors as unknown as Record<string, new (...a: unknown[]) => SonicError>)[name]!
  switch (name) {
    case 'ConnectTimeoutError':
    case 'ReadTimeoutError':
    case 'RequestTimeoutError':
    case 'PoolAcquireTimeoutError':
      return new Ctor('timed out', 100)
    case 'MaxRedirectsError':
    case 'ResponseTooLargeError':
    case 'HttpStatusError':
      return new Ctor(5)
    case 'FingerprintMismatchError':
      return new Ctor('aa', 'bb')
    case 'DnsError':
      return new Ctor('example.invalid')
    default:
      return new Ctor('boom')
  }
}

describe('error classes', () => {
  it.each(table)('%s has code %s and extends SonicError', (name, code) => {
    const err = make(name)
    expect(err.code).toBe(code)
    expect((errors as Record<string, unknown>)[name]).toHaveProperty('code', code)
    expect(err).toBeInstanceOf(SonicError)
    expect(err).toBeInstanceOf(Error)
    expect(isSonicError(err)).toBe(true)
    expect(err.name).toBe(name)
  })

  it('every class of the API table is exported, and no unknown one', () => {
    const exported = Object.keys(errors).sort()
    expect(exported).toEqual(table.map(([n]) => n).sort())
  })

  it('keeps the cause', () => {
    const os = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })
    const err = new errors.ConnectError('refused', { cause: os })
    expect(err.cause).toBe(os)
  })

  it('AbortError is named AbortError', () => {
    expect(new errors.AbortError().name).toBe('AbortError')
  })

  it('instanceof distinguishes classes', () => {
    const err = new errors.ReadTimeoutError('slow', 10)
    expect(err).toBeInstanceOf(errors.ReadTimeoutError)
    expect(err).not.toBeInstanceOf(errors.ConnectTimeoutError)
    expect(err.timeout).toBe(10)
    expect(new Error('x')).not.toBeInstanceOf(SonicError)
    expect(null as unknown).not.toBeInstanceOf(SonicError)
  })

  it('instanceof works for an error made by a duplicate copy of the package', () => {
    // A second copy has its own classes; only the Symbol.for marker and the code are shared.
    const MARK = Symbol.for('sonic.error')
    const foreign = Object.assign(new Error('from another copy'), { code: 'SONIC_CONNECT_ERROR' })
    Object.defineProperty(foreign, MARK, { value: true })
    expect(foreign).toBeInstanceOf(errors.ConnectError)
    expect(foreign).toBeInstanceOf(SonicError)
    expect(foreign).not.toBeInstanceOf(errors.DnsError)
    const unmarked = Object.assign(new Error('lookalike'), { code: 'SONIC_CONNECT_ERROR' })
    expect(unmarked).not.toBeInstanceOf(errors.ConnectError)
  })

  it('HttpParserError names llhttp reason', () => {
    const err = new errors.HttpParserError('Invalid header value char', 'HPE_INVALID_HEADER_TOKEN')
    expect(err.message).toContain('Invalid header value char')
    expect(err.llhttpCode).toBe('HPE_INVALID_HEADER_TOKEN')
  })
})

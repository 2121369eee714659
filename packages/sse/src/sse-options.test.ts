import { InvalidArgumentError, Timeouts } from '@sonic/core'
import { describe, expect, it } from 'vitest'
import { normalizeOptions } from './sse-options.js'

describe('normalizeOptions', () => {
  it('applies the documented defaults', () => {
    const c = normalizeOptions('http://127.0.0.1/x')
    expect(c.method).toBe('GET')
    expect(c.headers).toEqual({ accept: 'text/event-stream', 'cache-control': 'no-cache' })
    expect(c.reconnect).toBe(true)
    expect(c.retryDelay).toBe(3000)
    expect(c.keepConnection).toBe(false)
    expect(c.lastEventId).toBe('')
    expect(c.timeouts).toEqual({ requestTimeout: null })
    expect(Object.isFrozen(c)).toBe(true)
  })

  it('defaults to POST with a body and keeps an explicit method', () => {
    expect(normalizeOptions('http://h/', { json: { a: 1 } }).method).toBe('POST')
    expect(normalizeOptions('http://h/', { data: 'x' }).method).toBe('POST')
    expect(normalizeOptions('http://h/', { json: {}, method: 'PUT' }).method).toBe('PUT')
  })

  it('keeps user Accept / Cache-Control and turns a Last-Event-ID header into lastEventId', () => {
    const c = normalizeOptions('http://h/', { headers: { Accept: 'text/event-stream, */*', 'Last-Event-ID': '5', 'X-A': 'b' } })
    expect(c.headers).toEqual({ Accept: 'text/event-stream, */*', 'cache-control': 'no-cache', 'X-A': 'b' })
    expect(c.lastEventId).toBe('5')
    expect(normalizeOptions('http://h/', { headers: [['last-event-id', '5']], lastEventId: '6' }).lastEventId).toBe('6')
  })

  it('merges timeouts over requestTimeout: null and passes a Timeouts instance as is', () => {
    expect(normalizeOptions('http://h/', { timeouts: { sockRead: 10 } }).timeouts).toEqual({ requestTimeout: null, sockRead: 10 })
    const t = new Timeouts({ requestTimeout: 5 })
    expect(normalizeOptions('http://h/', { timeouts: t }).timeouts).toBe(t)
  })

  it('rejects bad input with InvalidArgumentError', () => {
    const bad: Array<[string, object]> = [
      ['not a url', {}],
      ['http://h/', { retryDelay: -1 }],
      ['http://h/', { retryDelay: Number.NaN }],
      ['http://h/', { retryDelay: 2 ** 31 }],
      ['http://h/', { reconnect: 'yes' }],
      ['http://h/', { keepConnection: 1 }],
      ['http://h/', { method: 'GE T' }],
      ['http://h/', { headers: { 'bad name': 'x' } }],
      ['http://h/', { headers: { ok: 'a\r\nb' } }],
      ['http://h/', { lastEventId: 'a\nb' }],
      ['http://h/', { lastEventId: 'a\0b' }],
      ['http://h/', { timeouts: { sockRead: -5 } }],
      ['http://h/', { signal: 'nope' }],
    ]
    for (const [url, o] of bad) expect(() => normalizeOptions(url, o as never), JSON.stringify([url, o])).toThrow(InvalidArgumentError)
  })
})

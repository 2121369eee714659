import { InvalidArgumentError } from '@sonic/core'
import { expect, test } from 'vitest'
import { TlsSessionCache } from './tls-session-cache.js'

test('stores, replaces and deletes sessions', () => {
  const cache = new TlsSessionCache()
  const a = Buffer.from('a')
  cache.set('x', a)
  expect(cache.get('x')).toBe(a)
  const b = Buffer.from('b')
  cache.set('x', b)
  expect(cache.get('x')).toBe(b)
  expect(cache.size).toBe(1)
  cache.delete('x')
  expect(cache.get('x')).toBeUndefined()
})

test('evicts the least recently used past max', () => {
  const cache = new TlsSessionCache(2)
  cache.set('a', Buffer.from('a'))
  cache.set('b', Buffer.from('b'))
  cache.get('a') // a is now the most recent
  cache.set('c', Buffer.from('c'))
  expect(cache.get('b')).toBeUndefined()
  expect(cache.get('a')).toBeDefined()
  expect(cache.get('c')).toBeDefined()
  cache.clear()
  expect(cache.size).toBe(0)
})

test('rejects a bad max', () => {
  expect(() => new TlsSessionCache(0)).toThrow(InvalidArgumentError)
  expect(() => new TlsSessionCache(1.5)).toThrow(InvalidArgumentError)
})

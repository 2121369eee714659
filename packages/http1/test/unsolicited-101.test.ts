// A 101 to a request that did not offer an upgrade is a protocol error (issue 10), not a
// successful response; the connection is not kept.
import { HttpParserError } from '@sonic/core'
import { expect, test } from 'vitest'
import { makeRequest, openConn, startRaw, useCleanups } from './helpers.js'

const cleanups = useCleanups()

test('101 without an Upgrade header in the request → HttpParserError, connection closed', async () => {
  const srv = await startRaw((socket) =>
    socket.once('data', () => socket.write('HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: upgrade\r\n\r\n')),
  )
  cleanups.push(() => srv.close())
  const conn = await openConn(cleanups, srv.port)
  const err = await conn.request(makeRequest()).catch((e: unknown) => e)
  expect(err).toBeInstanceOf(HttpParserError)
  expect((err as HttpParserError).llhttpCode).toBe('HPE_UNEXPECTED_UPGRADE')
  expect(conn.closed).toBe(true)
})

// A name that does not resolve reaches the user as a DnsError, not a ConnectError with the
// DnsError inside (issue 10). A real DNS server on loopback answers NXDOMAIN.
import { afterAll, beforeAll, expect, it } from 'vitest'
import { CaresResolver, ConnectError, DnsError, HTTPClient, TCPConnector } from '../src/index.js'
import { startDnsServer, type TestDnsServer } from '../../resolver/test/dns-server.js'

let dns: TestDnsServer
beforeAll(async () => {
  dns = await startDnsServer({ 'known.sonic.test': { A: ['127.0.0.1'] } })
})
afterAll(() => dns.close())

it('NXDOMAIN from the nameserver → DnsError naming the host', async () => {
  await using c = new HTTPClient({ connector: new TCPConnector({ resolver: new CaresResolver({ nameservers: [dns.nameserver] }) }) })
  const err = await c.get('http://missing.sonic.test:9/').catch((e: unknown) => e)
  expect(err).toBeInstanceOf(DnsError)
  expect(err).not.toBeInstanceOf(ConnectError)
  expect((err as DnsError).hostname).toBe('missing.sonic.test')
  expect(dns.count('missing.sonic.test')).toBeGreaterThan(0)
})

// A real DNS server on a loopback UDP port for the tests (dns2's UDP server). It answers from a
// zone the test can change, counts the queries it receives, and can misbehave on purpose.
import dns2 from 'dns2'

const { Packet } = dns2

/** What the server knows about one name. Unknown names get NXDOMAIN. */
export interface ZoneEntry {
  A?: string[]
  AAAA?: string[]
  /** Record TTL in seconds. @default 300 */
  ttl?: number
  /** Never answer queries for this name. */
  silent?: boolean
  /** Answer after this many ms. */
  delay?: number
}

export interface TestDnsServer {
  readonly address: string
  readonly port: number
  /** `'127.0.0.1:5353'` or `'[::1]:5353'`, ready for `nameservers`. */
  readonly nameserver: string
  readonly zone: Map<string, ZoneEntry>
  /** Queries received for `name` (and `type`: 'A' | 'AAAA' when given). */
  count(name: string, type?: 'A' | 'AAAA'): number
  close(): Promise<void>
}

export async function startDnsServer(zone: Record<string, ZoneEntry>, address = '127.0.0.1'): Promise<TestDnsServer> {
  const entries = new Map(Object.entries(zone))
  const counts = new Map<string, number>()
  const timers = new Set<NodeJS.Timeout>()
  const server = dns2.createServer({
    udp: { type: address.includes(':') ? 'udp6' : 'udp4' },
    handle(request, send) {
      const question = request.questions[0]
      if (question === undefined) return
      const name = question.name.toLowerCase()
      const type = question.type === Packet.TYPE.AAAA ? 'AAAA' : question.type === Packet.TYPE.A ? 'A' : 'other'
      counts.set(`${type} ${name}`, (counts.get(`${type} ${name}`) ?? 0) + 1)
      const entry = entries.get(name)
      if (entry?.silent) return
      const response = Packet.createResponseFromRequest(request)
      if (entry === undefined) {
        response.header.rcode = 3 // NXDOMAIN
      } else if (type !== 'other') {
        for (const ip of entry[type] ?? []) {
          // dns2 encodes plain record objects; its types only describe parsed Resource instances.
          ;(response.answers as unknown[]).push({
            name: question.name,
            type: Packet.TYPE[type],
            class: Packet.CLASS.IN,
            ttl: entry.ttl ?? 300,
            address: ip,
          })
        }
      }
      if (entry?.delay) {
        const t = setTimeout(() => {
          timers.delete(t)
          void send(response)
        }, entry.delay)
        timers.add(t)
      } else {
        void send(response)
      }
    },
  })
  const addresses = await server.listen({ udp: { port: 0, address } })
  const port = addresses.udp!.port
  return {
    address,
    port,
    nameserver: address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`,
    zone: entries,
    count(name, type) {
      const n = name.toLowerCase()
      if (type) return counts.get(`${type} ${n}`) ?? 0
      return (counts.get(`A ${n}`) ?? 0) + (counts.get(`AAAA ${n}`) ?? 0) + (counts.get(`other ${n}`) ?? 0)
    },
    async close() {
      for (const t of timers) clearTimeout(t)
      timers.clear()
      await server.close()
    },
  }
}

/** True when this machine can listen on ::1 (IPv6 loopback configured). */
export async function hasIPv6Loopback(): Promise<boolean> {
  const net = await import('node:net')
  return new Promise((resolve) => {
    const s = net.createServer()
    s.once('error', () => resolve(false))
    s.listen(0, '::1', () => s.close(() => resolve(true)))
  })
}

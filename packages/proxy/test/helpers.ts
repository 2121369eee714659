// Shared test fixtures of the proxy tests: real servers on 127.0.0.1, certificates made with the
// openssl CLI (a test CA with a leaf for localhost/127.0.0.1), real proxy daemons started in the
// foreground (tinyproxy), and a leak check (sockets, servers, timers of src/) — the generic parts
// come from @sonic/test-utils.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { NET_HANDLES, createLeakCheck, freePort, fromSource, startDaemon, type Daemon } from '@sonic/test-utils'

export {
  freePort,
  hasCommand,
  makeCerts,
  sleep,
  start,
  startDaemon,
  until,
  type Daemon,
  type KeyPair,
  type Started,
  type TestCerts,
} from '@sonic/test-utils'

/**
 * tinyproxy on 127.0.0.1 (a free port), run in the foreground with a temporary config: only
 * 127.0.0.1 may use it, CONNECT to `connectPorts` only (all ports when empty), Basic auth when
 * `auth` is given.
 */
export async function startTinyproxy(opts: { auth?: { username: string; password: string }; connectPorts?: number[] } = {}): Promise<Daemon> {
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'sonic-tinyproxy-'))
  const lines = [
    'Listen 127.0.0.1',
    `Port ${port}`,
    'Timeout 30',
    'MaxClients 100',
    'Allow 127.0.0.1',
    'LogLevel Info',
    'DisableViaHeader Yes',
  ]
  if (opts.auth !== undefined) lines.push(`BasicAuth ${opts.auth.username} ${opts.auth.password}`)
  for (const p of opts.connectPorts ?? []) lines.push(`ConnectPort ${p}`)
  const conf = join(dir, 'tinyproxy.conf')
  writeFileSync(conf, `${lines.join('\n')}\n`)
  return startDaemon('tinyproxy', ['-d', '-c', conf], port, dir)
}

// Sockets, servers and the timers of proxy/src; no pipes (the daemons' stdio). See @sonic/test-utils.
const leaks = createLeakCheck({ ours: fromSource('proxy'), handles: NET_HANDLES })

/** Fails unless every socket, server and library timer the test made is gone (waits up to 2 s for closes). */
export const expectNoLeaks = leaks.expectNoLeaks
/**
 * Registers, for the calling test file, cleanups run in reverse after each test followed by the
 * leak check. Returns the list tests push their cleanups onto. Servers started in beforeAll are
 * part of the baseline.
 */
export const useCleanups = leaks.useCleanups

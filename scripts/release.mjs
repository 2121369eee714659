#!/usr/bin/env node
// Publishing (maintainers): `npm run release:publish` builds every package, then runs
// `changeset publish`, which publishes each package whose version is not on npm yet with
// `pnpm publish` (that turns workspace:* into real versions). pnpm lives in .tools/, not on PATH:
// this puts it there for changesets.
import { spawnSync } from 'node:child_process'
import { delimiter, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const env = {
  ...process.env,
  PATH: [join(root, '.tools', 'node_modules', '.bin'), join(root, 'node_modules', '.bin'), process.env.PATH].join(delimiter),
}
const run = (cmd, args) => spawnSync(cmd, args, { cwd: root, env, stdio: 'inherit' }).status ?? 1

let status = run(process.execPath, [join(root, 'scripts', 'run.mjs'), 'build'])
if (status === 0) status = run('changeset', ['publish', ...process.argv.slice(2)])
process.exit(status)

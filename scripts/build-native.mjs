// Builds the optional native netlink addon (native/netlink) with node-gyp against the system's Node headers.
// Run by `npm install`/`npm ci` (postinstall) and by `npm run build:native`. Never fails the install: without
// the addon the engine falls back to the ip-batch driver (loadNetlinkDriver() returns null with a reason).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = join(root, 'native', 'netlink');
const strict = process.argv.includes('--strict');

function warn(msg) {
  console.warn(`build-native: ${msg}; the netlink driver is unavailable (the ip-batch driver will be used)`);
  process.exit(strict ? 1 : 0);
}

if (process.platform !== 'linux') warn(`not Linux (${process.platform})`);
if (process.env.NETLOOM_SKIP_NATIVE === '1') warn('skipped (NETLOOM_SKIP_NATIVE=1)');

// npm tells lifecycle scripts where its bundled node-gyp is; otherwise look next to this node's npm.
const candidates = [
  process.env.npm_config_node_gyp,
  join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  join(root, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
].filter((p) => p && existsSync(p));
if (!candidates.length) warn('node-gyp not found');

// Build against the installed headers (no download): /usr/include/node, as .npmrc's nodedir=/usr says.
const nodedir = process.env.npm_config_nodedir || (existsSync('/usr/include/node/node_api.h') ? '/usr' : undefined);
const args = [candidates[0], 'rebuild', '--directory', dir, ...(nodedir ? [`--nodedir=${nodedir}`] : [])];
const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
if (r.status !== 0) {
  process.stderr.write(`${r.stdout ?? ''}${r.stderr ?? ''}`.split('\n').slice(-20).join('\n'));
  warn(`node-gyp failed (exit ${r.status ?? r.signal})`);
}
console.log('build-native: built native/netlink/build/Release/netloom_netlink.node');

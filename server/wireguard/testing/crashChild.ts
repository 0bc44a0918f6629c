/**
 * TEST SUPPORT: a stand-in for a server that owns WireGuard daemons and then dies by kill -9. It opens a
 * supervisor on STATE_DIR inside the sandbox held by SANDBOX_PID, starts a daemon for each target of
 * TARGETS_JSON (keys from the state dir's key store, no peers), prints "started PID…" and waits forever.
 * Usage: tsx crashChild.ts SANDBOX_PID STATE_DIR TARGETS_JSON
 */
import { prefixedRunner } from '../../engine/runner';
import { WireguardKeys } from '../keys';
import { WireguardSupervisor, type WireguardTarget } from '../supervisor';

const [pid, stateDir, targetsJson] = process.argv.slice(2) as [string, string, string];
const runner = prefixedRunner(['nsenter', '-t', pid, '-n', '-m', '--'], 'sandbox');
const keys = WireguardKeys.open(stateDir);
const sup = WireguardSupervisor.open({ stateDir, runner });
const pids: number[] = [];
for (const t of JSON.parse(targetsJson) as WireguardTarget[]) {
  const [node, ifname] = t.object.split('/') as [string, string];
  const d = await sup.start(t, { privateKey: keys.get(t.lab, node, ifname), peers: [] });
  pids.push(d.pid);
}
process.stdout.write(`started ${pids.join(' ')}\n`);
setInterval(() => {}, 1 << 30);

/**
 * TEST SUPPORT: the "left exactly as before" oracle. A snapshot of the runner's world: /run/netns, and per
 * namespace its links (with ifindex, aliases, masters), addresses, routes of every table and forwarding,
 * with counters, timers and address lifetimes removed. Two snapshots compare with `toEqual`.
 */
import { waitUntil } from '../../testing/wait';
import type { CommandRunner } from '../contract';
import { listNetns, splitJson } from '../observe';

const VOLATILE = /stats|timer|life_time|^tentative$|^dadfailed$|^gso_|^tso_|^gro_/;

function strip(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(strip);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (!VOLATILE.test(k)) out[k] = strip(x);
    return out;
  }
  return v;
}

export interface Snapshot {
  netns: string[];
  namespaces: Record<string, unknown>;
}

export async function snapshot(runner: CommandRunner): Promise<Snapshot> {
  const names = (await listNetns(runner)).sort();
  const namespaces: Record<string, unknown> = {};
  for (const n of ['', ...names]) {
    const r = await runner.run(['ip', ...(n ? ['-n', n] : []), '-j', '-d', '-batch', '-'], {
      stdin: 'addr show\nroute show table all\nnetconf show\n',
    });
    if (r.code !== 0) throw new Error(`snapshot of '${n}' failed: ${r.stderr}`);
    const [links, routes, netconf] = splitJson(r.stdout);
    const tc = await runner.run(['tc', ...(n ? ['-n', n] : []), '-j', 'qdisc', 'show']);
    namespaces[n || '(root)'] = strip({
      links,
      routes,
      netconf,
      qdiscs: tc.code === 0 ? splitJson(tc.stdout)[0] : null,
    });
  }
  return { netns: names, namespaces };
}

type RawLink = { ifname: string; flags?: string[]; operstate?: string; addr_info?: { tentative?: boolean }[] };

/**
 * Is the kernel's own IPv6 work done in every namespace? After links come up the kernel adds, on its own
 * schedule, each link's fe80 address (when linkwatch reports the carrier: operstate follows LOWER_UP) and,
 * once its duplicate address detection ends, the address's `local fe80::…` route. A snapshot taken before
 * that differs from one taken after in objects Netloom never made; `settledSnapshot` waits for it instead.
 */
async function kernelSettled(runner: CommandRunner): Promise<boolean> {
  for (const n of ['', ...(await listNetns(runner))]) {
    const r = await runner.run(['ip', ...(n ? ['-n', n] : []), '-j', 'addr', 'show']);
    if (r.code !== 0) return false;
    for (const l of (splitJson(r.stdout)[0] ?? []) as RawLink[]) {
      // Carrier up but linkwatch has not run yet (addrconf follows it).
      if (l.flags?.includes('LOWER_UP') && l.operstate !== 'UP' && l.operstate !== 'UNKNOWN') return false;
      if ((l.addr_info ?? []).some((a) => a.tentative)) return false;
    }
  }
  return true;
}

/** `snapshot` once the kernel's own IPv6 link-local work is done (a condition, bounded by a hang guard). */
export async function settledSnapshot(runner: CommandRunner, timeoutMs = 30_000): Promise<Snapshot> {
  await waitUntil(() => kernelSettled(runner), timeoutMs, "the kernel's IPv6 address configuration", 50);
  return snapshot(runner);
}

/** ifindex + addresses of one interface (to prove an untouched object kept its identity). */
export async function linkIdentity(
  runner: CommandRunner,
  netns: string | null,
  ifname: string,
): Promise<{ ifindex: number; addresses: string[]; alias?: string } | null> {
  const r = await runner.run(['ip', ...(netns ? ['-n', netns] : []), '-j', 'addr', 'show', 'dev', ifname]);
  if (r.code !== 0) return null;
  const [l] = (splitJson(r.stdout)[0] ?? []) as {
    ifindex: number;
    ifalias?: string;
    addr_info?: { local: string; prefixlen: number }[];
  }[];
  if (!l) return null;
  return {
    ifindex: l.ifindex,
    addresses: (l.addr_info ?? []).map((a) => `${a.local}/${a.prefixlen}`).sort(),
    ...(l.ifalias !== undefined && { alias: l.ifalias }),
  };
}

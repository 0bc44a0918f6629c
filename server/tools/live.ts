/**
 * A namespace's live kernel state for the inspector (issue #15 item 5): interfaces (`lo` first) with every
 * address, the main IPv4/IPv6 routing tables, neighbours and unicast bridge FDB entries. Three argv spawns
 * inside the node's namespace (`ip -j -batch -`, `ip -j -6 route`, `bridge -j fdb`), only after the
 * namespace's `lo` carries this lab's exact ownership marker: a namespace someone else made under the same
 * name is refused, not read. The parsers are pure (tested on recorded output).
 */
import type { LiveFdbEntry, LiveInterface, LiveNeighbour, LiveRoute, NodeLiveResponse } from '../../shared';
import type { CommandRunner } from '../engine/contract';
import { parseMarker } from '../engine/marker';
import { splitJson } from '../engine/observe';
import { AppError } from '../errors';
import { inNetns } from './exec';

const TIMEOUT_MS = 10_000;
/** A pathological namespace is not worth a huge response: the first rows say enough. */
export const LIVE_MAX_ROWS = 2000;

type Json = Record<string, unknown>;
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
const strs = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
const rows = (v: unknown): Json[] =>
  (Array.isArray(v) ? v : []).filter((x): x is Json => typeof x === 'object' && x !== null).slice(0, LIVE_MAX_ROWS);

/** `ip -j addr show` → interfaces, `lo` first, then by ifindex. */
export function parseAddrShow(doc: unknown): LiveInterface[] {
  const out = rows(doc).map((l) => {
    const linkType = str(l.link_type);
    const mac = str(l.address);
    return {
      ifname: str(l.ifname) ?? '?',
      operstate: str(l.operstate) ?? 'UNKNOWN',
      ...(linkType ? { linkType } : {}),
      ...(mac && linkType !== 'loopback' && linkType !== 'none' ? { mac } : {}),
      addresses: rows(l.addr_info).flatMap((a) => {
        const local = str(a.local);
        const len = num(a.prefixlen);
        return local !== undefined && len !== undefined ? [`${local}/${len}`] : [];
      }),
      index: num(l.ifindex) ?? 0,
    };
  });
  out.sort((a, b) => (a.linkType === 'loopback' ? -1 : b.linkType === 'loopback' ? 1 : a.index - b.index));
  return out.map(({ index: _index, ...rest }) => rest);
}

export function parseRoutes(doc: unknown, family: 4 | 6): LiveRoute[] {
  return rows(doc).map((r) => {
    const gateway = str(r.gateway);
    const dev = str(r.dev);
    const protocol = str(r.protocol);
    const scope = str(r.scope);
    const metric = num(r.metric);
    const prefsrc = str(r.prefsrc);
    return {
      family,
      dst: str(r.dst) ?? '?',
      ...(gateway ? { gateway } : {}),
      ...(dev ? { dev } : {}),
      ...(protocol ? { protocol } : {}),
      ...(scope ? { scope } : {}),
      ...(metric !== undefined ? { metric } : {}),
      ...(prefsrc ? { prefsrc } : {}),
    };
  });
}

export function parseNeighbours(doc: unknown): LiveNeighbour[] {
  return rows(doc).map((n) => {
    const lladdr = str(n.lladdr);
    return { address: str(n.dst) ?? '?', dev: str(n.dev) ?? '?', ...(lladdr ? { lladdr } : {}), state: strs(n.state) };
  });
}

/** Unicast entries only: every interface also lists its multicast groups (33:33:…, 01:00:5e:…), which teach nothing here. */
export function parseFdb(doc: unknown): LiveFdbEntry[] {
  return rows(doc).flatMap((e) => {
    const mac = str(e.mac);
    if (!mac || (Number.parseInt(mac.slice(0, 2), 16) & 1) === 1) return [];
    const master = str(e.master);
    const vlan = num(e.vlan);
    const dst = str(e.dst);
    const state = str(e.state);
    return [
      {
        mac,
        dev: str(e.ifname) ?? '?',
        ...(master ? { master } : {}),
        ...(vlan !== undefined ? { vlan } : {}),
        ...(dst ? { dst } : {}),
        flags: strs(e.flags),
        ...(state ? { state } : {}),
      },
    ];
  });
}

const parseOrNull = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
};

/** Reads node `nodeId`'s namespace `netns` of lab `lab`; refuses a namespace this lab does not own. */
export async function readLive(
  runner: CommandRunner,
  lab: string,
  nodeId: string,
  netns: string,
): Promise<NodeLiveResponse> {
  const [batch, route6, fdb] = await Promise.all([
    runner.run(inNetns(netns, ['ip', '-j', '-batch', '-']), {
      // `addr show` leaves the alias out; `link show` has it (the marker).
      stdin: 'link show dev lo\naddr show\nroute show table main\nneigh show\n',
      timeoutMs: TIMEOUT_MS,
    }),
    runner.run(inNetns(netns, ['ip', '-j', '-6', 'route', 'show', 'table', 'main']), { timeoutMs: TIMEOUT_MS }),
    runner.run(inNetns(netns, ['bridge', '-j', 'fdb', 'show']), { timeoutMs: TIMEOUT_MS }),
  ]);
  if (batch.code !== 0 && !batch.stdout.trim())
    throw new AppError(
      'NotFound',
      `namespace "${netns}" of node "${nodeId}" cannot be read (is the lab applied?): ${batch.stderr.trim().slice(0, 200)}`,
    );
  const [lo, addrs, routes4, neigh] = splitJson(batch.stdout);
  const ifaces = parseAddrShow(addrs);
  const marker = parseMarker(str(rows(lo)[0]?.ifalias));
  if (marker?.lab !== lab || marker.object !== nodeId)
    throw new AppError('Conflict', `namespace "${netns}" is not the one lab "${lab}" made for node "${nodeId}"`);
  return {
    node: nodeId,
    netns,
    readAt: new Date().toISOString(),
    interfaces: ifaces,
    routes: [...parseRoutes(routes4, 4), ...(route6.code === 0 ? parseRoutes(parseOrNull(route6.stdout), 6) : [])],
    neighbours: parseNeighbours(neigh),
    fdb: fdb.code === 0 ? parseFdb(parseOrNull(fdb.stdout)) : [],
  };
}

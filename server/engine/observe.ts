/**
 * observe(runner) → ObservedState: the root namespace and every named namespace, read with `ip -j`
 * (links + addresses + counters, routes of both families, forwarding, nsid map) — ONE `ip -batch` process per
 * namespace, run with bounded concurrency. Veth peers are resolved across namespaces. Read-only: never
 * changes anything; never screen-scrapes (JSON only).
 */

import { mapLimit } from '../util/mapLimit';
import type { CommandRunner } from './contract';
import { DEFAULT_QDISCS, proxyArpKey, RP_FILTER_VALUES, rpFilterKey } from './decodeRules';
import { canonicalCidr, canonicalIp } from './desired';
import { fanout } from './fanout';
import { linkKind } from './kinds';
import { aliasToMarker, parseMarker } from './marker';

import type {
  NetnsRef,
  ObservedLink,
  ObservedNetns,
  ObservedNftTable,
  ObservedRoute,
  ObservedState,
  PortVlanEntry,
} from './types';

export class ObserveError extends Error {
  constructor(
    message: string,
    readonly argv: string[],
    readonly stderr: string,
  ) {
    super(message);
  }
}

/** Concatenated JSON documents (what `ip -j -batch` prints: one array per command) → values. */
export function splitJson(text: string): unknown[] {
  const out: unknown[] = [];
  let depth = 0;
  let start = -1;
  let inStr = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inStr) {
      if (c === '\\') i++;
      else if (c === '"') inStr = false;
      continue;
    }
    if (c === '"') inStr = true;
    else if (c === '[' || c === '{') {
      if (depth === 0) start = i;
      depth++;
    } else if (c === ']' || c === '}') {
      depth--;
      if (depth === 0 && start >= 0) {
        out.push(JSON.parse(text.slice(start, i + 1)));
        start = -1;
      }
    }
  }
  return out;
}

type J = Record<string, unknown>;
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

interface RawNetns {
  ns: ObservedNetns;
  /** Owned links with a tbf/netem root qdisc whose parameters still need a `tc` read. */
  needsTc?: boolean;
  /** An owned VLAN-filtering bridge: its ports' VLANs still need a `bridge vlan` read. */
  needsVlans?: boolean;
  /** ifindex → lower device (of a decoded `attachment`) in another namespace (resolved like veth peers). */
  lowerRefs?: Map<number, { nsid: number; index: number }>;
  /** ifindex → veth peer reference as seen from this namespace. */
  vethRefs: Map<number, { nsid: number | null; peerIndex: number }>;
  /** nsid → name as seen from this namespace (root has no name: undefined). */
  nsids: Map<number, string | undefined>;
}

/** What observe() asks of every namespace (one batch); the driver appends it to final batches too. */
export const OBSERVE_BATCH = 'addr show\nroute show table all\nnetconf show\nnetns list-id\n';

export const OBSERVE_FLAGS = ['-j', '-d', '-s'];
const BATCH = OBSERVE_BATCH;
const FLAGS = OBSERVE_FLAGS;

async function observeRoot(runner: CommandRunner): Promise<RawNetns> {
  const argv = ['ip', ...FLAGS, '-batch', '-'];
  const r = await runner.run(argv, { stdin: BATCH, timeoutMs: 30_000 });
  if (r.code !== 0) throw new ObserveError('cannot read the root namespace', argv, r.stderr);
  return parseNetns(null, r.stdout);
}

/** Parses the four JSON documents printed by BATCH. Incomplete output means "could not read": null. */
export function parseNetns(name: NetnsRef, stdout: string): RawNetns {
  const docs = splitJson(stdout);
  if (docs.length < 4 || !docs.every(Array.isArray))
    throw new ObserveError(`unreadable output for ${name ?? 'root'}`, [], '');
  const [links = [], routes = [], netconf = [], listId = []] = docs as J[][];
  const vethRefs = new Map<number, { nsid: number | null; peerIndex: number }>();
  const lowerRefs = new Map<number, { nsid: number; index: number }>();
  const sameLower: [ObservedLink, string][] = [];
  const sameNsPeers: [number, string][] = [];
  const observedLinks: ObservedLink[] = [];
  for (const l of links) {
    const ifindex = num(l.ifindex) ?? 0;
    const ifname = str(l.ifname) ?? '';
    const linkinfo = (l.linkinfo ?? {}) as J;
    const flags = (Array.isArray(l.flags) ? l.flags : []) as string[];
    const kind = str(linkinfo.info_kind) ?? (str(l.link_type) === 'loopback' ? 'loopback' : (str(l.link_type) ?? ''));
    const rawAlias = str(l.ifalias);
    const alias = rawAlias === undefined ? undefined : aliasToMarker(rawAlias);
    const addrs = ((Array.isArray(l.addr_info) ? l.addr_info : []) as J[])
      .filter((a) => a.scope === 'global' && (a.family === 'inet' || a.family === 'inet6'))
      .map((a) => canonicalCidr(`${str(a.local)}/${num(a.prefixlen)}`));
    const stats = (l.stats64 ?? {}) as J as { rx?: J; tx?: J };
    const link: ObservedLink = {
      netns: name,
      ifindex,
      ifname,
      kind,
      ...(alias !== undefined && { alias }),
      marker: parseMarker(alias),
      adminUp: flags.includes('UP'),
      operstate: str(l.operstate) ?? 'UNKNOWN',
      mtu: num(l.mtu) ?? 0,
      ...(str(l.address) !== undefined && { mac: str(l.address)!.toLowerCase() }),
      ...(str(l.master) !== undefined && { master: str(l.master) }),
      addresses: addrs,
      ...(stats.rx &&
        stats.tx && {
          counters: {
            rxBytes: num(stats.rx.bytes) ?? 0,
            txBytes: num(stats.tx.bytes) ?? 0,
            rxPackets: num(stats.rx.packets) ?? 0,
            txPackets: num(stats.tx.packets) ?? 0,
          },
        }),
      ...(kind === 'bridge' && {
        stp:
          num(((linkinfo.info_data ?? {}) as J).stp_state) !== undefined
            ? num(((linkinfo.info_data ?? {}) as J).stp_state) !== 0
            : false,
      }),
    };
    const info = (linkinfo.info_data ?? {}) as J;
    // An attached kind's own fields: its module decodes them (kinds/: `decode`).
    const decode = linkKind(kind)?.decode;
    if (decode) Object.assign(link, decode.ip(info));
    if (kind === 'tun' && str(info.type) !== undefined) link.tunType = str(info.type);
    if (kind === 'bridge' && num(info.vlan_filtering) !== undefined)
      link.vlanFiltering = num(info.vlan_filtering) === 1;
    if (link.attachment) {
      // Lower device in the same namespace: `link` names it; elsewhere: `link_index` + `link_netnsid`.
      const same = str(l.link);
      const idx = num(l.link_index);
      const nsid = num(l.link_netnsid);
      if (same !== undefined) sameLower.push([link, same]);
      else if (idx !== undefined && nsid !== undefined) lowerRefs.set(ifindex, { nsid, index: idx });
    }
    const qdisc = str(l.qdisc);
    if (qdisc !== undefined && !DEFAULT_QDISCS.has(qdisc)) link.qdisc = { kind: qdisc };
    if (kind === 'veth') {
      const peerIndex = num(l.link_index);
      if (peerIndex !== undefined) {
        vethRefs.set(ifindex, { nsid: num(l.link_netnsid) ?? null, peerIndex });
      } else if (str(l.link) !== undefined && num(l.link_netnsid) === undefined) {
        // Both ends in this namespace: iproute2 names the peer instead of giving its index.
        sameNsPeers.push([ifindex, str(l.link)!]);
      }
      link.peer = null; // resolved below
    }
    observedLinks.push(link);
  }
  for (const [ifindex, peerName] of sameNsPeers) {
    const peer = observedLinks.find((x) => x.ifname === peerName && x.kind === 'veth');
    if (peer) vethRefs.set(ifindex, { nsid: null, peerIndex: peer.ifindex });
  }
  const observedRoutes: ObservedRoute[] = [];
  for (const r of routes) {
    const table = str(r.table) ?? 'main';
    if (table !== 'main' || (str(r.type) ?? 'unicast') !== 'unicast') continue;
    const dst = str(r.dst) ?? '';
    const gw = str(r.gateway);
    const family: 4 | 6 = dst.includes(':') || gw?.includes(':') || 'pref' in r ? 6 : 4;
    const to =
      dst === 'default' ? 'default' : canonicalCidr(dst.includes('/') ? dst : `${dst}/${family === 4 ? 32 : 128}`);
    observedRoutes.push({
      family,
      to,
      ...(gw !== undefined && { via: canonicalIp(gw) }),
      ...(str(r.dev) !== undefined && { dev: str(r.dev) }),
      ...(num(r.metric) !== undefined && { metric: num(r.metric) }),
      ...(str(r.protocol) !== undefined && { protocol: str(r.protocol) }),
    });
  }
  const fwd = (family: string) =>
    netconf.find((c) => c.family === family && c.interface === 'all')?.forwarding === true;
  const nsids = new Map<number, string | undefined>();
  for (const e of listId) {
    const id = num(e.nsid);
    if (id !== undefined) nsids.set(id, str(e.name));
  }
  const lo = observedLinks.find((l) => l.ifname === 'lo');
  const needsTc = observedLinks.some((l) => l.marker !== null && TC_QDISCS.has(l.qdisc?.kind ?? ''));
  for (const [link, lowerName] of sameLower) {
    const lower = observedLinks.find((x) => x.ifname === lowerName);
    if (lower && link.attachment)
      link.attachment.parent = { netns: name, ifname: lower.ifname, ifindex: lower.ifindex };
  }
  const needsVlans = observedLinks.some(isVlanBridge);
  return {
    ...(needsTc && { needsTc }),
    ...(needsVlans && { needsVlans }),
    ...(lowerRefs.size && { lowerRefs }),
    ns: {
      name,
      marker: name === null ? null : (lo?.marker ?? null),
      forwarding: fwd('inet') && fwd('inet6'),
      ipv4Forward: fwd('inet'),
      sysctls: netconfSysctls(netconf),
      links: observedLinks,
      routes: observedRoutes,
    },
    vethRefs,
    nsids,
  };
}

/** A VLAN-filtering bridge Netloom owns: its ports' VLANs are read (`bridge -j vlan show`). */
export const isVlanBridge = (l: ObservedLink): boolean =>
  l.kind === 'bridge' && l.vlanFiltering === true && l.marker !== null;

/**
 * `bridge -j vlan show` of one namespace → `vlans` of the ports of our VLAN-filtering bridges (sorted by
 * vid; ranges `vlan`…`vlanEnd` expanded). The bridges themselves (`self` entries) are not reported.
 */
export function applyBridgeVlans(ns: ObservedNetns, stdout: string): void {
  const bridges = new Set(ns.links.filter(isVlanBridge).map((l) => l.ifname));
  const list = (splitJson(stdout)[0] ?? []) as J[];
  const byName = new Map<string, J[]>();
  for (const e of list) {
    const n = str(e.ifname);
    if (n !== undefined && Array.isArray(e.vlans)) byName.set(n, e.vlans as J[]);
  }
  for (const l of ns.links) {
    if (l.master === undefined || !bridges.has(l.master)) continue;
    const out: PortVlanEntry[] = [];
    for (const v of byName.get(l.ifname) ?? []) {
      const from = num(v.vlan);
      if (from === undefined) continue;
      const to = num(v.vlanEnd) ?? from;
      const flags = Array.isArray(v.flags) ? (v.flags as unknown[]) : [];
      for (let vid = from; vid <= to; vid++)
        out.push({ vid, pvid: flags.includes('PVID'), untagged: flags.includes('Egress Untagged') });
    }
    l.vlans = out.sort((a, b) => a.vid - b.vid);
  }
}

/** Root qdisc kinds the kernel picks by itself: not reported (an interface "has no impairment"). */
/** Kinds whose parameters observe() reads with `tc` (on owned interfaces only). */
const TC_QDISCS = new Set(['tbf', 'netem']);

/**
 * `tc -j qdisc show` of one namespace → parameters of the tbf/netem root qdiscs, merged into its links.
 * One extra process, only for namespaces whose owned interfaces carry such a qdisc (seen in `ip link`).
 */
export function applyTcQdiscs(ns: ObservedNetns, stdout: string): void {
  const list = (splitJson(stdout)[0] ?? []) as J[];
  for (const q of list) {
    if (q.root !== true) continue;
    const link = ns.links.find((l) => l.ifname === str(q.dev));
    if (!link) continue;
    const kind = str(q.kind) ?? '';
    if (DEFAULT_QDISCS.has(kind)) {
      delete link.qdisc;
      continue;
    }
    link.qdisc = { kind, ...parseQdiscOptions(kind, (q.options ?? {}) as J) };
  }
}

/** tbf: rate in bytes/s, burst in bytes, lat in µs. netem: seconds and fractions (best effort). */
export function parseQdiscOptions(kind: string, o: J): Record<string, number> {
  const out: Record<string, number> = {};
  if (kind === 'tbf') {
    const rate = num(o.rate) ?? num(o.rate64);
    if (rate !== undefined) out.rateKbit = Math.round((rate * 8) / 1000);
    const burst = num(o.burst);
    if (burst !== undefined) out.burstBytes = burst;
    const lat = num(o.lat);
    if (lat !== undefined) out.latencyMs = Math.round(lat / 1000);
    return out;
  }
  if (kind === 'netem') {
    const sub = (k: string) => (o[k] && typeof o[k] === 'object' ? (o[k] as J) : {});
    const delay = num(sub('delay').delay);
    if (delay !== undefined && delay > 0) out.delayMs = Math.round(delay * 1e6) / 1e3;
    const jitter = num(sub('delay').jitter);
    if (jitter !== undefined && jitter > 0) out.jitterMs = Math.round(jitter * 1e6) / 1e3;
    const pct = (k: string, f: string) => {
      const v = num(sub(k)[f]);
      return v === undefined || v === 0 ? undefined : Math.round(v * 1e6) / 1e4;
    };
    const loss = pct('loss-random', 'loss');
    if (loss !== undefined) out.lossPct = loss;
    const dup = pct('duplicate', 'duplicate');
    if (dup !== undefined) out.duplicatePct = dup;
    const corrupt = pct('corrupt', 'corrupt');
    if (corrupt !== undefined) out.corruptPct = corrupt;
    const rate = num(sub('rate').rate);
    if (rate !== undefined && rate > 0) out.rateKbit = Math.round((rate * 8) / 1000);
  }
  return out;
}

/** rp_filter and proxy_arp of `all` and `default` (IPv4), as sysctl values, from `netconf show`. */
function netconfSysctls(netconf: J[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const c of netconf) {
    const scope = str(c.interface);
    if (c.family !== 'inet' || (scope !== 'all' && scope !== 'default')) continue;
    const rp = RP_FILTER_VALUES[str(c.rp_filter) ?? ''];
    if (rp !== undefined) out[rpFilterKey(scope)] = rp;
    if (typeof c.proxy_neigh === 'boolean') out[proxyArpKey(scope)] = c.proxy_neigh ? '1' : '0';
  }
  return out;
}

export const OBSERVE_CONCURRENCY = 8;

/** Names under /run/netns (as `ip netns` sees them in the runner's world). */
export async function listNetns(runner: CommandRunner): Promise<string[]> {
  const argv = ['ip', '-j', 'netns', 'list'];
  const r = await runner.run(argv, { timeoutMs: 30_000 });
  if (r.code !== 0) throw new ObserveError('cannot list network namespaces', argv, r.stderr);
  const docs = splitJson(r.stdout);
  const list = (docs[0] ?? []) as J[];
  return list.map((e) => str(e.name)).filter((n): n is string => n !== undefined);
}

/** One namespace as the ip decoder read it (typed; what a partial re-observation reuses). */
export type NetnsRead = RawNetns;

export interface ObserveOptions {
  /**
   * Partial re-observation (verify): read the root, these namespaces, the namespaces linked to them by a
   * veth (in `base`) and any namespace `base` did not know; take every other one from `baseReads`. Only
   * valid when nothing but the caller has changed those others since `base` was read.
   */
  only?: Iterable<string>;
  base?: ObservedState;
  /** The per-namespace reads behind `base` (readHost()'s `reads`). */
  baseReads?: ReadonlyMap<NetnsRef, NetnsRead>;
  /** Namespaces already read after their last change (the ip-batch driver's read-back), decoded. */
  prefetched?: ReadonlyMap<string, NetnsRead>;
}

export async function observe(runner: CommandRunner, opts: ObserveOptions = {}): Promise<ObservedState> {
  return (await readHost(runner, opts)).state;
}

/** observe(), plus the per-namespace reads behind it (for a later partial re-observation). */
export async function readHost(
  runner: CommandRunner,
  opts: ObserveOptions = {},
): Promise<{ state: ObservedState; reads: Map<NetnsRef, NetnsRead> }> {
  const names = await listNetns(runner);
  const baseRaw = opts.base ? opts.baseReads : undefined;
  let toRead = names;
  if (opts.only && opts.base && baseRaw) {
    const want = new Set(opts.only);
    // Veth side effects cross namespaces (deleting one end deletes the other): widen by one peer hop.
    for (const ns of [opts.base.root, ...Object.values(opts.base.namespaces)])
      for (const l of ns.links) {
        if (l.peer && l.peer.netns !== null && ns.name !== null && (want.has(ns.name) || want.has(l.peer.netns))) {
          want.add(ns.name);
          want.add(l.peer.netns);
        }
      }
    toRead = names.filter((n) => want.has(n) || !baseRaw.has(n));
  }
  const pre = opts.prefetched ?? new Map<string, NetnsRead>();
  const [root, fan, nft] = await Promise.all([
    observeRoot(runner),
    fanout(runner, new Map(toRead.filter((n) => !pre.has(n)).map((n) => [n, BATCH])), FLAGS, { timeoutMs: 60_000 }),
    observeNft(runner),
  ]);
  const byName = new Map<NetnsRef, RawNetns>([[null, root]]);
  const readSet = new Set(toRead);
  for (const n of names) {
    if (!readSet.has(n)) {
      const b = baseRaw?.get(n);
      if (b) byName.set(n, structuredClone(b));
      continue;
    }
    const got = pre.get(n);
    if (got) {
      byName.set(n, got);
      continue;
    }
    const text = fan.outputs.get(n);
    // A namespace deleted between the listing and its read is simply gone; a garbled one is read again.
    if (text === undefined) continue;
    try {
      byName.set(n, parseNetns(n, text));
    } catch {
      const again = await runner.run(['ip', '-n', n, ...FLAGS, '-batch', '-'], { stdin: BATCH, timeoutMs: 30_000 });
      if (again.code === 0) byName.set(n, parseNetns(n, again.stdout));
    }
  }
  // Peers: the nsid map of the namespace holding the end names the other namespace (no name = the root,
  // which is not under /run/netns); a peer only counts if it points back at us.
  for (const raw of byName.values()) {
    for (const link of raw.ns.links) {
      const ref = raw.vethRefs.get(link.ifindex);
      if (!ref) continue;
      const candidates: NetnsRef[] =
        ref.nsid === null
          ? [raw.ns.name]
          : raw.nsids.has(ref.nsid) && raw.nsids.get(ref.nsid) !== undefined
            ? [raw.nsids.get(ref.nsid)!]
            : [null];
      for (const c of candidates) {
        const other = byName.get(c);
        const peer = other?.ns.links.find((l) => l.ifindex === ref.peerIndex && l.kind === 'veth');
        const back = peer && other!.vethRefs.get(peer.ifindex);
        if (peer && back && back.peerIndex === link.ifindex) {
          link.peer = { netns: c, ifname: peer.ifname, ifindex: peer.ifindex };
          break;
        }
      }
    }
  }
  // Lower devices (of a decoded `attachment`) in another namespace: this namespace's nsid names it (no name: the root). Only the
  // root and the same namespace are resolved (what observeNetlink resolves too).
  for (const raw of byName.values()) {
    for (const [ifindex, ref] of raw.lowerRefs ?? []) {
      const link = raw.ns.links.find((l) => l.ifindex === ifindex);
      // As for veth peers: an nsid with no name (or none listed) is the root.
      if (!link?.attachment || raw.nsids.get(ref.nsid) !== undefined) continue;
      const lower = root.ns.links.find((l) => l.ifindex === ref.index);
      if (lower && raw.ns.name !== null)
        link.attachment.parent = { netns: null, ifname: lower.ifname, ifindex: lower.ifindex };
    }
  }
  // Ports of our VLAN-filtering bridges: one `bridge vlan` read per namespace that has one.
  await mapLimit(
    [...byName.values()].filter((r) => r.needsVlans),
    OBSERVE_CONCURRENCY,
    async (raw) => {
      const n = raw.ns.name;
      const r = await runner.run(['bridge', ...(n === null ? [] : ['-n', n]), '-j', 'vlan', 'show'], {
        timeoutMs: 30_000,
      });
      if (r.code === 0) {
        applyBridgeVlans(raw.ns, r.stdout);
        delete raw.needsVlans;
      }
    },
  );
  // Impairment parameters: one `tc` read per namespace that has an owned interface with a tbf/netem qdisc.
  await mapLimit(
    [...byName.values()].filter((r) => r.needsTc),
    OBSERVE_CONCURRENCY,
    async (raw) => {
      const n = raw.ns.name;
      const r = await runner.run(['tc', ...(n === null ? [] : ['-n', n]), '-j', 'qdisc', 'show'], {
        timeoutMs: 30_000,
      });
      if (r.code === 0) {
        applyTcQdiscs(raw.ns, r.stdout);
        delete raw.needsTc;
      }
    },
  );
  const namespaces: Record<string, ObservedNetns> = {};
  for (const n of names) {
    const r = byName.get(n);
    if (r) namespaces[n] = r.ns;
  }
  const state: ObservedState = { root: root.ns, namespaces, ...(nft && { nft }) };
  return { state, reads: byName };
}

// ---------------------------------------------------------------------------------------------------
// nftables (root namespace only): tables named `netloom_*`, each read for its masquerade rule.

/** `nft -j list tables`, then one `nft -j list table ip NAME` per `netloom_*` table; undefined without nft. */
export async function observeNft(runner: CommandRunner): Promise<ObservedNftTable[] | undefined> {
  const r = await runner.run(['nft', '-j', 'list', 'tables'], { timeoutMs: 30_000 });
  if (r.code !== 0) return undefined;
  const names = nftItems(r.stdout)
    .map((i) => i.table as J | undefined)
    .filter((t): t is J => t !== undefined && str(t.family) === 'ip' && (str(t.name) ?? '').startsWith('netloom_'))
    .map((t) => str(t.name)!);
  const out: ObservedNftTable[] = [];
  for (const name of names) {
    const t = await runner.run(['nft', '-j', 'list', 'table', 'ip', name], { timeoutMs: 30_000 });
    if (t.code === 0) out.push(parseNftTable(name, t.stdout));
  }
  return out;
}

function nftItems(stdout: string): J[] {
  const doc = splitJson(stdout)[0] as { nftables?: J[] } | undefined;
  return Array.isArray(doc?.nftables) ? doc.nftables : [];
}

const NAT_COMMENT = /^(netloom:[^ ]+) ipfwd=([01])$/;

/** Our table: the rule with a `masquerade` and a marker comment gives owner, saved ip_forward and sources. */
export function parseNftTable(name: string, stdout: string): ObservedNftTable {
  const table: ObservedNftTable = { family: 'ip', name, marker: null, sources: [] };
  for (const item of nftItems(stdout)) {
    const rule = item.rule as J | undefined;
    if (!rule || !Array.isArray(rule.expr)) continue;
    const expr = rule.expr as J[];
    if (!expr.some((e) => 'masquerade' in e)) continue;
    const m = NAT_COMMENT.exec(str(rule.comment) ?? '');
    const marker = m ? parseMarker(m[1]) : null;
    if (!marker) continue;
    table.marker = marker;
    table.ipForwardWas = m![2] === '1' ? 1 : 0;
    const saddr = expr
      .map((e) => e.match as J | undefined)
      .find((x) => x && str(x.op) === '==' && str(((x.left as J)?.payload as J)?.field) === 'saddr');
    const right = saddr?.right;
    const items =
      right && typeof right === 'object' && Array.isArray((right as J).set) ? ((right as J).set as unknown[]) : [right];
    table.sources = items
      .map((v) => {
        if (typeof v === 'string') return canonicalCidr(v.includes('/') ? v : `${v}/32`);
        const p = (v as J | undefined)?.prefix as J | undefined;
        return p ? canonicalCidr(`${str(p.addr)}/${num(p.len)}`) : undefined;
      })
      .filter((x): x is string => x !== undefined)
      .sort();
    break;
  }
  return table;
}

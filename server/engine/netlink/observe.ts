/**
 * observeNetlink(): the same ObservedState as observe() (server/engine/observe.ts), read from ONE agent
 * process over rtnetlink instead of one `ip -j -batch` process per namespace. The agent enters every
 * namespace under /run/netns on a couple of threads, opens a NETLINK_ROUTE socket there, dumps links (with
 * IFLA_STATS64), addresses, routes, netconf and asks the nsid of its own (root) namespace, then closes the
 * socket at once (a held fd would keep a deleted namespace alive). Only the link attributes we use cross the
 * pipe. Veth peers are resolved across namespaces from IFLA_LINK + IFLA_LINK_NETNSID: exactly for every pair
 * with an end in the root namespace (the child's nsid of the root is known), by ifindex pairs otherwise, and
 * from the kernel's nsid translation tables when several candidates remain (nsidTables(): linear; per
 * candidate pair as the fallback). Read-only, except that the root namespace may get an nsid assigned for
 * a named namespace (see nsidTables()).
 *
 * Mirrors observe()'s choices on purpose (the kernel test deep-equals both): alias `.0/.1` → `#0/#1`,
 * global-scope addresses only, main-table unicast routes with the protocol name, forwarding = IPv4 and IPv6
 * `all` both on, non-default root qdisc kinds (tbf/netem parameters read with `tc`, as observe() does),
 * and — like `ip -j`, which prints no `link_index` for a veth whose peer is in the same namespace — no peer
 * for same-namespace veth pairs.
 */
import type { CommandRunner } from '../contract';
import { DEFAULT_QDISCS, proxyArpKey, rpFilterKey } from '../decodeRules';
import { canonicalCidr, canonicalIp } from '../desired';
import { linkKind } from '../kinds';
import { aliasToMarker, parseMarker } from '../marker';
import { applyBridgeVlans, applyTcQdiscs, isVlanBridge, observeNft } from '../observe';
import type { NetnsRef, ObservedLink, ObservedNetns, ObservedRoute, ObservedState } from '../types';
import { type Action, Agent } from './agentProcess';
import {
  type AddrRecord,
  AF_INET,
  AF_INET6,
  dumpAddrs,
  dumpLinksFull,
  dumpNsids,
  dumpRoutes,
  type Encoded,
  getNetconf,
  getNsid,
  ipText,
  type LinkRecord,
  NETCONFA_IFINDEX_ALL,
  NETCONFA_IFINDEX_DEFAULT,
  NLMSG_DONE,
  NLMSG_ERROR,
  newNsidAuto,
  OBSERVE_LINK_ATTRS,
  parseAddrRecord,
  parseAttrs,
  parseError,
  parseLinkRecord,
  parseNetconfRecord,
  parseNsidEntry,
  parseNsidReply,
  parseReplies,
  parseRouteRecord,
  type RouteRecord,
  RT_TABLE_MAIN,
  RTM_NEWADDR,
  RTM_NEWLINK,
  RTM_NEWNETCONF,
  RTM_NEWNSID,
  RTM_NEWROUTE,
  RTN_UNICAST,
} from './messages';

export class NetlinkObserveError extends Error {}

// ------------------------------------------------------------------------------------------------------
// iproute2's names for numbers (what `ip -j` prints and observe() therefore stores)

const OPERSTATES = ['UNKNOWN', 'NOTPRESENT', 'DOWN', 'LOWERLAYERDOWN', 'TESTING', 'DORMANT', 'UP'];

/** lib/ll_types.c (the ARPHRD_* types a Linux host can show). */
const LINK_TYPES = new Map<number, string>([
  [0, 'netrom'],
  [1, 'ether'],
  [2, 'eether'],
  [3, 'ax25'],
  [4, 'pronet'],
  [5, 'chaos'],
  [6, 'ieee802'],
  [7, 'arcnet'],
  [8, 'atalk'],
  [15, 'dlci'],
  [19, 'atm'],
  [23, 'metricom'],
  [24, 'ieee1394'],
  [27, 'eui64'],
  [32, 'infiniband'],
  [256, 'slip'],
  [257, 'cslip'],
  [258, 'slip6'],
  [259, 'cslip6'],
  [260, 'rsrvd'],
  [264, 'adapt'],
  [270, 'rose'],
  [271, 'x25'],
  [272, 'hwx25'],
  [280, 'can'],
  [512, 'ppp'],
  [513, 'hdlc'],
  [516, 'lapb'],
  [517, 'ddcmp'],
  [518, 'rawhdlc'],
  [519, 'rawip'],
  [768, 'ipip'],
  [769, 'tunnel6'],
  [770, 'frad'],
  [771, 'skip'],
  [772, 'loopback'],
  [773, 'localtlk'],
  [774, 'fddi'],
  [775, 'bif'],
  [776, 'sit'],
  [777, 'ip/ddp'],
  [778, 'gre'],
  [779, 'pimreg'],
  [780, 'hippi'],
  [781, 'ash'],
  [782, 'econet'],
  [783, 'irda'],
  [784, 'fcpp'],
  [785, 'fcal'],
  [786, 'fcpl'],
  [787, 'fcfb'],
  [800, 'tr'],
  [801, 'tr+'],
  [802, 'ieee802.11'],
  [803, 'ieee802.11/prism'],
  [804, 'ieee802.11/radiotap'],
  [820, 'ieee802.15.4'],
  [821, 'ieee802.15.4/monitor'],
  [823, 'gre6'],
  [824, 'netlink'],
  [825, '6lowpan'],
  [0xfffe, 'none'],
  [0xffff, 'void'],
]);
export const linkTypeName = (t: number): string => LINK_TYPES.get(t) ?? `[${t}]`;

/** lib/rt_names.c rtnl_rtprot_tab. */
const PROTOCOLS = new Map<number, string>([
  [0, 'unspec'],
  [1, 'redirect'],
  [2, 'kernel'],
  [3, 'boot'],
  [4, 'static'],
  [8, 'gated'],
  [9, 'ra'],
  [10, 'mrt'],
  [11, 'zebra'],
  [12, 'bird'],
  [13, 'dnrouted'],
  [14, 'xorp'],
  [15, 'ntk'],
  [16, 'dhcp'],
  [18, 'keepalived'],
  [42, 'babel'],
  [99, 'openr'],
  [186, 'bgp'],
  [187, 'isis'],
  [188, 'ospf'],
  [189, 'rip'],
  [192, 'eigrp'],
]);
export const protocolName = (p: number): string => PROTOCOLS.get(p) ?? String(p);

/** ll_addr_n2a: tunnels' "hardware" addresses are IP addresses; everything else hex pairs. */
export function linkAddressText(b: Buffer, type: number): string {
  if (b.length === 4 && (type === 768 || type === 776 || type === 778)) return ipText(b);
  if (b.length === 16 && (type === 769 || type === 823)) return canonicalIp(ipText(b));
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');
}

/** Root qdisc kinds the kernel picks by itself (as observe.ts): not reported. */
const TC_QDISCS = new Set(['tbf', 'netem']);

// ------------------------------------------------------------------------------------------------------
// Decoding one namespace's replies

export interface RawNetlinkNetns {
  ns: ObservedNetns;
  /** ifindex → the kernel's veth reference (only ends with IFLA_LINK_NETNSID: another namespace). */
  vethRefs: Map<number, { nsid: number; peerIndex: number }>;
  /** This namespace's id for the root namespace (-1: none assigned; undefined: not asked). */
  rootNsid?: number;
  needsTc?: boolean;
  /** An owned VLAN-filtering bridge: its ports' VLANs are read with `bridge vlan` (as observe() does). */
  needsVlans?: boolean;
  /** ifindex → lower device (of a decoded `attachment`) in another namespace (nsid as seen from here). */
  lowerRefs?: Map<number, { nsid: number; index: number }>;
}

/** The requests behind one observation, as sent to every namespace (one at a time per socket). */
export function observeRequest(): Encoded {
  return concatEncoded([
    dumpLinksFull(1),
    dumpAddrs(2),
    dumpRoutes(3),
    getNetconf(4, AF_INET, NETCONFA_IFINDEX_ALL),
    getNetconf(5, AF_INET, NETCONFA_IFINDEX_DEFAULT),
    getNetconf(6, AF_INET6, NETCONFA_IFINDEX_ALL),
    getNsid(7, null),
  ]);
}

/** Messages back to back, their fd slots moved to the new offsets. */
function concatEncoded(parts: Encoded[]): Encoded {
  const fdSlots: Encoded['fdSlots'] = [];
  let off = 0;
  for (const p of parts) {
    for (const s of p.fdSlots) fdSlots.push({ offset: off + s.offset, netns: s.netns });
    off += p.buf.length;
  }
  return { buf: Buffer.concat(parts.map((p) => p.buf)), fdSlots };
}

/** Replies of one namespace (links, addresses, routes, netconf, nsid of the root) → its observation. */
export function decodeNetns(name: NetnsRef, replies: Buffer): RawNetlinkNetns {
  const links: LinkRecord[] = [];
  const addrs: AddrRecord[] = [];
  const routes: RouteRecord[] = [];
  const fwd = new Map<number, boolean>();
  const sysctls: Record<string, string> = {};
  let rootNsid: number | undefined;
  for (const r of parseReplies(replies)) {
    switch (r.type) {
      case RTM_NEWLINK:
        links.push(parseLinkRecord(r));
        break;
      case RTM_NEWADDR:
        addrs.push(parseAddrRecord(r));
        break;
      case RTM_NEWROUTE:
        routes.push(parseRouteRecord(r));
        break;
      case RTM_NEWNETCONF: {
        const c = parseNetconfRecord(r);
        if (c.ifindex === NETCONFA_IFINDEX_ALL && c.forwarding !== undefined) fwd.set(c.family, c.forwarding !== 0);
        const scope =
          c.ifindex === NETCONFA_IFINDEX_ALL ? 'all' : c.ifindex === NETCONFA_IFINDEX_DEFAULT ? 'default' : null;
        if (c.family === AF_INET && scope) {
          // As observe(): rp_filter and proxy_arp of `all` and `default`, as sysctl values.
          if (c.rpFilter !== undefined && c.rpFilter >= 0 && c.rpFilter <= 2)
            sysctls[rpFilterKey(scope)] = String(c.rpFilter);
          if (c.proxyNeigh !== undefined) sysctls[proxyArpKey(scope)] = c.proxyNeigh ? '1' : '0';
        }
        break;
      }
      case RTM_NEWNSID:
        rootNsid = parseNsidReply(r);
        break;
    }
  }
  const nameOf = new Map(links.map((l) => [l.index, l.ifname]));
  const ifName = (i: number) => nameOf.get(i) ?? `if${i}`;
  const addrsOf = new Map<number, string[]>();
  for (const a of addrs) {
    if (a.scope !== 0 || (a.family !== AF_INET && a.family !== AF_INET6) || !a.local) continue;
    const list = addrsOf.get(a.index) ?? [];
    list.push(canonicalCidr(`${ipText(a.local)}/${a.prefixlen}`));
    addrsOf.set(a.index, list);
  }
  const vethRefs = new Map<number, { nsid: number; peerIndex: number }>();
  const lowerRefs = new Map<number, { nsid: number; index: number }>();
  const sameNs = new Map<number, number>();
  const observedLinks: ObservedLink[] = links.map((l) => {
    const kind = l.kind ?? linkTypeName(l.type);
    const alias = l.alias === undefined ? undefined : aliasToMarker(l.alias);
    const link: ObservedLink = {
      netns: name,
      ifindex: l.index,
      ifname: l.ifname,
      kind,
      ...(alias !== undefined && { alias }),
      marker: parseMarker(alias),
      adminUp: (l.flags & 1) !== 0,
      operstate: l.operstate === undefined ? 'UNKNOWN' : (OPERSTATES[l.operstate] ?? String(l.operstate)),
      mtu: l.mtu ?? 0,
      ...(l.address !== undefined && { mac: linkAddressText(l.address, l.type).toLowerCase() }),
      ...(l.master !== undefined && { master: ifName(l.master) }),
      addresses: addrsOf.get(l.index) ?? [],
      ...(l.stats && { counters: l.stats }),
      ...(kind === 'bridge' && { stp: (l.stpState ?? 0) !== 0 }),
    };
    // An attached kind's own fields: its module decodes IFLA_INFO_DATA (kinds/: `decode`), as observe() `ip -d`.
    const decode = linkKind(kind)?.decode;
    if (decode) Object.assign(link, decode.netlink(l.infoData ? parseAttrs(l.infoData) : new Map()));
    if (kind === 'bridge' && l.vlanFiltering !== undefined) link.vlanFiltering = l.vlanFiltering === 1;
    if (link.attachment) {
      // As observe(): the lower device in the same namespace by index; in another one only the root's
      // (IFLA_LINK_NETNSID = this namespace's id of the root), resolved once the root is read.
      const same = l.link !== undefined && l.link !== 0 && l.linkNetnsid === undefined;
      if (same) link.attachment.parent = { netns: name, ifname: ifName(l.link!), ifindex: l.link! };
      if (!same && l.link !== undefined && l.link !== 0 && l.linkNetnsid !== undefined)
        lowerRefs.set(l.index, { nsid: l.linkNetnsid, index: l.link });
    }
    if (kind === 'tun' && l.tunType !== undefined)
      link.tunType = l.tunType === 1 ? 'tun' : l.tunType === 2 ? 'tap' : `UNKNOWN:${l.tunType}`;
    if (l.qdisc !== undefined && !DEFAULT_QDISCS.has(l.qdisc)) link.qdisc = { kind: l.qdisc };
    if (kind === 'veth') {
      link.peer = null; // resolved across namespaces below
      if (l.link !== undefined && l.link !== 0 && l.linkNetnsid !== undefined)
        vethRefs.set(l.index, { nsid: l.linkNetnsid, peerIndex: l.link });
      else if (l.link !== undefined && l.link !== 0) sameNs.set(l.index, l.link);
    }
    return link;
  });
  // Both ends in this namespace (no IFLA_LINK_NETNSID): paired here when each points at the other.
  for (const [ifindex, peerIndex] of sameNs) {
    if (sameNs.get(peerIndex) !== ifindex) continue;
    const peer = observedLinks.find((x) => x.ifindex === peerIndex);
    if (peer)
      observedLinks.find((x) => x.ifindex === ifindex)!.peer = { netns: name, ifname: peer.ifname, ifindex: peerIndex };
  }
  const observedRoutes: ObservedRoute[] = [];
  for (const r of routes) {
    if (r.table !== RT_TABLE_MAIN || r.type !== RTN_UNICAST) continue;
    const family: 4 | 6 = r.family === AF_INET6 ? 6 : 4;
    const to =
      r.dst === undefined && r.dstLen === 0
        ? 'default'
        : canonicalCidr(`${r.dst ? ipText(r.dst) : family === 4 ? '0.0.0.0' : '::'}/${r.dstLen}`);
    observedRoutes.push({
      family,
      to,
      ...(r.gateway !== undefined && { via: canonicalIp(ipText(r.gateway)) }),
      ...(r.oif !== undefined && { dev: ifName(r.oif) }),
      ...(r.priority !== undefined && { metric: r.priority }),
      protocol: protocolName(r.protocol),
    });
  }
  const lo = observedLinks.find((l) => l.ifname === 'lo');
  const needsTc = observedLinks.some((l) => l.marker !== null && TC_QDISCS.has(l.qdisc?.kind ?? ''));
  const needsVlans = observedLinks.some(isVlanBridge);
  return {
    ns: {
      name,
      marker: name === null ? null : (lo?.marker ?? null),
      forwarding: fwd.get(AF_INET) === true && fwd.get(AF_INET6) === true,
      ipv4Forward: fwd.get(AF_INET) === true,
      sysctls,
      links: observedLinks,
      routes: observedRoutes,
    },
    vethRefs,
    ...(rootNsid !== undefined && { rootNsid }),
    ...(needsTc && { needsTc }),
    ...(needsVlans && { needsVlans }),
    ...(lowerRefs.size && { lowerRefs }),
  };
}

// ------------------------------------------------------------------------------------------------------
// Peers

/** A named-named veth end with several candidate namespaces: the kernel must say which nsid is which. */
export interface NsidQuestion {
  /** Where the end lives (its socket answers). */
  netns: string;
  candidates: string[];
}

/** Per asking namespace, its id of each named namespace it has one for; `rooted`: the names it covers. */
export type NsidTables = (
  asks: string[],
  names: string[],
) => Promise<{ tables: Map<string, Map<string, number>>; rooted: Set<string> }>;

/**
 * Resolves veth peers in place. Ambiguous named-named pairs are settled by the kernel: `tables` (the nsid
 * tables of the asking namespaces: one lookup per end, linear) first, then `ask` ("which id does namespace A
 * give namespace X", per candidate pair) for what the tables leave open; without either such ends stay null.
 */
export async function resolvePeers(
  byName: Map<NetnsRef, RawNetlinkNetns>,
  ask?: (qs: NsidQuestion[]) => Promise<Map<string, Map<string, number>>>,
  tables?: NsidTables,
): Promise<void> {
  const root = byName.get(null);
  const rootVeths = new Map((root?.ns.links ?? []).filter((l) => l.kind === 'veth').map((l) => [l.ifindex, l]));
  const pair = (aNs: NetnsRef, a: ObservedLink, bNs: NetnsRef, b: ObservedLink) => {
    a.peer = { netns: bNs, ifname: b.ifname, ifindex: b.ifindex };
    b.peer = { netns: aNs, ifname: a.ifname, ifindex: a.ifindex };
  };
  // 1. Ends in named namespaces pointing at the root (their nsid of the root is known): exact.
  // The other named ends, in order, and indexed by (own ifindex, peer ifindex) for step 2.
  type End = { ns: string; link: ObservedLink; nsid: number; peerIndex: number };
  const ends: End[] = [];
  const named = new Map<string, End[]>();
  for (const [name, raw] of byName) {
    if (name === null) continue;
    for (const link of raw.ns.links) {
      const ref = raw.vethRefs.get(link.ifindex);
      if (!ref) continue;
      if (raw.rootNsid !== undefined && raw.rootNsid >= 0 && ref.nsid === raw.rootNsid) {
        const other = rootVeths.get(ref.peerIndex);
        const back = other && root!.vethRefs.get(other.ifindex);
        if (other && back && back.peerIndex === link.ifindex) pair(name, link, null, other);
        continue;
      }
      const e: End = { ns: name, link, nsid: ref.nsid, peerIndex: ref.peerIndex };
      ends.push(e);
      const k = `${link.ifindex}/${ref.peerIndex}`;
      const list = named.get(k);
      if (list) list.push(e);
      else named.set(k, [e]);
    }
  }
  // 2. Named-named pairs: ends (A, a → p) and (X, p → a) with X ≠ A. Pair directly only when each is the
  // other's single candidate. A namespace has at most one end per ifindex, so a partner list of three or
  // more leaves at least two candidates: ambiguous without looking (no N² candidate lists).
  const partners = (e: End) => named.get(`${e.peerIndex}/${e.link.ifindex}`) ?? [];
  const candidatesOf = (e: End) => partners(e).filter((x) => x.ns !== e.ns && x.link.peer === null);
  const cands = new Map<ObservedLink, End[]>();
  for (const e of ends) if (partners(e).length <= 2) cands.set(e.link, candidatesOf(e));
  let open: End[] = [];
  for (const e of ends) {
    if (e.link.peer) continue;
    const c = cands.get(e.link);
    const only = c?.length === 1 ? c[0]! : undefined;
    const back = only && cands.get(only.link);
    if (only && back?.length === 1 && back[0]!.link === e.link) pair(e.ns, e.link, only.ns, only.link);
    else if (!c || c.length) open.push(e);
  }
  // 3. The nsid tables: A's id of the end's peer namespace → its name(s) → the end there at the peer index.
  if (open.length && tables) {
    const asks = [...new Set(open.map((e) => e.ns))];
    const names = new Set(asks);
    for (const k of new Set(open.map((e) => `${e.peerIndex}/${e.link.ifindex}`)))
      for (const x of named.get(k) ?? []) names.add(x.ns);
    const t = await tables(asks, [...names]);
    const byEnd = new Map(ends.map((e) => [`${e.ns}/${e.link.ifindex}`, e]));
    const idsOf = new Map<string, Map<number, string[]>>();
    for (const [a, m] of t.tables) {
      const r = new Map<number, string[]>();
      for (const [x, id] of m) r.set(id, [...(r.get(id) ?? []), x]);
      idsOf.set(a, r);
    }
    const left: End[] = [];
    for (const e of open) {
      if (e.link.peer) continue;
      const r = idsOf.get(e.ns);
      if (!r) {
        left.push(e);
        continue;
      }
      const hit = (r.get(e.nsid) ?? [])
        .map((x) => byEnd.get(`${x}/${e.peerIndex}`))
        .find((o) => o && o.ns !== e.ns && o.peerIndex === e.link.ifindex && o.link.peer === null);
      if (hit) pair(e.ns, e.link, hit.ns, hit.link);
      // No named peer in a complete table: none exists, unless a candidate has no root id (then ask it).
      else if (partners(e).some((x) => x.ns !== e.ns && !t.rooted.has(x.ns))) left.push(e);
    }
    open = left;
  }
  // 4. Per candidate pair, for what is still open.
  const questions = open.flatMap((e) => {
    const c = e.link.peer ? [] : candidatesOf(e);
    return c.length ? [{ e, candidates: c }] : [];
  });
  if (questions.length && ask) {
    const answers = await ask(questions.map((q) => ({ netns: q.e.ns, candidates: q.candidates.map((c) => c.ns) })));
    for (const { e, candidates } of questions) {
      if (e.link.peer) continue;
      const hit = candidates.find((c) => answers.get(e.ns)?.get(c.ns) === e.nsid && c.link.peer === null);
      if (hit) pair(e.ns, e.link, hit.ns, hit.link);
    }
  }
}

// ------------------------------------------------------------------------------------------------------
// Reading

/** Threads the agent uses to enter namespaces and dump them. */
export const OBSERVE_THREADS = 2;

/** A NetlinkDriver (its agent and runner) or a runner (a temporary agent in its world). */
export type NetlinkSource = { ensureAgent(): Promise<Agent>; readonly runner: CommandRunner } | CommandRunner;

/** Kernel queries behind one peer resolution: nsid-table path (linear) and per-pair fallback (askNsids). */
export interface NsidQueryCounts {
  table: number;
  pairs: number;
}

export interface NetlinkObserveTimings {
  agentMs: number;
  decodeMs: number;
  namespaces: number;
  /** Queries sent to resolve ambiguous named-named veth ends. */
  nsidQueries: NsidQueryCounts;
}
let lastTimings: NetlinkObserveTimings | null = null;
/** Where the last observeNetlink() spent its time (for the bench). */
export const lastNetlinkObserveTimings = (): NetlinkObserveTimings | null => lastTimings;

/**
 * One full observation through the agent of `source` (a NetlinkDriver: its agent; a runner: a temporary
 * agent started in the runner's world). `runner` reads tbf/netem parameters with `tc` (as observe() does).
 */
export async function observeNetlink(source: NetlinkSource, runner?: CommandRunner): Promise<ObservedState> {
  if ('ensureAgent' in source) return observeWith(await source.ensureAgent(), runner ?? source.runner);
  const agent = await Agent.start(source.prefix);
  try {
    return await observeWith(agent, runner ?? source);
  } finally {
    await agent.close();
  }
}

/** The netlink part of an observation (no `tc`, no `nft`): what the driver reads back after executing. */
export const observeAgent = (agent: Agent): Promise<ObservedState> => observeWith(agent, undefined);

async function observeWith(agent: Agent, runner: CommandRunner | undefined): Promise<ObservedState> {
  const t0 = performance.now();
  const req = observeRequest();
  // nftables tables (root namespace, as observe()): one `nft` process, alongside the agent's work.
  const nftRead = runner ? observeNft(runner) : Promise.resolve(undefined);
  const [res] = await agent.request({
    actions: [
      {
        t: 'observe',
        b64: req.buf.toString('base64'),
        fds: req.fdSlots,
        keep: OBSERVE_LINK_ATTRS,
        threads: OBSERVE_THREADS,
      },
    ],
  });
  const t1 = performance.now();
  if (!res?.ok || !res.names || !res.b64s)
    throw new NetlinkObserveError(`netlink observe failed (errno ${res?.errno})`);
  const rootB64 = res.b64s[0];
  if (!rootB64) throw new NetlinkObserveError('cannot read the root namespace over netlink');
  const byName = new Map<NetnsRef, RawNetlinkNetns>([[null, decodeNetns(null, Buffer.from(rootB64, 'base64'))]]);
  res.names.forEach((n, i) => {
    const b = res.b64s![i + 1];
    // A namespace deleted between the listing and its read is simply gone.
    if (b) byName.set(n, decodeNetns(n, Buffer.from(b, 'base64')));
  });
  const tp = performance.now();
  const nsidQueries: NsidQueryCounts = { table: 0, pairs: 0 };
  await finishRaw(agent, byName, runner, nsidQueries);
  if (process.env.NETLOOM_NETLINK_TRACE === '1')
    process.stderr.write(
      `observeNetlink: decode ${(tp - t1).toFixed(1)} ms, peers etc. ${(performance.now() - tp).toFixed(1)} ms (nsid queries: ${nsidQueries.table} table, ${nsidQueries.pairs} per pair)\n`,
    );
  const namespaces: Record<string, ObservedNetns> = {};
  for (const n of res.names) {
    const r = byName.get(n);
    if (r) namespaces[n] = r.ns;
  }
  const nft = await nftRead;
  lastTimings = { agentMs: t1 - t0, decodeMs: performance.now() - t1, namespaces: res.names.length, nsidQueries };
  return { root: byName.get(null)!.ns, namespaces, ...(nft && { nft }) };
}

/**
 * The steps after decoding (shared with the observation cache): veth peers (the kernel settles ambiguous
 * named-named pairs), lower devices (of a decoded `attachment`) in the root, and what netlink does not say (`bridge vlan` of
 * our VLAN-filtering bridges, `tc` parameters of our qdiscs) read with `runner` as observe() does.
 */
export async function finishRaw(
  agent: Agent,
  byName: Map<NetnsRef, RawNetlinkNetns>,
  runner: CommandRunner | undefined,
  nsidQueries: NsidQueryCounts,
): Promise<void> {
  await resolvePeers(
    byName,
    (qs) => askNsids(agent, qs, nsidQueries),
    (asks, names) => nsidTables(agent, asks, names, nsidQueries),
  );
  // Lower devices (of a decoded `attachment`) in the root namespace (this namespace's id of the root is known).
  const rootRaw = byName.get(null)!;
  for (const raw of byName.values()) {
    if (raw.ns.name === null) continue;
    for (const [ifindex, ref] of raw.lowerRefs ?? []) {
      const link = raw.ns.links.find((l) => l.ifindex === ifindex);
      const lower = rootRaw.ns.links.find((l) => l.ifindex === ref.index);
      if (link?.attachment && lower && raw.rootNsid !== undefined && raw.rootNsid >= 0 && ref.nsid === raw.rootNsid)
        link.attachment.parent = { netns: null, ifname: lower.ifname, ifindex: lower.ifindex };
    }
  }
  // Ports of our VLAN-filtering bridges: `bridge vlan` per namespace that has one (as observe()).
  if (runner)
    for (const raw of [...byName.values()].filter((r) => r.needsVlans)) {
      const n = raw.ns.name;
      const r = await runner.run(['bridge', ...(n === null ? [] : ['-n', n]), '-j', 'vlan', 'show'], {
        timeoutMs: 30_000,
      });
      if (r.code === 0) applyBridgeVlans(raw.ns, r.stdout);
    }
  const slow = [...byName.values()].filter((r) => r.needsTc);
  if (slow.length && runner) {
    for (const raw of slow) {
      const n = raw.ns.name;
      const r = await runner.run(['tc', ...(n === null ? [] : ['-n', n]), '-j', 'qdisc', 'show'], {
        timeoutMs: 30_000,
      });
      if (r.code === 0) applyTcQdiscs(raw.ns, r.stdout);
    }
  }
}

/** Names per 'nl' action of fdActions(): the agent holds one fd per name of an action while it runs. */
const NSID_FD_CHUNK = 256;

/**
 * 'nl' actions in the agent's own netns: ENCODE(seq = position in `list` + 1, name) for each name, each
 * message's fd slot filled with a plain fd on that namespace's file (closed after the action); soft.
 */
export function fdActions(list: string[], encode: (seq: number, name: string) => Encoded): Action[] {
  const out: Action[] = [];
  for (let i = 0; i < list.length; i += NSID_FD_CHUNK) {
    const e = concatEncoded(list.slice(i, i + NSID_FD_CHUNK).map((n, k) => encode(i + k + 1, n)));
    const fds = e.fdSlots.map((s) => ({ offset: s.offset, netns: s.netns, fdOnly: true }));
    out.push({ t: 'nl', ns: null, b64: e.buf.toString('base64'), fds, soft: true });
  }
  return out;
}

/**
 * The nsid tables of the asking namespaces, read from the root namespace (kernel ≥ 4.20, "netns: enable to
 * dump full nsid translation table"); work linear in namespaces + their nsids:
 *   1. the root's id R(X) of every namespace involved (RTM_GETNSID with NETNSA_FD: never allocates); where
 *      none is assigned, RTM_NEWNSID with NETNSA_NSID = -1 assigns the next free one. SIDE EFFECT on the
 *      host: that id stays in the root's table (exactly what `ip netns set X auto` does, and what any link
 *      dump in the root already does implicitly for its veths' peer namespaces); nothing else changes.
 *   2. per asking namespace A, one RTM_GETNSID dump with NETNSA_TARGET_NSID = R(A) (a strict-checking
 *      socket): each entry is A's id of some namespace (NETNSA_NSID) and the root's id of the same one
 *      (NETNSA_CURRENT_NSID);
 *   3. R⁻¹ names them.
 * `tables`: per A whose table was read, A's id of each named namespace it has one for (a missing name: A has
 * none for it). A is absent when the kernel did not translate (an error, an entry without
 * NETNSA_CURRENT_NSID, an empty table); `rooted`: the names with a root id (others: ask per pair).
 */
export async function nsidTables(
  agent: Pick<Agent, 'request'>,
  asks: string[],
  names: string[],
  counts: NsidQueryCounts,
): Promise<{ tables: Map<string, Map<string, number>>; rooted: Set<string> }> {
  const tables = new Map<string, Map<string, number>>();
  const rootIds = new Map<string, number>();
  /** RTM_NEWNSID replies (by sequence number = position in `list` + 1) → rootIds; returns the unassigned. */
  const readIds = (results: { b64?: string }[], list: string[]): string[] => {
    const none: string[] = [];
    for (const res of results) {
      if (!res.b64) continue;
      for (const r of parseReplies(Buffer.from(res.b64, 'base64'))) {
        const name = list[r.seq - 1];
        const id = r.type === RTM_NEWNSID && name !== undefined ? parseNsidReply(r) : undefined;
        if (id === undefined) continue;
        if (id >= 0) rootIds.set(name!, id);
        else none.push(name!);
      }
    }
    return none;
  };
  counts.table += names.length;
  const unassigned = readIds(await agent.request({ actions: fdActions(names, getNsid) }), names);
  if (unassigned.length) {
    const assign = fdActions(unassigned, newNsidAuto);
    const results = await agent.request({ actions: [...assign, ...fdActions(unassigned, getNsid)] });
    counts.table += 2 * unassigned.length;
    readIds(results.slice(assign.length), unassigned);
  }
  const rooted = new Set(rootIds.keys());
  const targets = asks.filter((a) => rootIds.has(a));
  if (!targets.length) return { tables, rooted };
  const req = concatEncoded(targets.map((a, i) => dumpNsids(i + 1, rootIds.get(a)!)));
  counts.table += targets.length;
  const [res] = await agent.request({ actions: [{ t: 'dumps', b64: req.buf.toString('base64') }] });
  if (!res?.ok || !res.b64) return { tables, rooted };
  const namesOf = new Map<number, string[]>(); // several names may bind the same namespace
  for (const [n, id] of rootIds) namesOf.set(id, [...(namesOf.get(id) ?? []), n]);
  const entries = new Map<number, { nsid: number; current: number }[]>();
  const bad = new Set<number>();
  for (const r of parseReplies(Buffer.from(res.b64, 'base64'))) {
    if (r.seq < 1 || r.seq > targets.length) continue;
    if (r.type === NLMSG_ERROR || r.type === NLMSG_DONE) {
      const failed =
        r.type === NLMSG_ERROR ? parseError(r).errno !== 0 : r.payload.length >= 4 && r.payload.readInt32LE(0) < 0;
      if (failed) bad.add(r.seq);
      continue;
    }
    if (r.type !== RTM_NEWNSID) continue;
    const e = parseNsidEntry(r);
    if (e?.current === undefined) bad.add(r.seq);
    else entries.set(r.seq, [...(entries.get(r.seq) ?? []), { nsid: e.nsid, current: e.current }]);
  }
  targets.forEach((a, i) => {
    const list = entries.get(i + 1);
    if (bad.has(i + 1) || !list?.length) return;
    const m = new Map<string, number>();
    for (const e of list) for (const n of namesOf.get(e.current) ?? []) m.set(n, e.nsid);
    tables.set(a, m);
  });
  return { tables, rooted };
}

/** RTM_GETNSID in each asking namespace for each candidate's fd (native, pipelined): one agent round trip. */
export async function askNsids(
  agent: Pick<Agent, 'request'>,
  qs: NsidQuestion[],
  counts: NsidQueryCounts,
): Promise<Map<string, Map<string, number>>> {
  const byNs = new Map<string, Set<string>>();
  for (const q of qs) for (const c of q.candidates) byNs.set(q.netns, (byNs.get(q.netns) ?? new Set()).add(c));
  const asks = [...byNs.keys()];
  const targets = [...new Set([...byNs.values()].flatMap((s) => [...s]))];
  const tIndex = new Map(targets.map((t, i) => [t, i]));
  const pairs: number[] = [];
  const order: [string, string][] = [];
  asks.forEach((a, k) => {
    for (const t of byNs.get(a)!) {
      pairs.push(k, tIndex.get(t)!);
      order.push([a, t]);
    }
  });
  counts.pairs += order.length;
  const out = new Map<string, Map<string, number>>();
  const [res] = await agent.request({ actions: [{ t: 'nsids', asks, targets, pairs, threads: OBSERVE_THREADS }] });
  if (!res?.ok || !res.ids) return out;
  res.ids.forEach((id, i) => {
    const [a, t] = order[i]!;
    if (id < 0) return;
    const m = out.get(a) ?? new Map<string, number>();
    m.set(t, id);
    out.set(a, m);
  });
  return out;
}

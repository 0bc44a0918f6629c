/**
 * An observation of the host kept current by kernel notifications (issue #9: no-op re-apply, one-link edits
 * and status samples cost milliseconds, not a full re-read).
 *
 * The agent listens, from its own network namespace, to the rtnetlink notifications of every namespace that
 * has an nsid there (one socket with NETLINK_LISTEN_ALL_NSID: it holds no namespace, so it keeps nothing
 * alive) and to nftables changes. An observation then:
 *   1. drains the notifications and lists /run/netns with each namespace's inode number;
 *   2. re-reads the root namespace, and every named namespace that is new, was replaced (other inode), sent
 *      a notification, has no nsid here (it cannot notify us), or needs a tool netlink does not replace
 *      (`tc` parameters, `bridge vlan`, a decoded `attachment`'s lower device in the root); nft only after it changed;
 *   3. reuses the decoded rest as it was, and resolves veth peers over the whole set again (pairs seen
 *      before are recalled, checked against both ends' current indexes);
 *   4. for a status sample, refreshes counters: one RTM_GETSTATS dump in the root and in the reused
 *      namespaces that need one (counterPlan); every other veth end mirrors its peer's (mirrorCounters).
 * Lost notifications (ENOBUFS), a removed nsid, a new agent or a failed read invalidate everything; changes
 * of many operations pause listening (pause()) and the next observation reads everything. Notifications are
 * delivered synchronously with each change, so a change made before an observation starts is seen by it.
 * What is never read (IPv6 link-local addresses, routes outside the main table) is filtered out by the
 * agent, so background IPv6 autoconfiguration does not invalidate anything.
 *
 * nsids: this reads the id the agent's namespace has for each namespace and, for namespaces Netloom owns
 * (marker on `lo`) that have none yet, assigns one (as `ip netns set NAME auto` does). It never assigns one
 * to a namespace it does not own: such a namespace is simply read every time.
 */
import type { CommandRunner } from '../contract';
import { observeNft } from '../observe';
import type { NetnsRef, ObservedLink, ObservedNftTable, ObservedState } from '../types';
import type { Action, ActionResult, Agent } from './agentProcess';
import {
  dumpStats,
  getNsid,
  newNsidAuto,
  OBSERVE_LINK_ATTRS,
  parseNsidReply,
  parseReplies,
  parseStatsRecord,
  RTM_NEWNSID,
  RTM_NEWSTATS,
} from './messages';
import {
  decodeNetns,
  fdActions,
  finishRaw,
  NetlinkObserveError,
  type NsidQueryCounts,
  OBSERVE_THREADS,
  observeNetlink,
  observeRequest,
  type RawNetlinkNetns,
} from './observe';

/** Entering namespaces mostly waits in the kernel: a few threads overlap it (measured best at 4 on 2 cores). */
const COUNTER_THREADS = 4;
/** What the last observation did (tests and the bench). */
export interface CacheReport {
  /** Named namespaces read again. */
  read: number;
  /** Named namespaces reused as they were. */
  reused: number;
  /** Why everything was read: 'start' (new agent), 'overflow' (lost notifications), or null. */
  full: 'start' | 'overflow' | null;
  /** Reused namespaces whose counters were read again (the others' veth ends mirror their peers'). */
  counters: number;
  ms: number;
}

const TRACE = process.env.NETLOOM_NETLINK_TRACE === '1';
let lastReport: CacheReport | null = null;
/** What the last observation through any cache did (the bench). */
export const lastCacheReport = (): CacheReport | null => lastReport;

type Source = { ensureAgent(): Promise<Agent>; readonly runner: CommandRunner };

interface Entry {
  raw: RawNetlinkNetns;
  ino: number;
}

export class ObservationCache {
  private agent: Agent | null = null;
  /** False once watching failed: every observation is a full read (observeNetlink). */
  private usable = true;
  private entries = new Map<string, Entry>();
  /** The agent's own netns (the root), decoded, while it sent no notification. */
  private root: RawNetlinkNetns | null = null;
  /** Namespace inode number → the id the agent's netns gives it (known ids only; survives invalidation). */
  private rootIds = new Map<number, number>();
  private nft: { tables: ObservedNftTable[] | undefined } | null = null;
  /** Named-named veth pairs seen resolved: `ino/ifindex` → the other end. */
  private pairs = new Map<string, { name: string; ino: number; ifindex: number }>();
  private queue: Promise<unknown> = Promise.resolve();
  last: CacheReport | null = null;

  constructor(private readonly source: Source) {}

  /** One observation (serialized: concurrent callers queue). `counters`: fresh counters everywhere. */
  observe(opts: { counters?: boolean } = {}): Promise<ObservedState> {
    return this.serial(() => this.observeOnce(opts.counters === true));
  }

  /**
   * Stop listening until the next observation, which then reads everything. For large changes: the kernel
   * finds a notification's nsid by a linear walk of the listener's nsid table, so with 1000 namespaces each
   * notification costs ~1000 steps, and creating them sends tens of thousands (measured: +0.3 s on the
   * 1000-namespace star's 2.4 s).
   */
  pause(): Promise<void> {
    return this.serial(async () => {
      const agent = this.agent;
      this.agent = null;
      this.invalidate();
      if (agent && !agent.dead) await agent.request({ actions: [{ t: 'unwatch' }] }).catch(() => {});
    });
  }

  /** Runs `fn` after every earlier call has finished (whether it failed or not). */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.queue.then(fn, fn);
    this.queue = p.catch(() => {});
    return p;
  }

  /** Forget everything (the next observation reads it all). */
  invalidate(): void {
    this.entries.clear();
    this.root = null;
    this.nft = null;
    this.pairs.clear();
  }

  private async observeOnce(counters: boolean): Promise<ObservedState> {
    const t0 = performance.now();
    const agent = await this.source.ensureAgent();
    if (!this.usable) return observeNetlink(this.source);
    let full: CacheReport['full'] = null;
    if (agent !== this.agent) {
      this.invalidate();
      this.rootIds.clear();
      const [w] = await agent.request({ actions: [{ t: 'watch' }] });
      if (!w?.ok) {
        this.usable = false;
        return observeNetlink(this.source);
      }
      this.agent = agent;
      full = 'start';
    }
    try {
      return await this.read(agent, counters, full, t0);
    } catch (e) {
      this.invalidate();
      throw e;
    }
  }

  private async read(agent: Agent, counters: boolean, full: CacheReport['full'], t0: number): Promise<ObservedState> {
    const marks: [string, number][] = [];
    const mark = TRACE ? (what: string) => marks.push([what, performance.now() - t0]) : () => {};
    const [ev] = await agent.request({ actions: [{ t: 'events' }] });
    mark('events');
    if (!ev?.ok || !ev.names || !ev.inodes || !ev.nsids)
      throw new NetlinkObserveError(`netlink events failed (errno ${ev?.errno})`);
    const changed = new Set(ev.nsids);
    if (ev.overflow) {
      this.invalidate();
      full ??= 'overflow';
    }
    // An id removed here: a namespace we knew is gone, and its inode number may be reused.
    if (ev.nsidsChanged) {
      this.entries.clear();
      this.rootIds.clear();
    }
    if (changed.has(-1) || (this.root && needsTools(this.root))) this.root = null;
    if (ev.nft) this.nft = null;
    const nftRead = this.nft ? Promise.resolve(this.nft.tables) : observeNft(this.source.runner);
    const inoOf = new Map(ev.names.map((n, i) => [n, ev.inodes![i]!]));
    const present = new Set(ev.inodes);
    for (const ino of this.rootIds.keys()) if (!present.has(ino)) this.rootIds.delete(ino);
    const idOf = (name: string) => this.rootIds.get(inoOf.get(name)!);
    // Gone or replaced namespaces are forgotten; changed ones, and those that cannot be trusted to notify
    // (no id here) or need tools, are read again.
    for (const [name, e] of this.entries)
      if (inoOf.get(name) !== e.ino || changed.has(idOf(name) ?? -2) || needsTools(e.raw)) this.entries.delete(name);
    const dirty = ev.names.filter((n) => !this.entries.has(n));
    // The id of each namespace to read, asked BEFORE reading it: a change after the read then notifies us.
    const unknown = dirty.filter((n) => idOf(n) === undefined);
    const actions: Action[] = unknown.length ? fdActions(unknown, getNsid) : [];
    const req = observeRequest();
    actions.push({
      t: 'observe',
      b64: req.buf.toString('base64'),
      fds: req.fdSlots,
      keep: OBSERVE_LINK_ATTRS,
      threads: OBSERVE_THREADS,
      only: dirty,
      root: this.root === null,
    });
    // Nothing to read (no namespace changed, the root is current): no round trip.
    const results: ActionResult[] =
      dirty.length || this.root === null ? await agent.request({ actions }) : [{ ok: true, names: [], b64s: [null] }];
    mark('read');
    this.learnIds(results.slice(0, -1), unknown, inoOf);
    const res = results[results.length - 1];
    if (!res?.ok || !res.names || !res.b64s)
      throw new NetlinkObserveError(`netlink observe failed (errno ${res?.errno})`);
    let root: RawNetlinkNetns;
    const rootReused = this.root !== null;
    if (this.root) root = reuse(this.root);
    else {
      const rootB64 = res.b64s[0];
      if (!rootB64) throw new NetlinkObserveError('cannot read the root namespace over netlink');
      root = this.root = decodeNetns(null, Buffer.from(rootB64, 'base64'));
    }
    const byName = new Map<NetnsRef, RawNetlinkNetns>([[null, root]]);
    const fresh = new Set<string>();
    const own: string[] = [];
    res.names.forEach((n, i) => {
      const b = res.b64s![i + 1];
      if (!b) return; // deleted between the listing and its read
      const raw = decodeNetns(n, Buffer.from(b, 'base64'));
      byName.set(n, raw);
      fresh.add(n);
      if (idOf(n) !== undefined) this.entries.set(n, { raw, ino: inoOf.get(n)! });
      else if (raw.ns.marker !== null) own.push(n);
    });
    // Ours without an id here: give them one now; they are read again (and kept) from the next time on.
    if (own.length) {
      const assign = fdActions(own, newNsidAuto);
      const r = await agent.request({ actions: [...assign, ...fdActions(own, getNsid)] });
      this.learnIds(r.slice(assign.length), own, inoOf);
    }
    mark('decode');
    const reused: string[] = [];
    for (const n of ev.names) {
      if (fresh.has(n)) continue;
      const e = this.entries.get(n);
      if (!e) continue;
      byName.set(n, reuse(e.raw));
      reused.push(n);
    }
    mark('reuse');
    this.recallPairs(byName, inoOf);
    const nsidQueries: NsidQueryCounts = { table: 0, pairs: 0 };
    await finishRaw(agent, byName, this.source.runner, nsidQueries);
    mark('peers');
    this.rememberPairs(byName, inoOf);
    let countersRead = 0;
    if (counters && (rootReused || reused.length)) {
      const { read, mirror } = counterPlan(byName, new Set(reused));
      await this.refreshCounters(agent, rootReused, read, byName);
      mirrorCounters(byName, mirror);
      countersRead = read.length;
    }
    mark('counters');
    const tables = await nftRead;
    this.nft = { tables };
    const namespaces: ObservedState['namespaces'] = {};
    for (const n of ev.names) {
      const r = byName.get(n);
      if (r) namespaces[n] = r.ns;
    }
    this.last = lastReport = {
      read: fresh.size,
      reused: reused.length,
      full,
      counters: countersRead,
      ms: performance.now() - t0,
    };
    if (TRACE)
      process.stderr.write(
        `observation cache: ${marks.map(([w, ms]) => `${w} ${ms.toFixed(1)}`).join(', ')}, done ${this.last.ms.toFixed(1)} ms (${fresh.size} read, ${reused.length} reused, root ${rootReused ? 'reused' : 'read'}, notified ${[...changed].join(' ')})\n`,
      );
    return { root: byName.get(null)!.ns, namespaces, ...(tables && { nft: tables }) };
  }

  /** RTM_NEWNSID replies (sequence = position in `list` + 1) → rootIds. */
  private learnIds(results: { b64?: string }[], list: string[], inoOf: Map<string, number>): void {
    for (const res of results) {
      if (!res.b64) continue;
      for (const r of parseReplies(Buffer.from(res.b64, 'base64'))) {
        const name = list[r.seq - 1];
        if (r.type !== RTM_NEWNSID || name === undefined) continue;
        const id = parseNsidReply(r);
        if (id !== undefined && id >= 0) this.rootIds.set(inoOf.get(name)!, id);
      }
    }
  }

  /**
   * Fresh counters of reused namespaces (and of the root when it was reused): one statistics dump each
   * (RTM_GETSTATS, packet and byte counters only: the kernel builds nothing else), read by the agent's
   * threads inside each namespace. (A link dump addressed by nsid from one socket was measured slower: the
   * kernel builds every link attribute, IPv6 configuration included, for each interface.)
   */
  private async refreshCounters(
    agent: Agent,
    root: boolean,
    names: string[],
    byName: Map<NetnsRef, RawNetlinkNetns>,
  ): Promise<void> {
    const req = dumpStats(1);
    const [res] = await agent.request({
      actions: [{ t: 'observe', b64: req.buf.toString('base64'), only: names, root, threads: COUNTER_THREADS }],
    });
    if (!res?.ok || !res.names || !res.b64s)
      throw new NetlinkObserveError(`netlink counters failed (errno ${res?.errno})`);
    const apply = (name: NetnsRef, b64: string | null | undefined) => {
      const raw = byName.get(name);
      if (!b64 || !raw) return; // gone meanwhile: the next observation reads it
      const at = new Map(raw.ns.links.map((l, i) => [l.ifindex, i]));
      for (const r of parseReplies(Buffer.from(b64, 'base64'))) {
        if (r.type !== RTM_NEWSTATS) continue;
        const c = parseStatsRecord(r);
        const i = c && at.get(c.index);
        if (i !== undefined && c?.stats) setCounters(raw.ns.links, i, c.stats);
      }
    };
    const tp = performance.now();
    if (root) apply(null, res.b64s[0]);
    for (const [i, n] of res.names.entries()) apply(n, res.b64s[i + 1]);
    if (TRACE)
      process.stderr.write(
        `counters: agent ${res.ms?.map((x) => x.toFixed(1)).join('+')} ms, parse ${(performance.now() - tp).toFixed(1)} ms\n`,
      );
  }

  /** Named-named veth ends resolved before, whose other end still points back: paired at once. */
  private recallPairs(byName: Map<NetnsRef, RawNetlinkNetns>, inoOf: Map<string, number>): void {
    if (!this.pairs.size) return;
    for (const [name, raw] of byName) {
      if (name === null) continue;
      const ino = inoOf.get(name)!;
      for (const link of raw.ns.links) {
        const ref = raw.vethRefs.get(link.ifindex);
        if (!ref || link.peer) continue;
        const p = this.pairs.get(`${ino}/${link.ifindex}`);
        if (!p || inoOf.get(p.name) !== p.ino) continue;
        const other = byName.get(p.name);
        const back = other?.vethRefs.get(p.ifindex);
        const o = other?.ns.links.find((l) => l.ifindex === p.ifindex);
        if (!other || !o || back?.peerIndex !== link.ifindex || ref.peerIndex !== p.ifindex || o.peer) continue;
        link.peer = { netns: p.name, ifname: o.ifname, ifindex: o.ifindex };
        o.peer = { netns: name, ifname: link.ifname, ifindex: link.ifindex };
      }
    }
  }

  private rememberPairs(byName: Map<NetnsRef, RawNetlinkNetns>, inoOf: Map<string, number>): void {
    this.pairs.clear();
    for (const [name, raw] of byName) {
      if (name === null) continue;
      for (const link of raw.ns.links) {
        const p = link.peer;
        if (!p || p.netns === null || p.netns === name || !raw.vethRefs.has(link.ifindex)) continue;
        const ino = inoOf.get(p.netns);
        if (ino !== undefined)
          this.pairs.set(`${inoOf.get(name)}/${link.ifindex}`, { name: p.netns, ino, ifindex: p.ifindex });
      }
    }
  }
}

/**
 * Which reused namespaces a status sample must read counters in. A veth end's counters are its peer's
 * mirrored: the kernel counts a packet once, as tx on the sending end and rx on the receiving one, and
 * veth_get_stats64() reports each end's rx from its peer's tx counter (XDP programs on a veth add counts
 * of their own, which a mirror does not see). So a reused namespace whose only links besides `lo` are veths
 * with the other end in a namespace that is read anyway needs no read (`lo` counters are not reported by
 * status); between two reused namespaces, one of them is read (greedy cover, pair by pair).
 */
export function counterPlan(
  byName: Map<NetnsRef, RawNetlinkNetns>,
  reused: Set<string>,
): { read: string[]; mirror: Set<string> } {
  const read = new Set<string>();
  const later: [string, string][] = [];
  for (const name of reused) {
    const raw = byName.get(name)!;
    for (const l of raw.ns.links) {
      if (l.kind === 'loopback' || l.ifname === 'lo') continue;
      const peerNs = l.kind === 'veth' ? l.peer?.netns : undefined;
      if (peerNs === undefined || peerNs === name) read.add(name);
      else if (peerNs !== null && reused.has(peerNs)) later.push([name, peerNs]);
    }
  }
  for (const [a, b] of later) if (!read.has(a) && !read.has(b)) read.add(b);
  const mirror = new Set([...reused].filter((n) => !read.has(n)));
  return { read: [...read], mirror };
}

/** Veth ends in `names` take their counters from their peers (rx ↔ tx), which were just read. */
export function mirrorCounters(byName: Map<NetnsRef, RawNetlinkNetns>, names: Set<string>): void {
  const index = new Map<NetnsRef, Map<number, ObservedLink>>();
  const linkAt = (ns: NetnsRef, ifindex: number) => {
    let m = index.get(ns);
    if (!m) {
      m = new Map((byName.get(ns)?.ns.links ?? []).map((l) => [l.ifindex, l]));
      index.set(ns, m);
    }
    return m.get(ifindex);
  };
  for (const name of names) {
    const links = byName.get(name)!.ns.links;
    for (const [i, l] of links.entries()) {
      if (l.kind !== 'veth' || !l.peer) continue;
      const c = linkAt(l.peer.netns, l.peer.ifindex)?.counters;
      if (c)
        setCounters(links, i, {
          rxPackets: c.txPackets,
          txPackets: c.rxPackets,
          rxBytes: c.txBytes,
          txBytes: c.rxBytes,
        });
    }
  }
}

/** Read every time: what netlink alone does not give (tc parameters, bridge VLANs, a root lower device). */
const needsTools = (raw: RawNetlinkNetns) => raw.needsTc === true || raw.needsVlans === true || !!raw.lowerRefs;

/** A reused namespace: its links copied (peers across namespaces are resolved again), the rest shared. */
function reuse(raw: RawNetlinkNetns): RawNetlinkNetns {
  // Only veth ends with a peer elsewhere are changed in place afterwards (their peer is resolved again);
  // every other link object is shared with the cache, and replaced in the array, never mutated.
  const links = raw.ns.links.map((l) => (raw.vethRefs.has(l.ifindex) ? { ...l, peer: null } : l));
  return { ...raw, ns: { ...raw.ns, links } };
}

/** Sets new counters on the link at `i` of this (reused, own) links array without touching shared objects. */
function setCounters(links: ObservedLink[], i: number, counters: NonNullable<ObservedLink['counters']>): void {
  links[i] = { ...links[i]!, counters };
}

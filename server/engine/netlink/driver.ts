/**
 * NetlinkDriver: executes planned operations as rtnetlink messages through a long-lived agent process
 * (agent.mjs + the native addon in native/netlink) living in the runner's world. Same contract as the
 * ip-batch driver (server/engine/driver.ts): dependency-ordered ops in, per-"wave" hooks, the first failure
 * out. Messages of consecutive ops are pipelined per namespace socket; a wave ends only when an op needs an
 * ifindex the driver cannot know yet (e.g. an address on an interface created earlier in the same run).
 * Errors carry the op, the errno name and number — never parsed text.
 */
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../../paths';
import type { CommandRunner } from '../contract';
import { routeFamily } from '../desired';
import { type Driver, type ExecFailure, type ExecHooks, type ExecResult, IpBatchDriver } from '../driver';
import { markerToAlias } from '../marker';
import { opArgvs } from '../render';
import { assignWaves } from '../schedule';
import { netnsR, nsKey } from '../steps';
import type { AnyOpBody, NetnsRef, OpBody } from '../types';
import { type Action, type ActionResult, Agent, type WaveAction } from './agentProcess';
import {
  addrMsg,
  delLink,
  dumpLinks,
  type Encoded,
  getLink,
  type LinkInfo,
  NLMSG_ERROR,
  newBridge,
  newVeth,
  parseError,
  parseLink,
  parseReplies,
  RTM_NEWLINK,
  routeMsg,
  setLink,
} from './messages';

export { type Action, type ActionResult, AGENT_PATH, Agent, type WaveAction } from './agentProcess';

const TRACE = process.env.NETLOOM_NETLINK_TRACE === '1';
export const ADDON_PATH = join(REPO_ROOT, 'native', 'netlink', 'build', 'Release', 'netloom_netlink.node');

const ERRNO_NAMES = new Map<number, string>(Object.entries(constants.errno).map(([k, v]) => [v, k]));
export const errnoName = (n: number): string => ERRNO_NAMES.get(n) ?? `E${n}`;

/** ExecFailure plus the kernel's answer as data (the engine may use `errno` instead of the text). */
export interface NetlinkExecFailure extends ExecFailure {
  /** errno name, e.g. `EEXIST` (`code` carries its number); `exit N` for a feature op run by `tc`. */
  errno: string;
}

// --------------------------------------------------------------------------------------------------
// --------------------------------------------------------------------------------------------------
// Encoding operations

type Lingering = Map<string, { netns: NetnsRef; ifindexes: Set<number> }>;

/** An interface whose ifindex an op needs and the driver does not know yet. */
interface Missing {
  netns: NetnsRef;
  ifname: string;
}
/** An op's parts, or the first ifindex it lacks (then nothing was produced: no message, no index change). */
type Encoding = { parts: Part[] } | { missing: Missing };
const missing = (netns: NetnsRef, ifname: string): Encoding => ({ missing: { netns, ifname } });
const byName = (ifname: string) => ({ ifname });

/** One step of a wave: a netlink message (with the op it belongs to) or an agent action. */
export type Part =
  | { op: number; argv: string[]; nl: { netns: NetnsRef; msg: Encoded; seq: number } }
  | { op: number; argv: string[]; act: Exclude<WaveAction, { t: 'nl' }> };

/**
 * Orders a wave's parts for as few socket switches as possible without reordering anything that depends on
 * each other: the one scheduler (schedule.ts) puts each part in the earliest round after every earlier part
 * touching one of its namespaces (the same round when that part runs on the same socket, whose order the
 * kernel keeps). Within a round, parts are grouped per socket (namespace-level actions form one group, so
 * creations batch on threads); consecutive messages of a group become one action: one sendmsg of pipelined
 * requests.
 */
export function arrange(parts: readonly Part[]): { actions: WaveAction[]; owners: Part[][] } {
  const execOf = (p: Part) => ('nl' in p ? nsKey(p.nl.netns) : 'agent');
  const { waves } = assignWaves(
    parts.map((p) => ({
      exec: execOf(p),
      reads: [],
      writes: ('nl' in p ? [p.nl.netns, ...p.nl.msg.fdSlots.map((f) => f.netns)] : [p.act.ns]).map(netnsR),
    })),
  );
  const rounds: Map<string, Part[]>[] = [];
  parts.forEach((p, j) => {
    const round = waves[j]!;
    while (rounds.length <= round) rounds.push(new Map());
    const groups = rounds[round]!;
    const g = groups.get(execOf(p));
    if (g) g.push(p);
    else groups.set(execOf(p), [p]);
  });
  const actions: WaveAction[] = [];
  const owners: Part[][] = [];
  for (const groups of rounds) {
    for (const group of groups.values()) {
      for (const p of group) {
        const lastParts = owners[owners.length - 1];
        const prev = lastParts?.[0];
        if ('nl' in p && prev && 'nl' in prev && prev.nl.netns === p.nl.netns) {
          lastParts!.push(p);
          continue;
        }
        actions.push('nl' in p ? { t: 'nl', ns: p.nl.netns, b64: '' } : p.act);
        owners.push([p]);
      }
    }
  }
  return { actions, owners };
}

/** Kinds with an rtnetlink encoding here; the others (tc, nft, sysctl, bridge vlan, attached devices) run through the ip-batch driver. */
const NETLINK_KINDS = [
  'netns.create',
  'netns.delete',
  'netns.setForwarding',
  'bridge.create',
  'bridge.setStp',
  'veth.create',
  'link.delete',
  'link.rename',
  'link.setUp',
  'link.setMtu',
  'link.setMac',
  'link.setMaster',
  'link.setAlias',
  'addr.add',
  'addr.del',
  'route.add',
  'route.del',
] as const;
type NetlinkOp = Extract<OpBody, { kind: (typeof NETLINK_KINDS)[number] }>;
const NETLINK_SET: ReadonlySet<string> = new Set(NETLINK_KINDS);
const encodesNetlink = (op: AnyOpBody): op is NetlinkOp => NETLINK_SET.has(op.kind);

/** Operations whose effects are namespace/link removals only (they need no settled host before them). */
const removal = (op: AnyOpBody) => op.kind === 'netns.delete' || op.kind === 'link.delete';

/** `${nsKey}|${ifname}` of the interfaces an op creates (or renames to). */
function creates(op: AnyOpBody): string[] {
  switch (op.kind) {
    case 'veth.create':
      return [op.a, op.b].map((e) => `${nsKey(e.netns)}|${e.ifname}`);
    case 'bridge.create':
      return [`${nsKey(op.netns)}|${op.ifname}`];
    case 'link.rename':
      return [`${nsKey(op.netns)}|${op.to}`];
    default:
      return [];
  }
}

/** Operations after which every interface name still means the same interface. */
const KEEPS_NAMES = new Set<string>([
  'netns.setForwarding',
  'bridge.setStp',
  'link.setUp',
  'link.setMtu',
  'link.setMac',
  'link.setMaster',
  'link.setAlias',
  'addr.add',
  'addr.del',
  'route.add',
  'route.del',
  'sysctl.set',
]);

/** (netns, ifname) pairs whose ifindex an op needs. */
function needs(op: AnyOpBody): [NetnsRef, string][] {
  switch (op.kind) {
    case 'veth.create': {
      const out: [NetnsRef, string][] = [];
      if (op.a.master) out.push([op.a.netns, op.a.master]);
      if (op.b.master) out.push([op.b.netns, op.b.master]);
      return out;
    }
    case 'link.rename':
      return [[op.netns, op.from]];
    case 'link.setMaster':
      return op.master === null ? [] : [[op.netns, op.master]];
    case 'addr.add':
    case 'addr.del':
      return [[op.netns, op.ifname]];
    case 'route.add':
    case 'route.del':
      return op.route.dev !== undefined ? [[op.netns, op.route.dev]] : [];
    default:
      return [];
  }
}

export interface NetlinkDriverOptions {
  /** Wait at the end of execute() until deleted namespaces' veth peers are gone (as the ip-batch driver does). */
  settle?: boolean;
  netnsGoneTimeoutMs?: number;
}

export class NetlinkDriver implements Driver {
  readonly name = 'netlink';
  private readonly fallback: IpBatchDriver;
  private agent: Agent | null;
  private seq = 1;
  /** Per namespace: ifname → ifindex, as far as this execute() knows (reset at every call). */
  private idx = new Map<string, Map<string, number>>();
  private observedIndex: ExecHooks['ifindexOf'];

  constructor(
    readonly runner: CommandRunner,
    agent: Agent | null,
    private readonly opts: NetlinkDriverOptions = {},
  ) {
    this.agent = agent;
    this.fallback = new IpBatchDriver(runner);
  }

  /** Starts the agent (once); restarts it if it died. Shared with observeNetlink() (one agent process). */
  async ensureAgent(): Promise<Agent> {
    if (!this.agent || this.agent.dead) this.agent = await Agent.start(this.runner.prefix);
    return this.agent;
  }

  /** PID of the agent process (its nsenter wrapper in a sandbox), if one is running. */
  get agentPid(): number | undefined {
    return this.agent && !this.agent.dead ? this.agent.pid : undefined;
  }

  async close(): Promise<void> {
    await this.agent?.close();
    this.agent = null;
  }

  /** The ifindex of (netns, ifname) as far as this execute() knows (or the caller's observation), if known. */
  private lookup(netns: NetnsRef, ifname: string): number | undefined {
    const m = this.idx.get(nsKey(netns));
    let i = m?.get(ifname);
    if (i === undefined && this.observedIndex) {
      i = this.observedIndex(netns, ifname);
      if (i !== undefined) {
        if (m) m.set(ifname, i);
        else this.idx.set(nsKey(netns), new Map([[ifname, i]]));
      }
    }
    return i;
  }

  private part(netns: NetnsRef, op: number, argv: string[], build: (seq: number) => Encoded): Part {
    const seq = this.seq++;
    return { op, argv, nl: { netns, seq, msg: build(seq) } };
  }

  /** Op i's iproute2 argvs (the k-th step's, else the first's) and its message-part builder. */
  private builder(op: NetlinkOp, i: number) {
    const argvs = opArgvs(op);
    const a0 = argvs[0] ?? [];
    return {
      a0,
      av: (k: number) => argvs[k] ?? a0,
      P: (netns: NetnsRef, argv: string[], build: (seq: number) => Encoded) => this.part(netns, i, argv, build),
    };
  }

  /** Parts of one op, or the first ifindex it lacks (checked before producing anything). */
  private encode(op: NetlinkOp, i: number): Encoding {
    switch (op.kind) {
      case 'netns.create':
      case 'netns.delete':
      case 'netns.setForwarding':
        return { parts: this.encodeNetns(op, i) };
      case 'bridge.create':
      case 'veth.create':
        return this.encodeCreation(op, i);
      case 'addr.add':
      case 'addr.del':
      case 'route.add':
      case 'route.del':
        return this.encodeAddressing(op, i);
      default:
        return this.encodeLink(op, i);
    }
  }

  private encodeNetns(op: Extract<NetlinkOp, { kind: `netns.${string}` }>, i: number): Part[] {
    const { a0, av, P } = this.builder(op, i);
    switch (op.kind) {
      case 'netns.create': {
        const parts: Part[] = [
          { op: i, argv: a0, act: { t: 'create', ns: op.netns } },
          P(op.netns, av(1), (q) => setLink(q, byName('lo'), { alias: markerToAlias(op.marker) })),
          P(op.netns, av(2), (q) => setLink(q, byName('lo'), { up: true })),
        ];
        this.idx.set(nsKey(op.netns), new Map([['lo', 1]]));
        return parts;
      }
      case 'netns.delete':
        this.idx.delete(nsKey(op.netns));
        return [{ op: i, argv: a0, act: { t: 'delete', ns: op.netns } }];
      case 'netns.setForwarding': {
        const v = op.on ? '1' : '0';
        return [
          { op: i, argv: a0, act: { t: 'write', ns: op.netns, file: '/proc/sys/net/ipv4/ip_forward', data: v } },
          {
            op: i,
            argv: a0,
            act: { t: 'write', ns: op.netns, file: '/proc/sys/net/ipv6/conf/all/forwarding', data: v },
          },
        ];
      }
    }
  }

  private encodeCreation(op: Extract<NetlinkOp, { kind: 'bridge.create' | 'veth.create' }>, i: number): Encoding {
    const { a0, av, P } = this.builder(op, i);
    if (op.kind === 'bridge.create') {
      // The kernel ignores IFLA_IFALIAS in a creating RTM_NEWLINK: the marker follows in the same batch.
      return {
        parts: [
          P(op.netns, a0, (q) => newBridge(q, op)),
          P(op.netns, av(1), (q) => setLink(q, byName(op.ifname), { alias: markerToAlias(op.marker) })),
        ],
      };
    }
    // Created from the root side when there is one (as render() does); the peer is placed by netns fd.
    const [l, r] = op.a.netns === null ? [op.a, op.b] : op.b.netns === null ? [op.b, op.a] : [op.a, op.b];
    const lMaster = l.master !== undefined ? this.lookup(l.netns, l.master) : undefined;
    if (l.master !== undefined && lMaster === undefined) return missing(l.netns, l.master);
    const rMaster = r.master !== undefined ? this.lookup(r.netns, r.master) : undefined;
    if (r.master !== undefined && rMaster === undefined) return missing(r.netns, r.master);
    const parts: Part[] = [
      P(l.netns, a0, (q) => newVeth(q, { ...l, master: lMaster }, r, r.netns !== l.netns ? r.netns : undefined)),
      P(l.netns, a0, (q) => setLink(q, byName(l.ifname), { alias: markerToAlias(l.marker) })),
      P(r.netns, a0, (q) =>
        setLink(q, byName(r.ifname), {
          alias: markerToAlias(r.marker),
          ...(rMaster !== undefined && { master: rMaster }),
        }),
      ),
    ];
    this.idx.get(nsKey(l.netns))?.delete(l.ifname);
    this.idx.get(nsKey(r.netns))?.delete(r.ifname);
    return { parts };
  }

  private encodeLink(op: Extract<NetlinkOp, { kind: 'bridge.setStp' | `link.${string}` }>, i: number): Encoding {
    const { a0, P } = this.builder(op, i);
    const one = (build: (seq: number) => Encoded): Encoding => ({ parts: [P(op.netns, a0, build)] });
    switch (op.kind) {
      case 'bridge.setStp':
        return one((q) => setLink(q, byName(op.ifname), { stp: op.on }));
      case 'link.delete':
        this.idx.get(nsKey(op.netns))?.delete(op.ifname);
        return one((q) => delLink(q, op.ifname));
      case 'link.rename': {
        const from = this.lookup(op.netns, op.from);
        if (from === undefined) return missing(op.netns, op.from);
        const m = this.idx.get(nsKey(op.netns))!;
        m.delete(op.from);
        m.set(op.to, from);
        return one((q) => setLink(q, { index: from }, { rename: op.to }));
      }
      case 'link.setUp':
        return one((q) => setLink(q, byName(op.ifname), { up: op.up }));
      case 'link.setMtu':
        return one((q) => setLink(q, byName(op.ifname), { mtu: op.mtu }));
      case 'link.setMac':
        return one((q) => setLink(q, byName(op.ifname), { mac: op.mac }));
      case 'link.setMaster': {
        const m = op.master === null ? 0 : this.lookup(op.netns, op.master);
        if (m === undefined) return missing(op.netns, op.master!);
        return one((q) => setLink(q, byName(op.ifname), { master: m }));
      }
      case 'link.setAlias':
        return one((q) => setLink(q, byName(op.ifname), { alias: markerToAlias(op.alias) }));
    }
  }

  private encodeAddressing(
    op: Extract<NetlinkOp, { kind: `addr.${string}` | `route.${string}` }>,
    i: number,
  ): Encoding {
    const { a0, P } = this.builder(op, i);
    if (op.kind === 'addr.add' || op.kind === 'addr.del') {
      const index = this.lookup(op.netns, op.ifname);
      if (index === undefined) return missing(op.netns, op.ifname);
      return { parts: [P(op.netns, a0, (q) => addrMsg(q, op.kind === 'addr.add', index, op.cidr))] };
    }
    const r = op.route;
    const oif = r.dev !== undefined ? this.lookup(op.netns, r.dev) : undefined;
    if (r.dev !== undefined && oif === undefined) return missing(op.netns, r.dev);
    const route = { family: routeFamily(r), to: r.to, via: r.via, metric: r.metric };
    return { parts: [P(op.netns, a0, (q) => routeMsg(q, op.kind === 'route.add', route, oif))] };
  }

  // ------------------------------------------------------------------------------------------------

  private dumpAction(netns: NetnsRef): Action {
    return { t: 'nl', ns: netns, b64: dumpLinks(this.seq++).buf.toString('base64'), soft: true };
  }

  /** Link dumps of several namespaces in one agent round trip; a missing namespace yields null. */
  private async dumpLinks(agent: Agent, names: NetnsRef[]): Promise<(LinkInfo[] | null)[]> {
    if (!names.length) return [];
    const res = await agent.request({ actions: names.map((n) => this.dumpAction(n)) });
    return names.map((_, k) => {
      const r = res[k];
      if (!r?.ok || r.b64 === undefined) return null;
      return parseReplies(Buffer.from(r.b64, 'base64'))
        .filter((m) => m.type === RTM_NEWLINK)
        .map(parseLink);
    });
  }

  /** Asks each namespace for the given links (by name or index), all in one round trip; absent ones are skipped. */
  private async getLinks(
    agent: Agent,
    want: Map<string, { netns: NetnsRef; targets: ({ ifname: string } | { index: number })[] }>,
  ) {
    const groups = [...want.values()].filter((g) => g.targets.length);
    if (!groups.length) return [];
    const actions: Action[] = groups.map((g) => ({
      t: 'nl',
      ns: g.netns,
      b64: Buffer.concat(g.targets.map((t) => getLink(this.seq++, t).buf)).toString('base64'),
      soft: true,
    }));
    const res = await agent.request({ actions });
    return groups.map((g, k) => {
      const r = res[k];
      const links =
        r?.b64 === undefined
          ? []
          : parseReplies(Buffer.from(r.b64, 'base64'))
              .filter((m) => m.type === RTM_NEWLINK)
              .map(parseLink);
      return { netns: g.netns, links };
    });
  }

  /** Learns the ifindexes of (netns, ifname) pairs. */
  private async reload(agent: Agent, pairs: [NetnsRef, string][]): Promise<void> {
    const want = new Map<string, { netns: NetnsRef; targets: { ifname: string }[] }>();
    for (const [netns, ifname] of pairs) {
      const g = want.get(nsKey(netns)) ?? { netns, targets: [] };
      if (!g.targets.some((t) => t.ifname === ifname)) g.targets.push({ ifname });
      want.set(nsKey(netns), g);
    }
    for (const { netns, links } of await this.getLinks(agent, want)) {
      const m = this.idx.get(nsKey(netns)) ?? new Map<string, number>();
      for (const l of links) m.set(l.ifname, l.index);
      this.idx.set(nsKey(netns), m);
    }
  }

  /**
   * Veth ends outside `names` whose peers live inside: they linger until the kernel finishes the deletion.
   * From the caller's observation when it has one (hooks.peersOf), else read here (root-side peers).
   */
  private async lingering(agent: Agent, names: string[], hooks: ExecHooks, into: Lingering): Promise<void> {
    const add = (netns: NetnsRef, ifindex: number) => {
      const e = into.get(nsKey(netns)) ?? { netns, ifindexes: new Set<number>() };
      e.ifindexes.add(ifindex);
      into.set(nsKey(netns), e);
    };
    const unknown: string[] = [];
    for (const n of names) {
      const known = hooks.peersOf?.(n);
      if (known) for (const p of known) add(p.netns, p.ifindex);
      else unknown.push(n);
    }
    if (!unknown.length) return;
    const dumps = await this.dumpLinks(agent, [null, ...unknown]);
    const root = new Map((dumps[0] ?? []).map((l) => [l.index, l]));
    for (const d of dumps.slice(1)) {
      for (const l of d ?? []) {
        if (l.kind !== 'veth' || l.linkNetnsid === undefined || l.link === undefined) continue;
        const peer = root.get(l.link);
        if (peer?.kind === 'veth' && peer.link === l.index) add(null, peer.index);
      }
    }
  }

  private async waitGone(agent: Agent, lingering: Lingering, deleted: Set<string>): Promise<void> {
    const watch = [...lingering.values()].filter((e) => e.netns === null || !deleted.has(e.netns));
    if (!watch.length) return;
    const t0 = performance.now();
    let polls = 0;
    const deadline = Date.now() + (this.opts.netnsGoneTimeoutMs ?? 5000);
    while (Date.now() < deadline) {
      const want = new Map(
        watch.map((e) => [nsKey(e.netns), { netns: e.netns, targets: [...e.ifindexes].map((index) => ({ index })) }]),
      );
      const found = await this.getLinks(agent, want);
      const present = found.some((f) =>
        f.links.some((l) => want.get(nsKey(f.netns))!.targets.some((t) => t.index === l.index)),
      );
      polls++;
      if (!present) {
        if (TRACE) process.stderr.write(`netlink waitGone: ${polls} polls ${(performance.now() - t0).toFixed(1)} ms\n`);
        return;
      }
      await new Promise((r) => setTimeout(r, 2));
    }
  }

  async execute(ops: readonly AnyOpBody[], hooks: ExecHooks = {}): Promise<ExecResult> {
    const agent = await this.ensureAgent();
    this.idx = new Map();
    // The caller's observation may stand in for ifindex lookups (one round trip less on a small edit), but
    // only when no interface or namespace of this run is created, deleted or renamed: then every name
    // still means the interface that was observed.
    this.observedIndex = ops.every((o) => KEEPS_NAMES.has(o.kind)) ? hooks.ifindexOf : undefined;
    const run: Run = {
      agent,
      ops,
      hooks,
      wave: 0,
      pending: [],
      lingering: new Map(),
      deleted: new Set(),
      closed: false,
      at: 0,
    };
    try {
      const r = await this.runOps(run);
      return 'failed' in r ? { ok: false, processes: 0, failure: r.failed } : { ok: true, processes: 0 };
    } catch (e) {
      // Only the agent's death (during a read: lookups, waiting for deletions) becomes a failure.
      if (!agent.dead) throw e;
      return { ok: false, processes: 0, failure: agentDied(run, agent.dead) };
    } finally {
      // Never keep namespaces alive behind the user's back: drop every fd but the root socket.
      if (!run.closed) await agent.request({ cmd: 'closeAll' }).catch(() => {});
    }
  }

  /** Every op in order, then the last wave (and, when asked, the wait for lingering peers). */
  private async runOps(run: Run): Promise<Outcome> {
    for (let i = 0; i < run.ops.length; ) {
      run.at = i;
      const r = await this.runOp(run, i);
      if ('failed' in r) return r;
      i = r.next;
    }
    // Nothing reads through the agent after the last wave unless deletions linger: then that wave also
    // closes the fds, saving closeAll's round trip. (Verify reads through the engine's Observer.)
    const f = await this.flush(run, !run.lingering.size);
    if ('failed' in f) return f;
    if (run.lingering.size && this.opts.settle !== false) await this.waitGone(run.agent, run.lingering, run.deleted);
    return OK;
  }

  /** Op i into the pending wave (or a stretch of feature ops through the ip-batch driver): the next op's index. */
  private async runOp(run: Run, i: number): Promise<Next | Failed> {
    const op = run.ops[i]!;
    // After namespace deletions, anything but further removals waits until the kernel is done.
    if (run.lingering.size && !removal(op)) {
      const s = await this.settle(run);
      if ('failed' in s) return s;
    }
    if (!encodesNetlink(op)) return this.runFallback(run, i);
    const e = await this.encodeWithLookup(run, op, i);
    if ('failed' in e) return e;
    run.pending.push(...e.parts);
    return { ok: true, next: i + 1 };
  }

  /** Sends the pending wave, then waits until the deleted namespaces' veth peers are gone. */
  private async settle(run: Run): Promise<Outcome> {
    const f = await this.flush(run);
    if ('failed' in f) return f;
    await this.waitGone(run.agent, run.lingering, run.deleted);
    run.lingering = new Map();
    return OK;
  }

  /**
   * Feature operations (qdiscs, …) have no netlink encoding here: the ip-batch driver runs each run of them
   * (from op i on) as its own wave(s), after everything before has been sent.
   */
  private async runFallback(run: Run, i: number): Promise<Next | Failed> {
    const f = await this.flush(run);
    if ('failed' in f) return f;
    let j = i;
    while (j + 1 < run.ops.length && !encodesNetlink(run.ops[j + 1]!)) j++;
    const idx = (k: number) => i + k;
    const { hooks } = run;
    const r = await this.fallback.execute(run.ops.slice(i, j + 1), {
      onWaveStart: (o, _w, _n, first) => hooks.onWaveStart?.(o.map(idx), run.wave, run.wave + 1, first),
      onWaveDone: async (o) => {
        await hooks.onWaveDone?.(o.map(idx), run.wave, run.wave + 1);
        run.wave++;
      },
    });
    if (!r.ok) {
      const e = r.failure;
      return { failed: { ...e, op: idx(e.op), attempted: e.attempted.map(idx), errno: `exit ${e.code}` } };
    }
    return { ok: true, next: j + 1 };
  }

  /**
   * Parts of op i. When it needs an ifindex not known yet, the pending wave is sent first and the index looked
   * up (one round trip); an interface still unknown then fails the op with ENODEV.
   */
  private async encodeWithLookup(run: Run, op: NetlinkOp, i: number): Promise<{ parts: Part[] } | Failed> {
    const first = this.encode(op, i);
    if ('parts' in first) return first;
    const f = await this.flush(run);
    if ('failed' in f) return f;
    await this.reload(run.agent, this.lookups(run.ops, i, first.missing));
    const again = this.encode(op, i);
    if ('parts' in again) return again;
    const errno = constants.errno.ENODEV;
    const stderr = `netlink: ENODEV (errno ${errno}): no interface '${again.missing.ifname}'`;
    return { failed: { op: i, argv: opArgvs(op)[0] ?? [], code: errno, errno: 'ENODEV', stderr, attempted: [i] } };
  }

  /**
   * The missing name plus every name the ops after i need that exists by now (one round trip); names that a
   * later op creates are looked up after the wave that creates them.
   */
  private lookups(ops: readonly AnyOpBody[], i: number, first: Missing): [NetnsRef, string][] {
    const made = new Set(ops.slice(i).flatMap(creates));
    const want: [NetnsRef, string][] = [[first.netns, first.ifname]];
    for (const later of ops.slice(i + 1)) {
      for (const [n, name] of needs(later)) {
        if (!this.idx.get(nsKey(n))?.has(name) && !made.has(`${nsKey(n)}|${name}`)) want.push([n, name]);
      }
    }
    return want;
  }

  /** Sends the pending parts as one wave (`last`: the agent then drops its fds). */
  private async flush(run: Run, last = false): Promise<Outcome> {
    if (!run.pending.length) return OK;
    const parts = run.pending;
    run.pending = [];
    const opsInWave = [...new Set(parts.map((p) => p.op))];
    await run.hooks.onWaveStart?.(opsInWave, run.wave, run.wave + 1, parts[0]!.argv);
    await this.noteDeletions(run, parts);
    const { actions, owners } = pack(parts);
    const t0 = TRACE ? performance.now() : 0;
    const sent = await this.send(run, actions, last);
    // The agent died mid-wave: any op of the wave may have partly run.
    if ('lost' in sent) return { failed: waveLost(parts[0]!, sent.lost, opsInWave) };
    if (TRACE) traceWave(run.wave, parts.length, actions, t0);
    run.wave++;
    const failure = waveFailure(actions, owners, sent.results, parts[0]!, opsInWave);
    if (failure) return { failed: failure };
    await run.hooks.onWaveDone?.(
      opsInWave.sort((a, b) => a - b),
      run.wave - 1,
      run.wave,
    );
    return OK;
  }

  /** Before a wave deletes namespaces: notes the veth peers outside them that will linger (see lingering()). */
  private async noteDeletions(run: Run, parts: readonly Part[]): Promise<void> {
    const deleting = parts.flatMap((p) => ('act' in p && p.act.t === 'delete' ? [p.act.ns] : []));
    if (!deleting.length) return;
    const t1 = performance.now();
    await this.lingering(run.agent, deleting, run.hooks, run.lingering);
    if (TRACE) process.stderr.write(`netlink lingering: ${(performance.now() - t1).toFixed(1)} ms\n`);
    for (const n of deleting) run.deleted.add(n);
  }

  /** One wave's request: the agent's results, or why it was lost (the agent died). */
  private async send(
    run: Run,
    actions: WaveAction[],
    last: boolean,
  ): Promise<{ results: ActionResult[] } | { lost: string }> {
    try {
      const results = await run.agent.request({ actions, ...(last && { close: true }) });
      run.closed = last;
      return { results };
    } catch (e) {
      return { lost: (e as Error).message };
    }
  }
}

// --------------------------------------------------------------------------------------------------
// One execute(): its state and outcomes

/** The state one execute() shares between its waves. */
interface Run {
  agent: Agent;
  ops: readonly AnyOpBody[];
  hooks: ExecHooks;
  /** Waves sent so far (the hooks' wave numbers). */
  wave: number;
  /** Parts encoded and not sent yet: the next wave. */
  pending: Part[];
  /** Veth peers of deleted namespaces that may not be gone yet. */
  lingering: Lingering;
  deleted: Set<string>;
  /** Whether the agent already dropped its namespace fds (the last wave asked it to). */
  closed: boolean;
  /** The op being run (what an agent death during a read is charged to). */
  at: number;
}

/** How a step of the run ended: it goes on, or stops with this failure. */
type Failed = { failed: NetlinkExecFailure };
type Outcome = { ok: true } | Failed;
type Next = { ok: true; next: number };
const OK: Outcome = { ok: true };

/** arrange() with each netlink action's bytes: its parts' messages back to back, with their netns fd slots. */
function pack(parts: readonly Part[]): { actions: WaveAction[]; owners: Part[][] } {
  const arranged = arrange(parts);
  arranged.actions.forEach((a, k) => {
    if (a.t !== 'nl') return;
    const ps = arranged.owners[k]! as Extract<Part, { nl: unknown }>[];
    const fds: { offset: number; netns: NetnsRef }[] = [];
    let off = 0;
    for (const p of ps) {
      for (const s of p.nl.msg.fdSlots) fds.push({ offset: off + s.offset, netns: s.netns });
      off += p.nl.msg.buf.length;
    }
    a.b64 = Buffer.concat(ps.map((p) => p.nl.msg.buf)).toString('base64');
    if (fds.length) a.fds = fds;
  });
  return arranged;
}

function traceWave(wave: number, parts: number, actions: readonly WaveAction[], t0: number): void {
  const kinds: Record<string, number> = {};
  for (const a of actions) kinds[a.t] = (kinds[a.t] ?? 0) + 1;
  process.stderr.write(
    `netlink wave ${wave}: ${parts} parts ${JSON.stringify(kinds)} ${(performance.now() - t0).toFixed(1)} ms\n`,
  );
}

/** The wave whose request the agent never answered (it died). */
function waveLost(first: Part, why: string, attempted: number[]): NetlinkExecFailure {
  const code = constants.errno.EPIPE;
  return { op: first.op, argv: first.argv, code, errno: 'EPIPE', stderr: `netlink: ${why}`, attempted };
}

/** A wave's failure from the agent's results (the first failed action), or null when every action succeeded. */
function waveFailure(
  actions: readonly WaveAction[],
  owners: readonly Part[][],
  results: readonly ActionResult[],
  first: Part,
  attempted: number[],
): NetlinkExecFailure | null {
  for (let k = 0; k < actions.length; k++) {
    const r = results[k];
    if (!r) break;
    if (!r.ok) return actionFailure(r, owners[k]!, attempted);
  }
  if (results.length >= actions.length) return null;
  const code = constants.errno.EIO;
  const stderr = 'netlink agent returned too few results';
  return { op: first.op, argv: first.argv, code, errno: 'EIO', stderr, attempted };
}

/** A failed action's failure, charged to its first message the kernel refused (else to its first part). */
function actionFailure(r: ActionResult, ps: readonly Part[], attempted: number[]): NetlinkExecFailure {
  let part = ps[0]!;
  let errno = r.errno ?? constants.errno.EIO;
  let extack: string | undefined;
  if (r.b64 !== undefined) {
    const bySeq = new Map(ps.map((p) => ['nl' in p ? p.nl.seq : -1, p]));
    const err = parseReplies(Buffer.from(r.b64, 'base64'))
      .filter((m) => m.type === NLMSG_ERROR)
      .map((m) => ({ m, e: parseError(m) }))
      .filter((x) => x.e.errno !== 0 && bySeq.has(x.m.seq))
      .sort((x, y) => x.m.seq - y.m.seq)[0];
    if (err) {
      part = bySeq.get(err.m.seq)!;
      errno = err.e.errno;
      extack = err.e.extack;
    }
  }
  const name = errnoName(errno);
  const stderr = `netlink: ${name} (errno ${errno})${extack ? `: ${extack}` : ''}`;
  return { op: part.op, argv: part.argv, code: errno, errno: name, stderr, attempted };
}

/** The agent died during a read: nothing of the current op ran yet, but the pending wave's ops may have. */
function agentDied(run: Run, dead: Error): NetlinkExecFailure {
  return {
    op: run.at,
    argv: opArgvs(run.ops[run.at]!)[0] ?? [],
    code: constants.errno.EPIPE,
    errno: 'EPIPE',
    stderr: `netlink: ${dead.message}`,
    attempted: [...new Set([...run.pending.map((p) => p.op), run.at])],
  };
}

// --------------------------------------------------------------------------------------------------

let lastReason: string | null = null;
/** Why the last loadNetlinkDriver() returned null (null when it succeeded or was never called). */
export const netlinkUnavailableReason = (): string | null => lastReason;

/**
 * The netlink driver for `runner`'s world, or null (reason in netlinkUnavailableReason()) when the addon is
 * not built or the agent cannot start: the engine then uses the ip-batch driver.
 */
export async function loadNetlinkDriver(
  runner: CommandRunner,
  opts: NetlinkDriverOptions = {},
): Promise<NetlinkDriver | null> {
  lastReason = null;
  if (!existsSync(ADDON_PATH)) {
    lastReason = `native addon not built (${ADDON_PATH}); run npm run build:native`;
    return null;
  }
  try {
    const agent = await Agent.start(runner.prefix);
    return new NetlinkDriver(runner, agent, opts);
  } catch (e) {
    lastReason = (e as Error).message;
    return null;
  }
}

/**
 * discover(runner) → Discovery: what is really on the host (or in the sandbox the runner enters), foreign
 * objects included. The root and every named namespace come from the engine's observe(); namespaces held
 * only by processes (no name under /run/netns) are found through /proc/PID/ns/net (de-duplicated by inode,
 * labelled `pid:<PID>` with the process name) and read with `nsenter --net=/proc/PID/ns/net ip -j …`
 * through the runner. Veth peers are resolved across all of them; other link kinds (on a lower device,
 * tunnels, tun, …) get their parent and a few kind-specific details. Read-only: never changes anything; argv only.
 */
import { readdir, readFile, readlink } from 'node:fs/promises';
import type { CommandRunner } from '../engine/contract';
import { fanout } from '../engine/fanout';
import { OBSERVE_BATCH, OBSERVE_FLAGS, observe, parseNetns, splitJson } from '../engine/observe';
import type { NetnsRef, ObservedLink, ObservedNetns, ObservedState } from '../engine/types';
import { mapLimit } from '../util/mapLimit';

/** Link kinds the Lab format can express as nodes or links; everything else is an "extra". */
export const LAB_KINDS: ReadonlySet<string> = new Set(['veth', 'bridge', 'loopback']);

/** A kernel link with what discovery adds to observe's view. */
export interface DiscoveredLink extends ObservedLink {
  /** Lower device (of a vlan, a vxlan's underlay, …), resolved across namespaces when possible. */
  parent?: { netns: NetnsRef; ifname: string } | null;
  /** A few primitive kind-specific fields from `ip -d` linkinfo (mode, id, remote, type, …). */
  detail?: Record<string, string | number | boolean>;
}

export interface DiscoveredNetns {
  /** null = root; a named namespace's name; `pid:<PID>` for one held only by a process. */
  ref: NetnsRef;
  source: 'root' | 'named' | 'process';
  /** Process-held namespaces: the lowest PID holding it, its `comm`, and the namespace inode. */
  pid?: number;
  comm?: string;
  inode?: number;
  marker: ObservedNetns['marker'];
  forwarding?: boolean;
  links: DiscoveredLink[];
  routes: ObservedNetns['routes'];
}

export interface Discovery {
  at: string;
  /** Root + named namespaces exactly as observe() read them: what plan() and status() take. */
  observed: ObservedState;
  /** Every namespace (root, named by name, then process-held by PID), with peers and parents resolved. */
  namespaces: DiscoveredNetns[];
  warnings: string[];
  durationMs: number;
}

export interface DiscoverOptions {
  /** Look for namespaces held only by processes (default true). */
  processes?: boolean;
  /** How many process-held namespaces are read at once. */
  concurrency?: number;
  /** Reuse an observation made just before (e.g. by the engine) instead of reading again. */
  observed?: ObservedState;
}

type J = Record<string, unknown>;
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

/** What we need of `ip -j -d link` beyond observe: cross-namespace references and linkinfo details. */
interface RawLink {
  ifindex: number;
  kind: string;
  /** Lower/peer device: same-namespace name, or index + nsid. */
  link?: string;
  linkIndex?: number;
  linkNetnsid?: number;
  detail: Record<string, string | number | boolean>;
}

interface RawView {
  ref: NetnsRef;
  links: Map<number, RawLink>;
  /** nsid → name as seen from this namespace (undefined name: root or a process-held namespace). */
  nsids: Map<number, string | undefined>;
}

const DETAIL_KEYS = ['mode', 'id', 'remote', 'local', 'port', 'type', 'pi', 'vnet_hdr', 'protocol', 'flags'];

function rawLinks(linksDoc: unknown): Map<number, RawLink> {
  const out = new Map<number, RawLink>();
  for (const l of (Array.isArray(linksDoc) ? linksDoc : []) as J[]) {
    const ifindex = num(l.ifindex);
    if (ifindex === undefined) continue;
    const info = (l.linkinfo ?? {}) as J;
    const data = (info.info_data ?? {}) as J;
    const detail: Record<string, string | number | boolean> = {};
    for (const k of DETAIL_KEYS) {
      const v = data[k];
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') detail[k] = v;
    }
    const link = str(l.link);
    out.set(ifindex, {
      ifindex,
      kind: str(info.info_kind) ?? str(l.link_type) ?? '',
      ...(link !== undefined && { link }),
      ...(num(l.link_index) !== undefined && { linkIndex: num(l.link_index) }),
      ...(num(l.link_netnsid) !== undefined && { linkNetnsid: num(l.link_netnsid) }),
      detail,
    });
  }
  return out;
}

function nsidMap(doc: unknown): Map<number, string | undefined> {
  const m = new Map<number, string | undefined>();
  for (const e of (Array.isArray(doc) ? doc : []) as J[]) {
    const id = num(e.nsid);
    if (id !== undefined) m.set(id, str(e.name));
  }
  return m;
}

/** Process-held network namespaces, found in /proc (global to every mount namespace of this PID space). */
interface Holder {
  inode: number;
  pid: number;
}

const inodeOf = (link: string): number | undefined => {
  const m = /^net:\[(\d+)\]$/.exec(link) ?? /^mnt:\[(\d+)\]$/.exec(link);
  return m ? Number(m[1]) : undefined;
};

/**
 * Inodes of the runner's root netns, its mount namespace and each named namespace, read from inside the
 * runner's world (one `stat` process; a namespace deleted meanwhile is simply missing).
 */
async function worldInodes(
  runner: CommandRunner,
  names: string[],
): Promise<{ root?: number; mnt?: number; netnsDev?: string; named: Map<number, string> }> {
  const paths = ['/proc/self/ns/net', '/proc/self/ns/mnt', '/run/netns', ...names.map((n) => `/run/netns/${n}`)];
  const r = await runner.run(['stat', '-L', '-c', '%i %Hd:%Ld %n', '--', ...paths], { timeoutMs: 30_000 });
  const named = new Map<number, string>();
  let root: number | undefined;
  let mnt: number | undefined;
  let netnsDev: string | undefined;
  for (const line of r.stdout.split('\n')) {
    const m = /^(\d+) (\d+:\d+) (.+)$/.exec(line);
    if (!m) continue;
    const ino = Number(m[1]);
    if (m[3] === '/proc/self/ns/net') root = ino;
    else if (m[3] === '/proc/self/ns/mnt') mnt = ino;
    else if (m[3] === '/run/netns') netnsDev = m[2];
    else if (m[3]!.startsWith('/run/netns/')) named.set(ino, m[3]!.slice('/run/netns/'.length));
  }
  return {
    ...(root !== undefined && { root }),
    ...(mnt !== undefined && { mnt }),
    ...(netnsDev !== undefined && { netnsDev }),
    named,
  };
}

/** The device (major:minor) of what is mounted on /run/netns in this mountinfo, if anything. */
export function runNetnsDevice(mountinfo: string): string | undefined {
  let dev: string | undefined;
  for (const line of mountinfo.split('\n')) {
    const f = line.split(' ');
    // The last mount on the path wins (mounts stack).
    if (f[4] === '/run/netns' && f[2]) dev = f[2];
  }
  return dev;
}

/**
 * Is `pid` in this sandbox's world though in another mount namespace? `ip netns exec` and the confined
 * tools (`unshare --mount-proc`) copy the sandbox's mount namespace, so their /run/netns is still the
 * sandbox's own tmpfs (same device). Without this, a namespace held only by such a process (a tool or
 * terminal job whose namespace was deleted under it) would be invisible to discovery and `gc`.
 */
async function sameWorld(pid: number, netnsDev: string | undefined): Promise<boolean> {
  if (netnsDev === undefined) return false;
  try {
    return runNetnsDevice(await readFile(`/proc/${pid}/mountinfo`, 'utf8')) === netnsDev;
  } catch {
    return false;
  }
}

/**
 * Network namespaces held by processes, one holder (lowest PID) per inode. In a sandbox, only processes in
 * the sandbox's mount namespace count (the host and other sandboxes share /proc but are not this world).
 */
async function processHolders(
  sameMnt: number | undefined,
  skip: (inode: number) => boolean,
  netnsDev?: string,
): Promise<Holder[]> {
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return [];
  }
  const pids = entries.filter((e) => /^\d+$/.test(e)).map(Number);
  const byInode = new Map<number, number>();
  // One mountinfo read per mount namespace (the host has few, each shared by many processes).
  const worldOfMnt = new Map<number, Promise<boolean>>();
  const inWorld = (pid: number, mnt: number | undefined): Promise<boolean> => {
    if (mnt === undefined) return Promise.resolve(false);
    if (mnt === sameMnt) return Promise.resolve(true);
    let p = worldOfMnt.get(mnt);
    if (!p) {
      p = sameWorld(pid, netnsDev);
      worldOfMnt.set(mnt, p);
    }
    return p;
  };
  await mapLimit(pids, 64, async (pid) => {
    try {
      const ino = inodeOf(await readlink(`/proc/${pid}/ns/net`));
      if (ino === undefined || skip(ino)) return;
      if (sameMnt !== undefined && !(await inWorld(pid, inodeOf(await readlink(`/proc/${pid}/ns/mnt`))))) return;
      const cur = byInode.get(ino);
      if (cur === undefined || pid < cur) byInode.set(ino, pid);
    } catch {
      // gone, or not ours to read
    }
  });
  return [...byInode].map(([inode, pid]) => ({ inode, pid })).sort((a, b) => a.pid - b.pid);
}

async function commOf(pid: number): Promise<string | undefined> {
  try {
    return (await readFile(`/proc/${pid}/comm`, 'utf8')).trim();
  } catch {
    return undefined;
  }
}

export async function discover(runner: CommandRunner, opts: DiscoverOptions = {}): Promise<Discovery> {
  const t0 = performance.now();
  const warnings: string[] = [];
  const observed = opts.observed ?? (await observe(runner));
  const names = Object.keys(observed.namespaces).sort();

  // ---- Process-held namespaces.
  const procViews: { view: DiscoveredNetns; raw: RawView }[] = [];
  if (opts.processes !== false) {
    const world = await worldInodes(runner, names);
    if (world.root === undefined) warnings.push('cannot read the inode of the root network namespace');
    const holders = await processHolders(
      runner.mode === 'sandbox' ? world.mnt : undefined,
      (ino) => ino === world.root || world.named.has(ino),
      world.netnsDev,
    );
    const read = await mapLimit(holders, opts.concurrency ?? 8, async (h) => {
      const ref = `pid:${h.pid}`;
      const r = await runner.run(['nsenter', `--net=/proc/${h.pid}/ns/net`, 'ip', ...OBSERVE_FLAGS, '-batch', '-'], {
        stdin: OBSERVE_BATCH,
        timeoutMs: 30_000,
      });
      if (r.code !== 0) {
        warnings.push(`cannot read the network namespace of process ${h.pid}: ${r.stderr.trim().split('\n')[0]}`);
        return null;
      }
      try {
        const parsed = parseNetns(ref, r.stdout);
        const docs = splitJson(r.stdout);
        const comm = await commOf(h.pid);
        const view: DiscoveredNetns = {
          ref,
          source: 'process',
          pid: h.pid,
          ...(comm !== undefined && { comm }),
          inode: h.inode,
          marker: parsed.ns.marker,
          ...(parsed.ns.forwarding !== undefined && { forwarding: parsed.ns.forwarding }),
          links: parsed.ns.links.map((l) => ({ ...l })),
          routes: parsed.ns.routes,
        };
        // `addr show -d` already carries linkinfo, link_index and link_netnsid.
        return { view, raw: { ref, links: rawLinks(docs[0]), nsids: nsidMap(docs[3]) } };
      } catch {
        warnings.push(`unreadable output for the network namespace of process ${h.pid}`);
        return null;
      }
    });
    for (const x of read) if (x) procViews.push(x);
  }

  // ---- Root and named namespaces: observe's view (copied), plus a detailed re-read of those holding
  // links observe cannot place (other kinds, veths whose peer it did not find).
  const base: DiscoveredNetns[] = [
    { ns: observed.root, source: 'root' as const },
    ...names.map((n) => ({ ns: observed.namespaces[n]!, source: 'named' as const })),
  ].map(({ ns, source }) => ({
    ref: ns.name,
    source,
    marker: ns.marker,
    ...(ns.forwarding !== undefined && { forwarding: ns.forwarding }),
    links: ns.links.map((l) => ({ ...l, ...(l.peer && { peer: { ...l.peer } }) })),
    routes: ns.routes,
  }));
  // observe() takes an unnamed nsid for the root; with a peer in a process-held namespace whose ifindex
  // equals the end's own, that "resolves" a veth to itself. Such a peer is unknown: resolved below.
  for (const ns of base)
    for (const l of ns.links)
      if (l.peer && l.peer.netns === ns.ref && l.peer.ifindex === l.ifindex) {
        const { peer: _self, ...rest } = l;
        Object.assign(l, rest);
        delete l.peer;
      }
  const needsDetail = (ns: DiscoveredNetns) =>
    ns.links.some((l) => !LAB_KINDS.has(l.kind) || (l.kind === 'veth' && !l.peer));
  const detailed = base.filter(needsDetail);
  const raws = new Map<NetnsRef, RawView>();
  const DETAIL = 'link show\nnetns list-id\n';
  const detailFlags = ['-j', '-d'];
  const rootNeeds = detailed.find((n) => n.ref === null);
  const namedNeed = detailed.filter((n) => n.ref !== null).map((n) => n.ref as string);
  await Promise.all([
    (async () => {
      if (!rootNeeds) return;
      const r = await runner.run(['ip', ...detailFlags, '-batch', '-'], { stdin: DETAIL, timeoutMs: 30_000 });
      if (r.code !== 0) return;
      const [links, ids] = splitJson(r.stdout);
      raws.set(null, { ref: null, links: rawLinks(links), nsids: nsidMap(ids) });
    })(),
    (async () => {
      if (!namedNeed.length) return;
      const f = await fanout(runner, new Map(namedNeed.map((n) => [n, DETAIL])), detailFlags, { timeoutMs: 60_000 });
      for (const [n, text] of f.outputs) {
        const [links, ids] = splitJson(text);
        raws.set(n, { ref: n, links: rawLinks(links), nsids: nsidMap(ids) });
      }
    })(),
  ]);
  for (const p of procViews) raws.set(p.view.ref, p.raw);

  const all = [...base, ...procViews.map((p) => p.view)];
  resolve(all, raws);
  for (const ns of all) for (const l of ns.links) if (l.kind === 'veth' && !l.peer) l.peer = null; // unresolved stays explicit

  return {
    at: new Date().toISOString(),
    observed,
    namespaces: all,
    warnings,
    durationMs: performance.now() - t0,
  };
}

/** Fills veth peers observe could not resolve (to/from process-held namespaces), parents and details. */
function resolve(all: DiscoveredNetns[], raws: Map<NetnsRef, RawView>): void {
  const byRef = new Map(all.map((n) => [n.ref, n] as const));
  const linkAt = (ns: DiscoveredNetns | undefined, ifindex: number) => ns?.links.find((l) => l.ifindex === ifindex);
  /** Namespaces an nsid (seen from `from`) may denote: a named one, else the root or any process-held one. */
  const candidates = (from: RawView, nsid: number | undefined): NetnsRef[] => {
    if (nsid === undefined) return [from.ref];
    const name = from.nsids.get(nsid);
    if (name !== undefined) return [name];
    // Another namespace, never `from` itself (ifindex numbers repeat across namespaces).
    return [null, ...all.filter((n) => n.source === 'process').map((n) => n.ref)].filter((r) => r !== from.ref);
  };
  for (const ns of all) {
    const raw = raws.get(ns.ref);
    if (!raw) continue;
    for (const l of ns.links) {
      const rl = raw.links.get(l.ifindex);
      if (!rl) continue;
      if (Object.keys(rl.detail).length && !LAB_KINDS.has(l.kind)) l.detail = rl.detail;
      if (l.kind === 'veth') {
        if (l.peer || rl.linkIndex === undefined) continue;
        for (const c of candidates(raw, rl.linkNetnsid)) {
          const otherRaw = raws.get(c);
          const other = byRef.get(c);
          const peer = linkAt(other, rl.linkIndex);
          if (peer?.kind !== 'veth') continue;
          // The other end must point back at us (when we can see its side).
          const back = otherRaw?.links.get(peer.ifindex);
          if (back && (back.linkIndex !== l.ifindex || (c !== ns.ref) !== (back.linkNetnsid !== undefined))) continue;
          if (peer.peer && (peer.peer.netns !== ns.ref || peer.peer.ifindex !== l.ifindex)) continue;
          l.peer = { netns: c, ifname: peer.ifname, ifindex: peer.ifindex };
          if (!peer.peer) peer.peer = { netns: ns.ref, ifname: l.ifname, ifindex: l.ifindex };
          break;
        }
      } else if (!LAB_KINDS.has(l.kind)) {
        if (rl.linkIndex === undefined && rl.link === undefined) continue;
        if (rl.linkNetnsid === undefined) {
          const p = rl.link ?? linkAt(ns, rl.linkIndex!)?.ifname;
          l.parent = p !== undefined ? { netns: ns.ref, ifname: p } : null;
          continue;
        }
        l.parent = null;
        const cs = candidates(raw, rl.linkNetnsid);
        // Only a unique answer counts (ifindex numbers repeat across namespaces).
        const hits = cs.flatMap((c) => {
          const p = rl.linkIndex !== undefined ? linkAt(byRef.get(c), rl.linkIndex) : undefined;
          return p ? [{ netns: c, ifname: p.ifname }] : [];
        });
        if (hits.length === 1) l.parent = hits[0]!;
      }
    }
  }
}

/** `pid:<PID>` namespace refs are process-held; everything else is root (null) or a name under /run/netns. */
export const isProcessRef = (ref: NetnsRef): boolean => ref?.startsWith('pid:') ?? false;

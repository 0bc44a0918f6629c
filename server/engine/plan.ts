/**
 * Pure planner: (desired lab, observed host) → ordered operations, each with a reason and its inverse
 * (nmstate gen_diff style). No I/O, no clock; the same inputs always give the same plan.
 * It never plans a change to an object without this lab's exact marker; a name held by anything else is a
 * Conflict error and the plan then has no operations at all. An owned object of this lab that is not (or
 * no longer) the design's object of that name is replaced: deleted first, so its name is free again.
 *
 * Order: route.del → addr.del → link.delete → netns.delete → (setUp false + link.rename) → netns.create →
 * bridge.create → veth.create → setMtu/setMac/setMaster/setStp → link.setUp → addr.add → route.add →
 * netns.setForwarding → qdisc (impairments: `tc qdisc replace` in place, so the link keeps its ifindex).
 * - Renames run after the deletions and before the creations, so a rename may take a name freed by a
 *   deletion and a creation may take a name freed by a rename; a swap goes through a temporary name.
 * - A rename is `link.setUp false` → `link.rename` → … → `link.setUp true`: kernels before live rename
 *   refuse to rename an interface that is up (EBUSY); `opts.liveRename` plans a bare rename instead. Going down flushes the interface's IPv6 addresses and its routes, so
 *   those are removed explicitly before and re-added after (their inverses make rollback exact).
 * - link.setUp comes before addr.add: rollback runs inverses backwards, and a `set down` run before the
 *   `addr del` would flush IPv6 addresses the `addr del` then fails to find.
 * - A namespace rename is delete + create: iproute2 has no `netns rename` (a netns is a bind mount under
 *   /run/netns; moving the file behind the kernel's back breaks `ip netns identify` and processes inside),
 *   so the namespace and everything in it is rebuilt.
 * - A delete's inverse is null: an interface cannot be recreated faithfully (ifindex, peer, addresses),
 *   except an empty owned namespace, whose inverse is `netns.create`.
 */
import type { Lab, Route } from '../../shared';
import { planRefusals } from './capabilityGate';
import {
  canonicalCidr,
  type DesiredIface,
  type DesiredLab,
  type DesiredNat,
  type DesiredNetns,
  desiredState,
  isLinkLocal,
  isManagedQdisc,
  isManagedRoute,
  kindMatches,
  natComment,
  natTableName,
  portVlans,
  qdiscMatches,
  qdiscSpecOf,
  qdiscText,
  routeMatches,
  specMatches,
  toRoute,
  vlansText,
} from './desired';
import { hostAddressIssues, objectPaths } from './hostAddresses';
import { attachedKind } from './kinds';
import { formatMarker } from './marker';
import type {
  AnyOpBody,
  Marker,
  NetnsRef,
  ObservedLink,
  ObservedNetns,
  ObservedNftTable,
  ObservedRoute,
  ObservedState,
  Operation,
  Plan,
  PlanError,
  PortVlanEntry,
} from './types';

/** Dependency order of the phases; operations are emitted into these buckets and concatenated. */
const PHASES = [
  'route.del',
  'addr.del',
  'link.delete',
  'netns.delete',
  'rename',
  'netns.create',
  'bridge.create',
  'veth.create',
  'iface.create',
  'modify',
  'vlan.del',
  'vlan.add',
  'vlan.filtering',
  'link.setUp',
  'addr.add',
  'route.add',
  'netns.setForwarding',
  'qdisc',
  'sysctl',
  'nat',
] as const;
type Phase = (typeof PHASES)[number];

/** An observed link together with the namespace it was seen in. */
interface Seen {
  netns: NetnsRef;
  link: ObservedLink;
  /** key(netns, link.ifname), built once: the planner indexes links by it throughout. */
  key: string;
}

const key = (netns: NetnsRef, ifname: string): string => `${netns ?? ''}/${ifname}`;
const seenLink = (netns: NetnsRef, link: ObservedLink): Seen => ({ netns, link, key: key(netns, link.ifname) });
/** Code-unit order: locale-independent, so plans are the same on every machine. */
const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const where = (netns: NetnsRef): string => (netns === null ? 'the root namespace' : `namespace '${netns}'`);
const isLoopback = (l: ObservedLink): boolean => l.kind === 'loopback' || l.ifname === 'lo';

/** Every namespace of the observation, root first, then named ones by name (deterministic). */
export function observedNamespaces(observed: ObservedState): ObservedNetns[] {
  const named = Object.keys(observed.namespaces)
    .sort()
    .map((name) => ({ ...observed.namespaces[name]!, name }));
  return [{ ...observed.root, name: null }, ...named];
}

function ownerText(marker: Marker | null): string {
  return marker ? `it belongs to Netloom lab '${marker.lab}', object '${marker.object}'` : 'it has no Netloom marker';
}

export interface PlanOptions {
  /**
   * The kernel renames interfaces that are up (Linux ≥ 6.x live rename, as observed on 6.18): renames then
   * skip the down/up and keep addresses and routes. Default false: down → rename → up works everywhere.
   */
  liveRename?: boolean;
  /**
   * The kernel has the netem qdisc (capabilities().netem). Without it, an impairment that needs netem
   * (delay, jitter, loss, duplicate, corrupt) is a plan-time Unsupported error and nothing runs.
   */
  netem?: boolean;
  /**
   * The kernel's bridge has 802.1Q VLAN filtering (capabilities().bridgeVlan); without it a bridge with
   * `vlanFiltering: true` is refused.
   */
  bridgeVlan?: boolean;
  /**
   * How this world realizes WireGuard (server/wireguard/capability.ts): the kernel module, wireguard-go on a
   * TUN device, or null/absent = it cannot (every WireGuard interface is refused with `wireguardMessage`).
   */
  wireguard?: 'kernel' | 'userspace' | null;
  wireguardMessage?: string;
  /**
   * The capability each interface kind of the registry needs (kinds/: `capability.key`, a capabilities()
   * key such as `vlan` or `gre`): without it, an interface of that kind is refused (capabilityGate.ts).
   */
  [kindCapability: string]: unknown;
}

type Emit = (phase: Phase, op: Operation) => void;

/** What every phase of one plan() call shares: its inputs, the error list and `emit` into the op buckets. */
interface PlanBase {
  lab: string;
  desiredLab: Lab;
  desired: DesiredLab;
  observed: ObservedState;
  opts: PlanOptions;
  errors: PlanError[];
  buckets: Map<Phase, Operation[]>;
  emit: Emit;
  /** The design path of an object (for Conflict errors); the paths are built on the first call only. */
  pathOf: (object: string) => string | undefined;
  /** The marker names this lab. */
  owns: (m: Marker | null) => boolean;
  allNs: ObservedNetns[];
}

/** Namespaces: kept (node id → observed), deleted and created. */
interface NamespaceMatch {
  keptNs: Map<string, ObservedNetns>;
  deletedNs: ObservedNetns[];
  deletedNsNames: Set<string>;
  createdNs: DesiredNetns[];
  createdNsNames: Set<string>;
}

/** Interfaces: every observed link by key, the kept ones, the deleted ones and what is gone after deletions. */
interface InterfaceMatch {
  linksByKey: Map<string, Seen>;
  /** Desired object → the observed link kept for it. */
  kept: Map<string, Seen>;
  deletes: Seen[];
  /** Links that will be gone after the deletion phases (with their netns, or as a deleted veth's peer). */
  doomed: Set<string>;
  /** Names an interface will have once renames are done (for kept links), by observed key. */
  finalName: Map<string, string>;
  desiredOf: Map<string, DesiredIface>;
}

/** The one planning context of a plan() call, passed to each phase. */
type PlanContext = PlanBase & NamespaceMatch & InterfaceMatch;

/** Kept links taken down for a rename, and those that go down at some point of the plan (see planRenames). */
interface DownedLinks {
  downed: Set<string>;
  flushed: Set<string>;
}

export function plan(desiredLab: Lab, observed: ObservedState, opts: PlanOptions = {}): Plan {
  const desired = desiredState(desiredLab);
  if (desired.errors.length) return { ops: [], errors: desired.errors };
  const refused = planRefusals(desiredLab, desired, { ...opts });
  if (refused.length) return { ops: [], errors: refused };

  const base = planBase(desiredLab, desired, observed, opts);
  const namespaces = matchNamespaces(base);
  const ctx: PlanContext = { ...base, ...namespaces, ...matchOwnedInterfaces(base, namespaces) };
  namespaceConflicts(ctx);
  interfaceConflicts(ctx);
  parentConflicts(ctx);
  natConflicts(ctx);
  if (ctx.errors.length) return { ops: [], errors: ctx.errors };

  planDeletions(ctx);
  const links = planRenames(ctx);
  planKeptInterfaces(ctx, links);
  planCreations(ctx);
  planNamespaceSettings(ctx, links.flushed);
  planNat(ctx.lab, desired.nat, observed, ctx.emit);
  return finishPlan(ctx);
}

function planBase(desiredLab: Lab, desired: DesiredLab, observed: ObservedState, opts: PlanOptions): PlanBase {
  const lab = desiredLab.name;
  const buckets = new Map<Phase, Operation[]>(PHASES.map((p) => [p, []]));
  // Only conflicts need the paths: built on the first one, not for every plan.
  let paths: Map<string, string> | undefined;
  return {
    lab,
    desiredLab,
    desired,
    observed,
    opts,
    errors: [],
    buckets,
    emit: (phase, op) => buckets.get(phase)!.push(op),
    pathOf: (object) => {
      paths ??= labPaths(desiredLab);
      return paths.get(object);
    },
    owns: (m) => m !== null && m.lab === lab,
    allNs: observedNamespaces(observed),
  };
}

/** Namespaces: keep those whose marker names this lab and node and whose name is unchanged. */
function matchNamespaces({ desired, observed, owns, allNs }: PlanBase): NamespaceMatch {
  const keptNs = new Map<string, ObservedNetns>(); // node id → observed
  for (const d of desired.namespaces) {
    const o = observed.namespaces[d.name];
    if (o && owns(o.marker) && o.marker!.object === d.object) keptNs.set(d.object, { ...o, name: d.name });
  }
  const keptNsNames = new Set([...keptNs.values()].map((n) => n.name));
  const deletedNs = allNs.filter((n) => n.name !== null && owns(n.marker) && !keptNsNames.has(n.name));
  const deletedNsNames = new Set(deletedNs.map((n) => n.name as string));
  const createdNs = desired.namespaces.filter((d) => !keptNs.has(d.object));
  const createdNsNames = new Set(createdNs.map((d) => d.name));
  return { keptNs, deletedNs, deletedNsNames, createdNs, createdNsNames };
}

/** Conflicts: a namespace to create whose name is held by one this plan does not delete. */
function namespaceConflicts({ lab, observed, errors, pathOf, createdNs, deletedNsNames }: PlanContext) {
  for (const d of createdNs) {
    const o = observed.namespaces[d.name];
    if (o && !deletedNsNames.has(d.name)) {
      errors.push({
        code: 'Conflict',
        message: `namespace '${d.name}' already exists on this host and was not created by Netloom lab '${lab}' for node '${d.object}' (${ownerText(o.marker)}); rename the node or remove that namespace`,
        path: pathOf(d.object),
        object: d.object,
      });
    }
  }
}

/**
 * Interfaces. `doomed` = links that will be gone after the deletion phases (with their netns, or as the
 * peer of a deleted veth end: deleting one end of a veth removes the other).
 */
function matchOwnedInterfaces({ desired, owns, allNs }: PlanBase, { deletedNs }: NamespaceMatch): InterfaceMatch {
  const linksByKey = new Map<string, Seen>();
  const owned: Seen[] = [];
  for (const ns of allNs) {
    for (const link of ns.links) {
      const s = seenLink(ns.name, link);
      linksByKey.set(s.key, s);
      if (!isLoopback(link) && owns(link.marker)) owned.push(s);
    }
  }
  owned.sort((a, b) => cmp(a.key, b.key));
  const doomed = new Set<string>();
  for (const ns of deletedNs) {
    for (const link of ns.links) {
      doomed.add(key(ns.name, link.ifname));
      if (link.peer) doomed.add(key(link.peer.netns, link.peer.ifname));
    }
  }

  // Match desired interfaces to owned observed ones; repeat until no kept link is doomed as the peer of a
  // deleted one (only possible with inconsistent peer data, but then the pair is rebuilt, never half-kept).
  let kept = new Map<string, Seen>(); // desired object → observed
  let deletes: Seen[] = [];
  const avoid = new Set(doomed);
  for (;;) {
    kept = matchInterfaces(desired.ifaces, desired.veths, owned, avoid);
    const claimed = new Set([...kept.values()].map((s) => s.key));
    const gone = new Set(avoid);
    deletes = [];
    for (const s of owned) {
      if (claimed.has(s.key) || gone.has(s.key)) continue;
      deletes.push(s);
      gone.add(s.key);
      if (s.link.peer) gone.add(key(s.link.peer.netns, s.link.peer.ifname));
    }
    const clashes = [...claimed].filter((k) => gone.has(k));
    if (!clashes.length) {
      for (const k of gone) doomed.add(k);
      break;
    }
    for (const k of clashes) avoid.add(k); // matching only gets stricter, so this terminates
  }
  return { linksByKey, kept, deletes, doomed, ...finalNames(desired.ifaces, kept) };
}

/** Names an interface will have once renames are done (for kept links), by observed key. */
function finalNames(ifaces: readonly DesiredIface[], kept: ReadonlyMap<string, Seen>) {
  const finalName = new Map<string, string>();
  const desiredOf = new Map<string, DesiredIface>();
  for (const d of ifaces) {
    const s = kept.get(d.object);
    if (s) {
      finalName.set(s.key, d.ifname);
      desiredOf.set(s.key, d);
    }
  }
  return { finalName, desiredOf };
}

/** The kept link under observed key `k` is renamed by this plan. */
function renamedAway({ finalName }: PlanContext, k: string): boolean {
  const n = finalName.get(k);
  return n !== undefined && n !== k.slice(k.indexOf('/') + 1);
}

/** Conflicts: a desired name held by a link that survives this plan and is not the one we keep. */
function interfaceConflicts(ctx: PlanContext) {
  const { lab, desired, errors, pathOf, createdNsNames, linksByKey, doomed, desiredOf } = ctx;
  for (const d of desired.ifaces) {
    if (d.netns !== null && createdNsNames.has(d.netns)) continue; // fresh namespace: every name is free
    const holder = linksByKey.get(key(d.netns, d.ifname));
    if (!holder) continue;
    const k = holder.key;
    if (doomed.has(k) || desiredOf.get(k) === d || renamedAway(ctx, k)) continue;
    errors.push({
      code: 'Conflict',
      message: `interface '${d.ifname}' already exists in ${where(d.netns)} and was not created by Netloom lab '${lab}' for '${d.object}' (${ownerText(holder.link.marker)}); rename it in the design or remove that interface`,
      path: pathOf(d.object),
      object: d.object,
    });
  }
}

/**
 * A kind created on a root-namespace parent (kinds/: `rootParent`) needs it to exist and survive this plan
 * (or be created there). It is only read, never changed, so whoever owns it does not matter.
 */
function parentConflicts(ctx: PlanContext) {
  const { desired, errors, linksByKey, doomed } = ctx;
  for (const d of desired.ifaces) {
    const parent = d.spec && attachedKind(d.spec.kind)?.rootParent?.(d.spec as never);
    if (parent === undefined || !d.spec) continue;
    const seen = linksByKey.get(key(null, parent));
    const created = desired.ifaces.some((x) => x.netns === null && x.ifname === parent && x !== d);
    if (
      created ||
      (seen && !doomed.has(key(null, parent)) && !renamedAway(ctx, key(null, parent)) && !isLoopback(seen.link))
    )
      continue;
    errors.push({
      code: 'Conflict',
      message: `${d.spec.kind} '${d.ifname}' needs parent interface '${parent}' in the host's root namespace, which ${seen ? 'this plan removes or renames' : 'does not exist there'}`,
      path: `${d.path}.parent`,
      object: d.object,
    });
  }
}

/** Conflict: the lab's nftables table name is held by a table that is not this lab's. */
function natConflicts({ lab, desired, observed, errors }: PlanContext) {
  const foreignTable = observed.nft?.find((t) => t.family === 'ip' && t.name === natTableName(lab));
  if (desired.nat && foreignTable && foreignTable.marker?.lab !== lab)
    errors.push({
      code: 'Conflict',
      message: `nftables table ip ${foreignTable.name} already exists and was not created by Netloom lab '${lab}'; remove it or rename the lab`,
      object: desired.nat.object,
    });
}

/** Kept interfaces, first phase: renames (down first). */
function planRenames({ desired, opts, kept, linksByKey, emit }: PlanContext): DownedLinks {
  interface Rename {
    d: DesiredIface;
    s: Seen;
    from: string;
  }
  const renames: Rename[] = [];
  /** Kept links taken down for a rename. */
  const downed = new Set<string>();
  /**
   * Kept links that go down at some point of this plan (for a rename, or because the design has them
   * down): the kernel flushes their IPv6 addresses and their routes (keep_addr_on_down is 0 by default).
   */
  const flushed = new Set<string>();
  for (const d of desired.ifaces) {
    const s = kept.get(d.object);
    if (!s) continue;
    const k = s.key;
    if (s.link.ifname !== d.ifname) {
      renames.push({ d, s, from: s.link.ifname });
      if (s.link.adminUp && !opts.liveRename) downed.add(k);
    }
    if (s.link.adminUp && (downed.has(k) || !d.up)) flushed.add(k);
  }
  emitRenames(renames, downed, linksByKey, emit);
  return { downed, flushed };
}

/** Kept interfaces, after the renames: settings, master, addresses, qdisc, port VLANs, up. */
function planKeptInterfaces(ctx: PlanContext, links: DownedLinks) {
  for (const d of ctx.desired.ifaces) {
    const s = ctx.kept.get(d.object);
    if (!s) continue;
    const l = s.link;
    planKeptSettings(ctx, d, l);
    const portJoins = d.kind !== 'bridge' && planKeptMaster(ctx, d, s);
    planKeptAddresses(ctx, d, s, links);
    if (d.kind === 'veth') planQdisc(d, l, ctx.emit);
    // A port joining a bridge starts with the kernel's default VLAN (1, pvid untagged). A port of a bridge
    // that stops filtering is put back to that default too, so a bridge that does not filter (whose ports'
    // VLANs observe() does not read) always has default ports.
    if (d.vlans)
      planPortVlans(d, d.vlans, portJoins || l.vlans === undefined ? portVlans(undefined) : l.vlans, ctx.emit);
    else if (l.vlans && !portJoins && d.master !== undefined) planPortVlans(d, portVlans(undefined), l.vlans, ctx.emit);
    planKeptUp(ctx, d, s, links);
  }
}

/** A kept interface's MTU, MAC, and a bridge's STP and VLAN filtering. */
function planKeptSettings({ emit }: PlanContext, d: DesiredIface, l: ObservedLink) {
  const at = { netns: d.netns, ifname: d.ifname };
  if (d.mtu !== undefined && d.mtu !== l.mtu) {
    emit('modify', {
      kind: 'link.setMtu',
      ...at,
      mtu: d.mtu,
      object: d.object,
      reason: `MTU of '${d.ifname}' is ${l.mtu} on the host; the design says ${d.mtu}`,
      inverse: { kind: 'link.setMtu', ...at, mtu: l.mtu },
    });
  }
  if (d.mac !== undefined && l.mac !== undefined && d.mac !== l.mac.toLowerCase()) {
    emit('modify', {
      kind: 'link.setMac',
      ...at,
      mac: d.mac,
      object: d.object,
      reason: `MAC address of '${d.ifname}' is ${l.mac} on the host; the design says ${d.mac}`,
      inverse: { kind: 'link.setMac', ...at, mac: l.mac.toLowerCase() },
    });
  }
  if (d.kind === 'bridge' && d.stp !== undefined && d.stp !== (l.stp ?? false)) {
    emit('modify', {
      kind: 'bridge.setStp',
      ...at,
      on: d.stp,
      object: d.object,
      reason: `STP on bridge '${d.ifname}' is ${d.stp ? 'off' : 'on'} on the host; the design turns it ${d.stp ? 'on' : 'off'}`,
      inverse: { kind: 'bridge.setStp', ...at, on: l.stp ?? false },
    });
  }
  if (d.kind === 'bridge' && (d.vlanFiltering ?? false) !== (l.vlanFiltering ?? false)) {
    const on = d.vlanFiltering ?? false;
    emit('vlan.filtering', {
      kind: 'bridge.setVlanFiltering',
      ...at,
      on,
      object: d.object,
      reason: `VLAN filtering on bridge '${d.ifname}' is ${on ? 'off' : 'on'} on the host; the design turns it ${on ? 'on' : 'off'}`,
      inverse: { kind: 'bridge.setVlanFiltering', ...at, on: !on },
    });
  }
}

/** The name a link will have after the renames, or null if this plan deletes it. */
function currentName({ doomed, finalName }: PlanContext, netns: NetnsRef, ifname: string): string | null {
  const k = key(netns, ifname);
  if (doomed.has(k)) return null;
  return finalName.get(k) ?? ifname;
}

/** A kept non-bridge interface's bridge master; true if it joins (or leaves, or changes) a bridge. */
function planKeptMaster(ctx: PlanContext, d: DesiredIface, s: Seen): boolean {
  const { kept, linksByKey, emit } = ctx;
  const l = s.link;
  const at = { netns: d.netns, ifname: d.ifname };
  // Compare masters by identity: the observed master must be the kept link of the designed bridge.
  const oldMaster = l.master !== undefined ? currentName(ctx, s.netns, l.master) : null;
  const masterSeen = l.master !== undefined ? linksByKey.get(key(s.netns, l.master)) : undefined;
  const masterKept =
    d.masterObject !== undefined && masterSeen !== undefined && sameLink(kept.get(d.masterObject), masterSeen);
  const same = d.master === undefined ? oldMaster === null : oldMaster !== null && masterKept;
  if (!same) {
    emit('modify', {
      kind: 'link.setMaster',
      ...at,
      master: d.master ?? null,
      object: d.object,
      reason: d.master
        ? `'${d.ifname}' should be a port of bridge '${d.master}'${oldMaster ? ` (it is on '${oldMaster}')` : ''}`
        : `'${d.ifname}' should not be a bridge port (it is on '${oldMaster}')`,
      inverse: { kind: 'link.setMaster', ...at, master: oldMaster },
    });
  }
  return !same;
}

/** Addresses: remove extras (and IPv6 ones a down/up would flush) under the old name; add under the new. */
function planKeptAddresses({ emit }: PlanContext, d: DesiredIface, s: Seen, { downed, flushed }: DownedLinks) {
  const l = s.link;
  const k = s.key;
  const have = l.addresses.map(canonicalCidr).filter((a) => !isLinkLocal(a));
  const want = new Set(d.addresses.filter((a) => !isLinkLocal(a)));
  const volatile = (a: string) => flushed.has(k) && a.includes(':');
  for (const a of have) {
    if (want.has(a) && !volatile(a)) continue;
    emit('addr.del', {
      kind: 'addr.del',
      netns: s.netns,
      ifname: l.ifname,
      cidr: a,
      object: d.object,
      reason: want.has(a)
        ? `'${l.ifname}' goes down${downed.has(k) ? ' to be renamed' : ''}, which flushes IPv6 address ${a}; it is removed first and re-added after`
        : `address ${a} on '${l.ifname}' is on the host but not in the design`,
      inverse: { kind: 'addr.add', netns: s.netns, ifname: l.ifname, cidr: a },
    });
  }
  for (const a of d.addresses) {
    if (have.includes(a) && !volatile(a)) continue;
    // observe() leaves link-local addresses out, so a designed one is only added at creation.
    if (isLinkLocal(a)) continue;
    emit('addr.add', addrAdd(d, a, `address ${a} on '${d.ifname}' is in the design but not on the host`));
  }
}

/** A kept interface up or down as designed (back up after a rename's down). */
function planKeptUp({ emit }: PlanContext, d: DesiredIface, s: Seen, { downed }: DownedLinks) {
  const at = { netns: d.netns, ifname: d.ifname };
  const upNow = s.link.adminUp && !downed.has(s.key);
  if (d.up !== upNow) {
    emit('link.setUp', {
      kind: 'link.setUp',
      ...at,
      up: d.up,
      object: d.object,
      reason: d.up
        ? downed.has(s.key)
          ? `'${d.ifname}' was taken down to be renamed; bring it back up`
          : `'${d.ifname}' is down on the host; the design has it up`
        : `'${d.ifname}' is up on the host; the design has it down`,
      inverse: { kind: 'link.setUp', ...at, up: !d.up },
    });
  }
}

/** The phases' operations in dependency order, unless the default-route guard or the host's networks refuse. */
function finishPlan({ desiredLab, desired, observed, buckets }: PlanContext): Plan {
  const ops = PHASES.flatMap((p) => buckets.get(p)!);
  if (!desired.allowDefaultRouteInterface) {
    const guarded = defaultRouteErrors(ops, observed, desiredLab);
    if (guarded.length) return { ops: [], errors: guarded };
  }
  const host = hostAddressIssues(desired, observed, objectPaths(desiredLab));
  if (host.errors.length) return { ops: [], errors: host.errors };
  return { ops, errors: [], ...(host.warnings.length > 0 && { warnings: host.warnings }) };
}

const IP_FORWARD = 'net.ipv4.ip_forward';

/** Phase: deletions of owned namespaces and interfaces the design no longer has (or recreates). */
function planDeletions({ lab, desired, deletedNs, deletes, emit }: PlanContext) {
  // ---- Deletions. (Desired objects by id, the first of each as a scan finds it; indexed only if needed.)
  const desiredNs = firstByObject(deletedNs.length ? desired.namespaces : []);
  const desiredIface = firstByObject(deletes.length ? desired.ifaces : []);
  for (const ns of deletedNs) {
    const name = ns.name as string;
    const nodeId = ns.marker!.object;
    const d = desiredNs.get(nodeId);
    const empty = ns.links.every(isLoopback) && !ns.routes.some((r) => isManagedRoute(r)) && ns.forwarding !== true;
    emit('netns.delete', {
      kind: 'netns.delete',
      netns: name,
      object: nodeId,
      reason: d
        ? `namespace node '${nodeId}' was renamed from '${name}' to '${d.name}'; a network namespace cannot be renamed, so it is deleted and created anew`
        : `namespace '${name}' belongs to lab '${lab}' but is no longer in the design`,
      inverse: empty ? { kind: 'netns.create', netns: name, marker: formatMarker(lab, nodeId) } : null,
    });
  }
  for (const s of deletes) {
    const obj = s.link.marker!.object;
    const d = desiredIface.get(obj);
    const what = s.link.kind === 'bridge' ? 'bridge' : s.link.kind === 'veth' ? 'veth' : 'interface';
    let reason = `${what} '${s.link.ifname}' in ${where(s.netns)} belongs to lab '${lab}' (object '${obj}') but is no longer in the design`;
    if (d && d.netns !== s.netns)
      reason = `'${obj}' moved from ${where(s.netns)} to ${where(d.netns)}; the ${what} is deleted and created there`;
    else if (d) reason = `${what} '${s.link.ifname}' (object '${obj}') no longer matches the design; it is recreated`;
    emit('link.delete', {
      kind: 'link.delete',
      netns: s.netns,
      ifname: s.link.ifname,
      object: obj,
      reason,
      inverse: null,
    });
  }
}

/** Phase: new namespaces, bridges, veths and attached interfaces (each with its settings tail). */
function planCreations(ctx: PlanContext) {
  const { createdNs, emit } = ctx;
  // ---- New namespaces, then bridges, veths and attached interfaces.
  for (const d of createdNs) {
    emit('netns.create', {
      kind: 'netns.create',
      netns: d.name,
      marker: d.marker,
      object: d.object,
      reason: `namespace '${d.name}' is in the design but not on the host`,
      inverse: { kind: 'netns.delete', netns: d.name },
    });
  }
  createBridges(ctx);
  createVeths(ctx);
  createAttached(ctx);
}

/** New bridges (each with its VLAN filtering and settings tail). */
function createBridges({ desired, kept, emit }: PlanContext) {
  for (const d of desired.ifaces) {
    if (d.kind !== 'bridge' || kept.has(d.object)) continue;
    emit('bridge.create', {
      kind: 'bridge.create',
      netns: d.netns,
      ifname: d.ifname,
      marker: d.marker,
      ...(d.stp !== undefined && { stp: d.stp }),
      ...(d.mtu !== undefined && { mtu: d.mtu }),
      object: d.object,
      reason: `bridge '${d.ifname}' is in the design but not in ${where(d.netns)}`,
      inverse: { kind: 'link.delete', netns: d.netns, ifname: d.ifname },
    });
    if (d.vlanFiltering)
      emit('vlan.filtering', {
        kind: 'bridge.setVlanFiltering',
        netns: d.netns,
        ifname: d.ifname,
        on: true,
        object: d.object,
        reason: `new bridge '${d.ifname}' filters by VLAN`,
        inverse: { kind: 'bridge.setVlanFiltering', netns: d.netns, ifname: d.ifname, on: false },
      });
    newIfaceTail(d, emit);
  }
}

/** New veth pairs (each end with its settings tail). */
function createVeths({ desired, kept, emit }: PlanContext) {
  for (const v of desired.veths) {
    const [a, b] = v.ends;
    if (kept.has(a.object) && kept.has(b.object)) continue;
    const end = (e: DesiredIface) => ({
      netns: e.netns,
      ifname: e.ifname,
      marker: e.marker,
      ...(e.master !== undefined && { master: e.master }),
      ...(e.mtu !== undefined && { mtu: e.mtu }),
      ...(e.mac !== undefined && { mac: e.mac }),
    });
    emit('veth.create', {
      kind: 'veth.create',
      a: end(a),
      b: end(b),
      object: v.linkId,
      reason: `veth '${a.ifname}' ↔ '${b.ifname}' is in the design but not on the host`,
      inverse: { kind: 'link.delete', netns: a.netns, ifname: a.ifname },
    });
    newIfaceTail(a, emit);
    newIfaceTail(b, emit);
  }
}

/** New attached interfaces (kinds/: vxlan, vlan, wireguard, …), each with its settings tail. */
function createAttached({ desired, kept, opts, emit }: PlanContext) {
  for (const d of desired.ifaces) {
    if (!d.spec || kept.has(d.object)) continue;
    emit('iface.create', {
      kind: 'iface.create',
      netns: d.netns,
      ifname: d.ifname,
      marker: d.marker,
      spec: d.spec.kind === 'wireguard' ? { kind: 'wireguard', mode: opts.wireguard ?? 'userspace' } : d.spec,
      ...(d.master !== undefined && { master: d.master }),
      ...(d.mtu !== undefined && { mtu: d.mtu }),
      object: d.object,
      reason: `${d.spec.kind} interface '${d.ifname}' is in the design but not in ${where(d.netns)}`,
      inverse: { kind: 'link.delete', netns: d.netns, ifname: d.ifname },
    });
    newIfaceTail(d, emit);
  }
}

/** Phase: routes, forwarding and sysctls per namespace node. */
function planNamespaceSettings({ lab, desired, keptNs, doomed, emit }: PlanContext, flushed: Set<string>) {
  // ---- Routes and forwarding per namespace node.
  for (const d of desired.namespaces) {
    const o = keptNs.get(d.object);
    planRoutes(lab, d, o, doomed, flushed, emit);
    const was = o ? (o.forwarding ?? false) : false;
    if (d.forwarding !== was) {
      emit('netns.setForwarding', {
        kind: 'netns.setForwarding',
        netns: d.name,
        on: d.forwarding,
        object: d.object,
        reason: `IP forwarding in '${d.name}' should be ${d.forwarding ? 'on' : 'off'}`,
        inverse: { kind: 'netns.setForwarding', netns: d.name, on: was },
      });
    }
  }

  // ---- Namespace sysctls (rpFilter, proxyArp): set where they differ; the inverse is the value seen.
  for (const d of desired.namespaces) {
    const o = keptNs.get(d.object);
    for (const [k, value] of Object.entries(d.sysctls)) {
      const prev = o?.sysctls?.[k];
      if (prev === value) continue;
      emit('sysctl', {
        kind: 'sysctl.set',
        netns: d.name,
        key: k,
        value,
        object: d.object,
        reason:
          prev === undefined
            ? `${k} in '${d.name}' should be ${value}`
            : `${k} in '${d.name}' is ${prev} on the host; the design says ${value}`,
        inverse: prev === undefined ? null : { kind: 'sysctl.set', netns: d.name, key: k, value: prev },
      });
    }
  }
}

/**
 * Host NAT: our nft table (created, recreated atomically when the sources change, deleted when the design
 * drops it) and the root's ip_forward, turned on only if it was off; the value it had is kept in the
 * rule's comment so whoever removes the NAT (a later plan, or destroy) restores it.
 */
function planNat(
  lab: string,
  want: DesiredNat | undefined,
  observed: ObservedState,
  emit: (phase: Phase, op: Operation) => void,
) {
  const table = natTableName(lab);
  const have = observed.nft?.find((t) => t.family === 'ip' && t.name === table);
  const fwdOn = observed.root.ipv4Forward === true;
  if (have && have.marker?.lab !== lab) return; // a foreign table with our name: refused by natConflicts
  if (want) {
    const was: 0 | 1 = have?.ipForwardWas ?? (fwdOn ? 1 : 0);
    const comment = natComment(lab, want.object, was);
    const same =
      have && have.marker?.object === want.object && JSON.stringify(have.sources) === JSON.stringify(want.sources);
    if (!same) {
      emit('nat', {
        kind: 'nat.apply',
        table,
        comment,
        sources: want.sources,
        replace: have !== undefined,
        object: want.object,
        reason: have
          ? `NAT table ${table} masquerades ${have.sources.join(', ') || 'nothing'}; the design says ${want.sources.join(', ')}`
          : `the host should masquerade lab traffic from ${want.sources.join(', ')} (nftables table ${table})`,
        inverse: have
          ? {
              kind: 'nat.apply',
              table,
              comment: natComment(lab, have.marker!.object, have.ipForwardWas ?? 0),
              sources: have.sources,
              replace: true,
            }
          : { kind: 'nat.delete', table },
      });
    }
    if (!fwdOn)
      emit('sysctl', {
        kind: 'sysctl.set',
        netns: null,
        key: IP_FORWARD,
        value: '1',
        object: want.object,
        reason:
          'NAT on the host needs IPv4 forwarding in the root namespace; it is off (it is restored when the NAT goes)',
        inverse: { kind: 'sysctl.set', netns: null, key: IP_FORWARD, value: '0' },
      });
    return;
  }
  if (have)
    planNatRemoval(have, observed, emit, `NAT table ${table} belongs to lab '${lab}' but the design has no NAT`);
}

/** Deletes our table and restores ip_forward when we turned it on and no other Netloom NAT is left. */
export function planNatRemoval(
  have: ObservedNftTable,
  observed: ObservedState,
  emit: (phase: 'sysctl' | 'nat', op: Operation) => void,
  reason: string,
) {
  const object = have.marker!.object;
  emit('nat', {
    kind: 'nat.delete',
    table: have.name,
    object,
    reason,
    inverse: {
      kind: 'nat.apply',
      table: have.name,
      comment: natComment(have.marker!.lab, object, have.ipForwardWas ?? 0),
      sources: have.sources,
      replace: false,
    },
  });
  const others = (observed.nft ?? []).some((t) => t !== have && t.marker !== null);
  if (have.ipForwardWas === 0 && observed.root.ipv4Forward === true && !others)
    emit('sysctl', {
      kind: 'sysctl.set',
      netns: null,
      key: IP_FORWARD,
      value: '0',
      object,
      reason: 'IPv4 forwarding in the root namespace was off before Netloom turned it on for NAT: it is restored',
      inverse: { kind: 'sysctl.set', netns: null, key: IP_FORWARD, value: '1' },
    });
}

/**
 * The interface carrying the host's default route is never changed unless the host node allows it: a
 * mistake there cuts the host (and whoever is using it remotely) off.
 */
function defaultRouteErrors(ops: readonly Operation[], observed: ObservedState, lab: Lab): PlanError[] {
  const devs = new Set(
    observed.root.routes.filter((r) => r.to === 'default' && r.dev !== undefined).map((r) => r.dev as string),
  );
  if (!devs.size) return [];
  const errors: PlanError[] = [];
  const hostIndex = lab.nodes.findIndex((n) => n.kind === 'host');
  for (const op of ops) {
    const names: string[] = [];
    if (op.kind === 'veth.create') for (const e of [op.a, op.b]) if (e.netns === null) names.push(e.ifname);
    if ('ifname' in op && 'netns' in op && op.netns === null) names.push(op.ifname);
    if (op.kind === 'link.rename' && op.netns === null) names.push(op.from, op.to);
    for (const n of names)
      if (devs.has(n) && !errors.some((e) => e.object === op.object))
        errors.push({
          code: 'Conflict',
          message: `'${n}' carries the host's default route; Netloom does not change it (${op.kind}) unless the host node sets allowDefaultRouteInterface: true`,
          ...(hostIndex >= 0 && { path: `nodes.${hostIndex}.allowDefaultRouteInterface` }),
          object: op.object,
        });
  }
  return errors;
}

function firstByObject<T extends { object: string }>(list: readonly T[]): Map<string, T> {
  const byObject = new Map<string, T>();
  for (const x of list) if (!byObject.has(x.object)) byObject.set(x.object, x);
  return byObject;
}

const sameLink = (a: Seen | undefined, b: Seen) =>
  a !== undefined && a.netns === b.netns && a.link.ifname === b.link.ifname;

/** Desired object → the owned observed link kept for it (same object, kind and netns; veths as pairs). */
function matchInterfaces(
  ifaces: DesiredIface[],
  veths: { ends: [DesiredIface, DesiredIface] }[],
  owned: Seen[],
  doomed: Set<string>,
): Map<string, Seen> {
  const kept = new Map<string, Seen>();
  // Owned links by marker object, in `owned` order: a lookup per desired interface, not a scan.
  const byObject = new Map<string, Seen[]>();
  for (const s of owned) {
    const list = byObject.get(s.link.marker!.object);
    if (list) list.push(s);
    else byObject.set(s.link.marker!.object, [s]);
  }
  const find = (d: DesiredIface) =>
    (byObject.get(d.object) ?? []).find(
      (s) => kindMatches(d, s.link) && specMatches(d.spec, s.link) && s.netns === d.netns && !doomed.has(s.key),
    );
  for (const d of ifaces) {
    if (d.kind === 'veth') continue;
    const s = find(d);
    if (s) kept.set(d.object, s);
  }
  for (const v of veths) {
    const a = find(v.ends[0]);
    const b = find(v.ends[1]);
    if (!a || !b) continue;
    // A known peer must be the other end; an unresolved one (undefined) is taken on trust.
    const peerOk = (x: Seen, y: Seen) =>
      x.link.peer === undefined ||
      (x.link.peer !== null && x.link.peer.netns === y.netns && x.link.peer.ifname === y.link.ifname);
    if (!peerOk(a, b) || !peerOk(b, a)) continue;
    kept.set(v.ends[0].object, a);
    kept.set(v.ends[1].object, b);
  }
  return kept;
}

/**
 * Renames in an order that frees each target name first; a cycle (a↔b swap) goes through a temporary
 * name `nl<ifindex>`. Every renamed link that is up is taken down first.
 */
function emitRenames(
  renames: { d: DesiredIface; s: Seen; from: string }[],
  downed: Set<string>,
  linksByKey: Map<string, Seen>,
  emit: (phase: Phase, op: Operation) => void,
) {
  for (const r of renames) {
    if (!downed.has(key(r.s.netns, r.from))) continue;
    emit('rename', {
      kind: 'link.setUp',
      netns: r.s.netns,
      ifname: r.from,
      up: false,
      object: r.d.object,
      reason: `'${r.from}' must be down to be renamed to '${r.d.ifname}'`,
      inverse: { kind: 'link.setUp', netns: r.s.netns, ifname: r.from, up: true },
    });
  }
  const rename = (r: { d: DesiredIface; s: Seen; from: string }, to: string, reason: string) => {
    emit('rename', {
      kind: 'link.rename',
      netns: r.s.netns,
      from: r.from,
      to,
      object: r.d.object,
      reason,
      inverse: { kind: 'link.rename', netns: r.s.netns, from: to, to: r.from },
    });
    r.from = to;
  };
  const pending = [...renames];
  while (pending.length) {
    const idx = pending.findIndex(
      (r) => !pending.some((o) => o !== r && o.s.netns === r.s.netns && o.from === r.d.ifname),
    );
    if (idx >= 0) {
      const r = pending.splice(idx, 1)[0]!;
      rename(
        r,
        r.d.ifname,
        `'${r.d.object}' is named '${r.s.link.ifname}' on the host; the design names it '${r.d.ifname}'`,
      );
      continue;
    }
    const r = pending[0]!;
    let tmp = `nl${r.s.link.ifindex}`;
    for (let i = 0; linksByKey.has(key(r.s.netns, tmp)) || pending.some((o) => o.from === tmp); i++)
      tmp = `nl${r.s.link.ifindex}x${i}`;
    rename(r, tmp, `'${r.from}' takes a temporary name to free it for a swap of names`);
  }
}

function addrAdd(d: DesiredIface, cidr: string, reason: string): Operation {
  return {
    kind: 'addr.add',
    netns: d.netns,
    ifname: d.ifname,
    cidr,
    object: d.object,
    reason,
    inverse: { kind: 'addr.del', netns: d.netns, ifname: d.ifname, cidr },
  };
}

/**
 * Root qdisc of a kept veth end: replaced in place when the impairment changed (the link and its ifindex
 * stay), removed when the design no longer has one. Only tbf/netem (ours) are removed; the inverse puts
 * back what was observed.
 */
function planQdisc(d: DesiredIface, l: ObservedLink, emit: (phase: Phase, op: Operation) => void) {
  const at = { netns: d.netns, ifname: d.ifname };
  const prev = qdiscSpecOf(l.qdisc);
  if (d.qdisc) {
    if (qdiscMatches(d.qdisc, l.qdisc)) return;
    const undo: AnyOpBody = prev ? { kind: 'qdisc.replace', ...at, qdisc: prev } : { kind: 'qdisc.delete', ...at };
    emit('qdisc', {
      kind: 'qdisc.replace',
      ...at,
      qdisc: d.qdisc,
      object: d.object,
      reason: l.qdisc
        ? `'${d.ifname}' has ${qdiscText(l.qdisc)} on the host; the design says ${qdiscText(d.qdisc)}`
        : `'${d.ifname}' should have ${qdiscText(d.qdisc)}`,
      inverse: undo,
    });
  } else if (isManagedQdisc(l.qdisc)) {
    emit('qdisc', {
      kind: 'qdisc.delete',
      ...at,
      object: d.object,
      reason: `'${d.ifname}' has ${qdiscText(l.qdisc!)} on the host; the design has no impairment there`,
      inverse: prev ? { kind: 'qdisc.replace', ...at, qdisc: prev } : null,
    });
  }
}

/**
 * VLANs of a port of a VLAN-filtering bridge, incrementally: `bridge vlan del` for VLANs the design drops,
 * then `bridge vlan add` for missing ones and changed flags, the pvid last (adding a pvid takes the flag from
 * the old one, so every implicit change is also an explicit op and the inverses undo exactly).
 */
function planPortVlans(
  d: DesiredIface,
  want: readonly PortVlanEntry[],
  have: readonly PortVlanEntry[],
  emit: (phase: Phase, op: Operation) => void,
) {
  const at = { netns: d.netns, ifname: d.ifname };
  const add = (e: PortVlanEntry) => ({
    kind: 'bridge.vlanAdd' as const,
    ...at,
    vid: e.vid,
    pvid: e.pvid,
    untagged: e.untagged,
  });
  for (const h of have) {
    if (want.some((w) => w.vid === h.vid)) continue;
    emit('vlan.del', {
      kind: 'bridge.vlanDel',
      ...at,
      vid: h.vid,
      object: d.object,
      reason: `port '${d.ifname}' is in VLAN ${h.vid} on the host; the design has it in ${vlansText(want)}`,
      inverse: add(h),
    });
  }
  const changes = want.filter((w) => {
    const h = have.find((x) => x.vid === w.vid);
    return !h || h.pvid !== w.pvid || h.untagged !== w.untagged;
  });
  changes.sort((a, b) => Number(a.pvid) - Number(b.pvid) || a.vid - b.vid);
  for (const w of changes) {
    const h = have.find((x) => x.vid === w.vid);
    emit('vlan.add', {
      ...add(w),
      object: d.object,
      reason: h
        ? `VLAN ${w.vid} on port '${d.ifname}' is ${vlanFlags(h)} on the host; the design has it ${vlanFlags(w)}`
        : `port '${d.ifname}' should be in VLAN ${vlansText([w])}`,
      inverse: h ? add(h) : { kind: 'bridge.vlanDel', ...at, vid: w.vid },
    });
  }
}

const vlanFlags = (e: PortVlanEntry): string =>
  e.pvid || e.untagged ? [e.pvid && 'pvid', e.untagged && 'untagged'].filter(Boolean).join(', ') : 'tagged';

/** Addresses and up for a freshly created interface (MTU, MAC, master and stp are set at creation). */
function newIfaceTail(d: DesiredIface, emit: (phase: Phase, op: Operation) => void) {
  if (d.vlans) planPortVlans(d, d.vlans, portVlans(undefined), emit);
  if (d.qdisc)
    emit('qdisc', {
      kind: 'qdisc.replace',
      netns: d.netns,
      ifname: d.ifname,
      qdisc: d.qdisc,
      object: d.object,
      reason: `new interface '${d.ifname}' should have ${qdiscText(d.qdisc)}`,
      inverse: { kind: 'qdisc.delete', netns: d.netns, ifname: d.ifname },
    });
  for (const a of d.addresses) emit('addr.add', addrAdd(d, a, `address ${a} on new interface '${d.ifname}'`));
  if (d.up) {
    emit('link.setUp', {
      kind: 'link.setUp',
      netns: d.netns,
      ifname: d.ifname,
      up: true,
      object: d.object,
      reason: `new interface '${d.ifname}' should be up`,
      inverse: { kind: 'link.setUp', netns: d.netns, ifname: d.ifname, up: false },
    });
  }
}

function routeText(r: Route): string {
  return `${r.to}${r.via ? ` via ${r.via}` : ''}${r.dev ? ` dev ${r.dev}` : ''}${r.metric !== undefined ? ` metric ${r.metric}` : ''}`;
}

function planRoutes(
  lab: string,
  d: DesiredNetns,
  o: ObservedNetns | undefined,
  doomed: Set<string>,
  flushed: Set<string>,
  emit: (phase: Phase, op: Operation) => void,
) {
  const survivors: ObservedRoute[] = [];
  if (o) {
    for (const r of o.routes) {
      if (!isManagedRoute(r)) continue;
      // A route over a deleted interface disappears with it: nothing to delete.
      if (r.dev !== undefined && doomed.has(key(d.name, r.dev))) continue;
      survivors.push(r);
    }
  }
  const matched = new Set<ObservedRoute>();
  const missing: Route[] = [];
  for (const want of d.routes) {
    const have = survivors.find((r) => !matched.has(r) && routeMatches(want, r));
    if (have && !(have.dev !== undefined && flushed.has(key(d.name, have.dev)))) matched.add(have);
    else missing.push(want);
  }
  for (const r of survivors) {
    if (matched.has(r)) continue;
    // A route over an interface someone else put in our namespace is theirs: left alone.
    const dev = r.dev !== undefined ? o?.links.find((l) => l.ifname === r.dev) : undefined;
    if (dev && !isLoopback(dev) && dev.marker?.lab !== lab) continue;
    const route = toRoute(r);
    const lost = r.dev !== undefined && flushed.has(key(d.name, r.dev));
    emit('route.del', {
      kind: 'route.del',
      netns: d.name,
      route,
      object: d.object,
      reason: lost
        ? `'${r.dev}' goes down, which flushes route ${routeText(route)}; it is removed first and re-added after`
        : `route ${routeText(route)} in '${d.name}' is on the host but not in the design`,
      inverse: { kind: 'route.add', netns: d.name, route },
    });
  }
  for (const route of missing) {
    emit('route.add', {
      kind: 'route.add',
      netns: d.name,
      route,
      object: d.object,
      reason: `route ${routeText(route)} in '${d.name}' is in the design but not on the host`,
      inverse: { kind: 'route.del', netns: d.name, route },
    });
  }
}

/** JSON path of the name field of each object of the lab (for errors the canvas pins on the object). */
function labPaths(lab: Lab): Map<string, string> {
  const paths = new Map<string, string>();
  lab.nodes.forEach((n, i) => {
    if (n.kind !== 'host') paths.set(n.id, `nodes.${i}.name`);
    if (n.kind === 'namespace')
      (n.interfaces ?? []).forEach((x, k) => {
        paths.set(`${n.id}/${x.name}`, `nodes.${i}.interfaces.${k}.name`);
      });
  });
  lab.links.forEach((l, i) => {
    l.endpoints.forEach((_, e) => {
      paths.set(`${l.id}#${e}`, `links.${i}.endpoints.${e}.ifname`);
    });
  });
  return paths;
}

// ---------------------------------------------------------------------------------------------------

/** Short human text for progress and logs, e.g. "create veth red-eth0 ↔ blue-eth0". */
export function describe(op: AnyOpBody): string {
  const inNs = (netns: NetnsRef) => (netns === null ? '' : ` in ${netns}`);
  switch (op.kind) {
    case 'netns.create':
      return `create namespace ${op.netns}`;
    case 'netns.delete':
      return `delete namespace ${op.netns}`;
    case 'netns.setForwarding':
      return `${op.on ? 'enable' : 'disable'} IP forwarding${op.netns === null ? ' on the host' : ` in ${op.netns}`}`;
    case 'bridge.create':
      return `create bridge ${op.ifname}${inNs(op.netns)}`;
    case 'bridge.setStp':
      return `turn STP ${op.on ? 'on' : 'off'} on ${op.ifname}${inNs(op.netns)}`;
    case 'veth.create':
      return `create veth ${op.a.ifname} ↔ ${op.b.ifname}`;
    case 'link.delete':
      return `delete ${op.ifname}${inNs(op.netns)}`;
    case 'link.rename':
      return `rename ${op.from} → ${op.to}${inNs(op.netns)}`;
    case 'link.setUp':
      return `${op.up ? 'bring up' : 'set down'} ${op.ifname}${inNs(op.netns)}`;
    case 'link.setMtu':
      return `set MTU ${op.mtu} on ${op.ifname}${inNs(op.netns)}`;
    case 'link.setMac':
      return `set MAC ${op.mac} on ${op.ifname}${inNs(op.netns)}`;
    case 'link.setMaster':
      return op.master === null
        ? `detach ${op.ifname} from its bridge${inNs(op.netns)}`
        : `attach ${op.ifname} to bridge ${op.master}${inNs(op.netns)}`;
    case 'link.setAlias':
      return `mark ${op.ifname} as ${op.alias}${inNs(op.netns)}`;
    case 'addr.add':
      return `add ${op.cidr} to ${op.ifname}${inNs(op.netns)}`;
    case 'addr.del':
      return `remove ${op.cidr} from ${op.ifname}${inNs(op.netns)}`;
    case 'route.add':
      return `add route ${routeText(op.route)}${inNs(op.netns)}`;
    case 'route.del':
      return `remove route ${routeText(op.route)}${inNs(op.netns)}`;
    case 'qdisc.replace':
      return `set ${qdiscText(op.qdisc)} on ${op.ifname}${inNs(op.netns)}`;
    case 'qdisc.delete':
      return `remove the impairment from ${op.ifname}${inNs(op.netns)}`;
    case 'nat.apply':
      return `${op.replace ? 'update' : 'create'} NAT table ${op.table} (masquerade ${op.sources.join(', ')})`;
    case 'nat.delete':
      return `delete NAT table ${op.table}`;
    case 'iface.create':
      return `create ${op.spec.kind} ${op.ifname}${inNs(op.netns)}`;
    case 'sysctl.set':
      return `set ${op.key}=${op.value}${op.netns === null ? ' on the host' : ` in ${op.netns}`}`;
    case 'bridge.setVlanFiltering':
      return `turn VLAN filtering ${op.on ? 'on' : 'off'} on ${op.ifname}${inNs(op.netns)}`;
    case 'bridge.vlanAdd':
      return `put ${op.ifname} in VLAN ${vlansText([op])}${inNs(op.netns)}`;
    case 'bridge.vlanDel':
      return `take ${op.ifname} out of VLAN ${op.vid}${inNs(op.netns)}`;
  }
}

/**
 * Pure status: how each object of a lab looks on the host (absent / ready / drifted / conflict), with the
 * observed details of its interface. `pending` and `failed` are the server's to set. No I/O; the sample
 * time is passed in.
 */
import type { Condition, Lab, LabStatus, ObjectState, ObjectStatus } from '../../shared';
import { endpointKey } from '../../shared/status';
import {
  canonicalCidr,
  type DesiredIface,
  type DesiredLab,
  type DesiredNetns,
  desiredState,
  isLinkLocal,
  isManagedQdisc,
  isManagedRoute,
  kindMatches,
  natTableName,
  portVlans,
  qdiscMatches,
  qdiscText,
  routeMatches,
  specMatches,
  vlansText,
} from './desired';
import { attachedKind } from './kinds';
import type { AttachedSpec, Marker, NetnsRef, ObservedLink, ObservedNetns, ObservedState } from './types';

/** The designed parameters in words (the kind module's), for a TunnelDiffers condition. */
const paramsText = (spec: AttachedSpec | undefined): string =>
  (spec && attachedKind(spec.kind)?.paramsText?.(spec as never)) ?? '';

export interface Revisions {
  observed: number;
  applied: number | null;
}

const drift = (reason: string, message: string): Condition => ({ type: 'Drifted', status: true, reason, message });
const READY: Condition = {
  type: 'Ready',
  status: true,
  reason: 'AsDesigned',
  message: 'exists on the host as designed',
};

/** Worst first: the state a link takes from its two endpoints. */
const SEVERITY: ObjectState[] = ['conflict', 'failed', 'drifted', 'pending', 'absent', 'ready'];

interface Design {
  desired: DesiredLab;
  /** Lookups by name, built once (a 1000-port bridge would make linear searches quadratic). */
  nsByObject: Map<string, DesiredNetns>;
  ifaceByObject: Map<string, DesiredIface>;
}
/**
 * The desired state of a lab document, kept while that document object lives: the status hub samples the
 * same (shared, never mutated) document every second, and at 1000 namespaces recomputing it per sample
 * was a third of a sample's JavaScript time.
 */
const designs = new WeakMap<Lab, Design>();
function designOf(lab: Lab): Design {
  let d = designs.get(lab);
  if (!d) {
    const desired = desiredState(lab);
    d = {
      desired,
      nsByObject: firstBy(desired.namespaces, (n) => n.object),
      ifaceByObject: firstBy(desired.ifaces, (i) => i.object),
    };
    designs.set(lab, d);
  }
  return d;
}

export function status(lab: Lab, observed: ObservedState, revisions: Revisions, at: string): LabStatus {
  const applied = revisions.applied !== null;
  const { desired, nsByObject, ifaceByObject } = designOf(lab);
  const objects: Record<string, ObjectStatus> = {};
  const ours = (m: Marker | null, object: string) => m !== null && m.lab === lab.name && m.object === object;
  const nsOf = (netns: NetnsRef): ObservedNetns | undefined =>
    netns === null ? observed.root : observed.namespaces[netns];
  const linkIndex = new Map<ObservedNetns, Map<string, ObservedLink>>();
  const linkIn = (ns: ObservedNetns, ifname: string): ObservedLink | undefined => {
    let m = linkIndex.get(ns);
    if (!m) {
      m = new Map(ns.links.map((l) => [l.ifname, l]));
      linkIndex.set(ns, m);
    }
    return m.get(ifname);
  };
  const missing = (id: string, reason: string, what: string): ObjectStatus =>
    applied
      ? { id, state: 'drifted', conditions: [drift(reason, `${what} is not on the host; re-apply to repair`)] }
      : { id, state: 'absent', conditions: [] };

  for (const node of lab.nodes) {
    if (node.kind === 'host') {
      const conditions: Condition[] = [];
      const want = desired.nat;
      const have = observed.nft?.find((t) => t.name === natTableName(lab.name));
      if (want && observed.nft !== undefined) {
        if (have && have.marker?.lab !== lab.name) {
          objects[node.id] = conflict(node.id, `nftables table ip ${have.name}`, have.marker, lab.name);
          continue;
        }
        if (!have) {
          if (applied)
            conditions.push(drift('NatMissing', `NAT table ${want.table} is not on the host; re-apply to repair`));
        } else if (JSON.stringify(have.sources) !== JSON.stringify(want.sources))
          conditions.push(
            drift(
              'NatDiffers',
              `NAT masquerades ${have.sources.join(', ')}; the design says ${want.sources.join(', ')}`,
            ),
          );
        if (observed.root.ipv4Forward === false && (have || applied))
          conditions.push(drift('IpForwardOff', 'IPv4 forwarding on the host is off, so NAT cannot forward'));
      } else if (!want && have?.marker?.lab === lab.name)
        conditions.push(drift('NatUnexpected', `NAT table ${have.name} is on the host but not in the design`));
      if (want && !have && !applied && observed.nft !== undefined) {
        objects[node.id] = { id: node.id, state: 'absent', conditions: [] };
        continue;
      }
      objects[node.id] = finish(node.id, conditions);
      continue;
    }
    if (node.kind === 'namespace') {
      const d = nsByObject.get(node.id)!;
      const o = observed.namespaces[d.name];
      if (!o) {
        objects[node.id] = missing(node.id, 'NamespaceMissing', `namespace '${d.name}'`);
        continue;
      }
      if (!ours(o.marker, node.id)) {
        objects[node.id] = stranger(node.id, `namespace '${d.name}'`, o.marker);
        continue;
      }
      const conditions: Condition[] = [];
      if ((o.forwarding ?? false) !== d.forwarding)
        conditions.push(
          drift('ForwardingDiffers', `IP forwarding in '${d.name}' should be ${d.forwarding ? 'on' : 'off'}`),
        );
      for (const [k, v] of Object.entries(d.sysctls))
        if (o.sysctls !== undefined && o.sysctls[k] !== v)
          conditions.push(
            drift('SysctlDiffers', `${k} in '${d.name}' is ${o.sysctls[k] ?? 'unknown'}; the design says ${v}`),
          );
      const routes = o.routes.filter(isManagedRoute);
      const used = new Set<unknown>();
      for (const r of d.routes) {
        const m = routes.find((x) => !used.has(x) && routeMatches(r, x));
        if (m) used.add(m);
        else conditions.push(drift('RouteMissing', `route to ${r.to}${r.via ? ` via ${r.via}` : ''} is missing`));
      }
      for (const r of routes) {
        const dev = r.dev !== undefined ? linkIn(o, r.dev) : undefined;
        if (dev && dev.kind !== 'loopback' && dev.marker?.lab !== lab.name) continue; // not ours to judge
        if (!used.has(r))
          conditions.push(drift('RouteUnexpected', `route to ${r.to} is on the host but not in the design`));
      }
      objects[node.id] = finish(node.id, conditions);
      continue;
    }
    // bridge
    const d = ifaceByObject.get(node.id);
    if (!d) continue; // bad reference; validate() reports it
    objects[node.id] = ifaceStatus(d);
  }

  for (const v of desired.veths) {
    const [s0, s1] = v.ends.map((e) => ifaceStatus(e)) as [ObjectStatus, ObjectStatus];
    const present = (s: ObjectStatus) => s.ifindex !== undefined && s.state !== 'conflict';
    // One end gone while the other is there is drift even before any apply: a veth only exists as a pair.
    for (const [s, other, e] of [
      [s0, s1, v.ends[0]],
      [s1, s0, v.ends[1]],
    ] as const) {
      if (s.state === 'absent' && present(other)) {
        s.state = 'drifted';
        s.conditions.push(drift('VethMissing', `veth end '${e.ifname}' in ${where(e.netns)} is missing`));
      }
    }
    objects[endpointKey(v.linkId, 0)] = s0;
    objects[endpointKey(v.linkId, 1)] = s1;
    const state = SEVERITY.find((x) => x === s0.state || x === s1.state) ?? 'absent';
    const conditions = [...s0.conditions, ...s1.conditions].filter((c) => c.type !== 'Ready');
    objects[v.linkId] = { id: v.linkId, state, conditions: state === 'ready' ? [READY] : conditions };
  }

  // Interfaces attached to namespace nodes: reported under `<node>/<ifname>`.
  for (const d of desired.ifaces) if (d.spec) objects[d.object] = ifaceStatus(d);

  return { lab: lab.name, observedRevision: revisions.observed, appliedRevision: revisions.applied, at, objects };

  /**
   * The name is held by something that is not this object. Another object of this same lab (e.g. a node
   * deleted and re-added under the old name) is replaced by the next apply, so that is drift; anything
   * else is a conflict the planner refuses to resolve.
   */
  function stranger(id: string, what: string, marker: Marker | null): ObjectStatus {
    if (marker?.lab === lab.name)
      return {
        id,
        state: 'drifted',
        conditions: [
          drift('MarkerDiffers', `${what} belongs to object '${marker.object}' of this lab; re-apply to replace it`),
        ],
      };
    return conflict(id, what, marker, lab.name);
  }

  function ifaceStatus(d: DesiredIface): ObjectStatus {
    const ns = nsOf(d.netns);
    const l = ns ? linkIn(ns, d.ifname) : undefined;
    if (!ns || !l)
      return missing(
        d.object,
        d.kind === 'bridge' ? 'BridgeMissing' : d.kind === 'veth' ? 'VethMissing' : 'InterfaceMissing',
        `${d.kind === 'bridge' ? 'bridge' : d.kind === 'veth' ? 'veth end' : `${d.kind} interface`} '${d.ifname}' in ${where(d.netns)}`,
      );
    if (!ours(l.marker, d.object))
      return { ...stranger(d.object, `interface '${d.ifname}' in ${where(d.netns)}`, l.marker), ...linkDetails(l) };
    const c: Condition[] = [];
    if (!kindMatches(d, l)) c.push(drift('KindDiffers', `'${d.ifname}' is a ${l.kind}, not a ${d.kind}`));
    else if (!specMatches(d.spec, l))
      c.push(
        drift(
          'TunnelDiffers',
          `'${d.ifname}' does not have the designed ${d.kind} parameters${paramsText(d.spec)}; re-apply recreates it`,
        ),
      );
    if (l.addresses.length || d.addresses.length) {
      const have = new Set(l.addresses.map(canonicalCidr));
      for (const a of d.addresses) {
        if (!have.has(a) && !isLinkLocal(a))
          c.push(drift('AddressMissing', `address ${a} is missing from '${d.ifname}'`));
      }
      const want = new Set(d.addresses);
      for (const a of have) {
        if (!want.has(a) && !isLinkLocal(a))
          c.push(drift('AddressUnexpected', `address ${a} on '${d.ifname}' is not in the design`));
      }
    }
    if (d.mtu !== undefined && l.mtu !== d.mtu)
      c.push(drift('MtuDiffers', `MTU of '${d.ifname}' is ${l.mtu}; the design says ${d.mtu}`));
    else if (d.mtu === undefined && defaultMtu(d) !== undefined && l.mtu !== defaultMtu(d))
      c.push(
        drift(
          'MtuNotDefault',
          `MTU of '${d.ifname}' is ${l.mtu}, not the kernel's default ${defaultMtu(d)}; the design leaves MTU unset, so re-apply keeps it (set MTU in the design to choose one)`,
        ),
      );
    if (d.mac !== undefined && l.mac !== undefined && l.mac.toLowerCase() !== d.mac)
      c.push(drift('MacDiffers', `MAC of '${d.ifname}' is ${l.mac}; the design says ${d.mac}`));
    if (d.kind === 'bridge' && d.stp !== undefined && (l.stp ?? false) !== d.stp)
      c.push(drift('StpDiffers', `STP on '${d.ifname}' should be ${d.stp ? 'on' : 'off'}`));
    if (d.kind === 'bridge' && (d.vlanFiltering ?? false) !== (l.vlanFiltering ?? false))
      c.push(
        drift('VlanFilteringDiffers', `VLAN filtering on '${d.ifname}' should be ${d.vlanFiltering ? 'on' : 'off'}`),
      );
    if (d.vlans && l.master === d.master) {
      // Unread (the bridge does not filter yet): the kernel's default, VLAN 1 pvid untagged.
      const have = l.vlans ?? portVlans(undefined);
      if (JSON.stringify(have) !== JSON.stringify(d.vlans))
        c.push(
          drift(
            'VlanDiffers',
            `port '${d.ifname}' should be in VLAN ${vlansText(d.vlans)}; it is in ${vlansText(have)}`,
          ),
        );
    }
    if ((l.master ?? null) !== (d.master ?? null))
      c.push(
        drift(
          'MasterDiffers',
          d.master
            ? `'${d.ifname}' should be a port of bridge '${d.master}'`
            : `'${d.ifname}' should not be a bridge port`,
        ),
      );
    if (d.kind === 'veth') {
      if (d.qdisc && !qdiscMatches(d.qdisc, l.qdisc))
        c.push(
          drift(
            l.qdisc ? 'ImpairmentDiffers' : 'ImpairmentMissing',
            `'${d.ifname}' should have ${qdiscText(d.qdisc)}${l.qdisc ? `; it has ${qdiscText(l.qdisc)}` : ''}`,
          ),
        );
      if (!d.qdisc && isManagedQdisc(l.qdisc))
        c.push(drift('ImpairmentUnexpected', `'${d.ifname}' has ${qdiscText(l.qdisc!)}, which is not in the design`));
    }
    if (d.up && !l.adminUp) c.push(drift('AdminDown', `'${d.ifname}' is down; the design has it up`));
    if (!d.up && l.adminUp) c.push(drift('AdminUp', `'${d.ifname}' is up; the design has it down`));
    // One object literal (this runs for every interface of the lab on every status sample).
    const out: ObjectStatus = {
      operstate: l.operstate,
      ifindex: l.ifindex,
      addresses: [...l.addresses],
      mtu: l.mtu,
    } as ObjectStatus;
    if (l.mac !== undefined) out.mac = l.mac;
    if (l.counters) out.counters = { ...l.counters };
    out.id = d.object;
    out.state = c.length ? 'drifted' : 'ready';
    out.conditions = c.length ? c : [READY];
    return out;
  }
}

/**
 * The MTU the kernel gives a new interface of this kind when none is asked for: Ethernet's 1500 for a veth
 * end, the kind module's `defaultMtu` for attached kinds. Undefined where it follows something else (a
 * bridge takes its ports' smallest), so an unset MTU there is never judged.
 */
export function defaultMtu(d: Pick<DesiredIface, 'kind'>): number | undefined {
  return d.kind === 'veth' ? 1500 : attachedKind(d.kind)?.defaultMtu;
}

/** Items by key, the first one winning (as find() would). */
function firstBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T> {
  const m = new Map<string, T>();
  for (const t of items) if (!m.has(key(t))) m.set(key(t), t);
  return m;
}

function where(netns: NetnsRef): string {
  return netns === null ? 'the root namespace' : `namespace '${netns}'`;
}

function finish(id: string, conditions: Condition[]): ObjectStatus {
  return conditions.length ? { id, state: 'drifted', conditions } : { id, state: 'ready', conditions: [READY] };
}

function conflict(id: string, what: string, marker: Marker | null, lab: string): ObjectStatus {
  const owner = marker ? `Netloom lab '${marker.lab}', object '${marker.object}'` : 'something outside Netloom';
  return {
    id,
    state: 'conflict',
    conditions: [
      {
        type: 'Conflict',
        status: true,
        reason: 'NameTaken',
        message: `${what} already exists and belongs to ${owner}, not to lab '${lab}'`,
      },
    ],
  };
}

function linkDetails(l: ObservedLink): Partial<ObjectStatus> {
  return {
    operstate: l.operstate,
    ifindex: l.ifindex,
    addresses: [...l.addresses],
    mtu: l.mtu,
    ...(l.mac !== undefined && { mac: l.mac }),
    ...(l.counters && { counters: { ...l.counters } }),
  };
}

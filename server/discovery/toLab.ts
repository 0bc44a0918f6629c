/**
 * toLab(discovery): the discovered host as a Lab in the same format the designer edits (shared/lab.ts),
 * foreign objects included — plus what the format cannot express (links on a lower device, vxlan, tun, dummy,
 * veths into process-held namespaces, …) as `extras` the canvas draws as labelled stubs, and per object its kernel
 * names and ownership. Ids are derived deterministically from kernel names (an object already carrying a
 * Netloom marker keeps its marker's id when that is free). The lab always passes validate(): whatever
 * cannot be expressed is dropped with a warning. Pure.
 */
import {
  type DiscoveredLab,
  type Extra,
  endpointKey,
  type Lab,
  type LabLink,
  type LabNode,
  type ObjectInfo,
  type Route,
  validate,
} from '../../shared';
import { isManagedRoute, toRoute } from '../engine/desired';
import type { Marker, NetnsRef, ObservedRoute } from '../engine/types';
import { type DiscoveredLink, type DiscoveredNetns, type Discovery, isProcessRef, LAB_KINDS } from './discover';

export interface ToLabOptions {
  /** Name of the produced lab (default `host`). */
  labName?: string;
  /** Put observed MAC addresses into the design (exact re-creation); default false (MACs are often random). */
  includeMac?: boolean;
}

export const DEFAULT_MTU = 1500;
const ID_MAX = 48;

/** `red.lan` → `red_lan`: the id charset is `[A-Za-z0-9_-]` and ids start with a letter. */
export function safeIdPart(s: string): string {
  return s.replace(/[^A-Za-z0-9_-]/g, '_');
}

/** Allocates ids: deterministic in call order, unique, always valid for the Id pattern. */
class Ids {
  private readonly used = new Set<string>();
  has(id: string): boolean {
    return this.used.has(id);
  }
  take(wanted: string): string {
    let base = wanted.slice(0, ID_MAX);
    if (!/^[A-Za-z]/.test(base)) base = `x${base}`.slice(0, ID_MAX);
    let id = base;
    for (let i = 2; this.used.has(id); i++) {
      const suffix = `-${i}`;
      id = `${base.slice(0, ID_MAX - suffix.length)}${suffix}`;
    }
    this.used.add(id);
    return id;
  }
  /** The marker's object id when it is a node/link id and free, else a derived one. */
  prefer(marker: Marker | null, derived: string): string {
    const own = marker?.object;
    if (own && /^[A-Za-z][A-Za-z0-9_-]{0,47}$/.test(own) && !this.used.has(own)) return this.take(own);
    return this.take(derived);
  }
}

const ownership = (m: Marker | null | undefined): Pick<ObjectInfo, 'ownership' | 'marker'> =>
  m ? { ownership: 'owned', marker: m } : { ownership: 'foreign' };

const isLoopback = (l: DiscoveredLink) => l.kind === 'loopback' || l.ifname === 'lo';
const nsOrder = (a: NetnsRef, b: NetnsRef) => (a === b ? 0 : a === null ? -1 : b === null ? 1 : a < b ? -1 : 1);
const linkKey = (netns: NetnsRef, ifname: string) => `${netns ?? ''}/${ifname}`;

/** Observed route → lab route; the family's default metric is left out (routeMatches treats it as equal). */
export function labRoute(r: ObservedRoute): Route {
  const route = toRoute(r);
  if (route.metric === (r.family === 6 ? 1024 : 0)) delete route.metric;
  return route;
}

export function toLab(discovery: Discovery, opts: ToLabOptions = {}): DiscoveredLab {
  const labName = opts.labName ?? 'host';
  const ids = new Ids();
  const warnings: string[] = [];
  const extras: Extra[] = [];
  const objects: Record<string, ObjectInfo> = {};
  const nodes: LabNode[] = [];
  const links: LabLink[] = [];

  const kernelNs = discovery.namespaces.filter((n) => n.source !== 'process');
  const processNs = discovery.namespaces.filter((n) => n.source === 'process');
  const byRef = new Map(discovery.namespaces.map((n) => [n.ref, n] as const));

  // ---- Namespace nodes (named namespaces), by name.
  const nsNode = new Map<string, string>(); // netns name → node id
  for (const ns of kernelNs) {
    if (ns.ref === null) continue;
    const id = ids.prefer(ns.marker, `ns-${safeIdPart(ns.ref)}`);
    nsNode.set(ns.ref, id);
    const lo = ns.links.find((l) => l.ifname === 'lo');
    objects[id] = {
      id,
      kind: 'namespace',
      netns: ns.ref,
      ...ownership(ns.marker),
      ...(lo?.alias !== undefined && !lo.marker && { alias: lo.alias }),
    };
  }
  // ---- Bridges (root first, then namespaces by name).
  const bridgeNode = new Map<string, string>(); // netns/ifname → node id
  for (const ns of kernelNs) {
    for (const l of ns.links) {
      if (l.kind !== 'bridge') continue;
      const where = ns.ref === null ? '' : `${safeIdPart(ns.ref)}-`;
      bridgeNode.set(linkKey(ns.ref, l.ifname), ids.prefer(l.marker, `br-${where}${safeIdPart(l.ifname)}`));
    }
  }
  let hostId: string | null = null;
  const host = () => {
    hostId ??= ids.take('host');
    return hostId;
  };

  // ---- Veth pairs: each once, oriented by marker (#0/#1) when both ends agree, else root first then by name.
  const seen = new Set<string>();
  interface End {
    ns: DiscoveredNetns;
    link: DiscoveredLink;
  }
  const vethEnds: [End, End][] = [];
  for (const ns of kernelNs) {
    for (const l of ns.links) {
      if (l.kind !== 'veth') continue;
      const k = linkKey(ns.ref, l.ifname);
      if (seen.has(k)) continue;
      seen.add(k);
      const peerNs = l.peer ? byRef.get(l.peer.netns) : undefined;
      const peer = l.peer && peerNs?.links.find((x) => x.ifname === l.peer!.ifname);
      if (!l.peer || !peerNs || !peer) {
        extras.push(extraOf(ns, l, 'veth whose other end was not found (it may be in a namespace we cannot see)'));
        continue;
      }
      if (peerNs.source === 'process') {
        // The other end is reported with its process-held namespace below.
        extras.push(extraOf(ns, l, `veth to ${peerNs.ref} (${peerNs.comm ?? '?'}), a namespace without a name`));
        continue;
      }
      seen.add(linkKey(peerNs.ref, peer.ifname));
      const a: End = { ns, link: l };
      const b: End = { ns: peerNs, link: peer };
      const ma = l.marker;
      const mb = peer.marker;
      const marked =
        ma && mb && ma.lab === mb.lab && ma.object.replace(/#[01]$/, '') === mb.object.replace(/#[01]$/, '');
      if (marked && ma.object.endsWith('#1') && mb.object.endsWith('#0')) vethEnds.push([b, a]);
      else if (marked) vethEnds.push([a, b]);
      else {
        const c = nsOrder(a.ns.ref, b.ns.ref) || (a.link.ifname < b.link.ifname ? -1 : 1);
        vethEnds.push(c <= 0 ? [a, b] : [b, a]);
      }
    }
  }
  // Where an end attaches: its bridge, else its namespace node, else the host; null = not expressible.
  const attach = (e: End): { node: string } | { reason: string } => {
    if (e.link.master !== undefined) {
      const br = bridgeNode.get(linkKey(e.ns.ref, e.link.master));
      if (br) return { node: br };
      return { reason: `it is enslaved to '${e.link.master}', which is not a bridge` };
    }
    if (e.ns.ref === null) return { node: host() };
    return { node: nsNode.get(e.ns.ref)! };
  };
  const endpoint = (e: End, node: string) => ({
    node,
    ifname: e.link.ifname,
    addresses: [...e.link.addresses],
    ...(e.link.mtu && e.link.mtu !== DEFAULT_MTU && { mtu: e.link.mtu }),
    ...(opts.includeMac && e.link.mac && unicastMac(e.link.mac) && { mac: e.link.mac }),
    up: e.link.adminUp,
  });
  const pendingLinks: { id: string; ends: [End, End] }[] = [];
  for (const [a, b] of vethEnds) {
    const ta = attach(a);
    const tb = attach(b);
    if ('reason' in ta || 'reason' in tb) {
      const why = 'reason' in ta ? ta.reason : (tb as { reason: string }).reason;
      for (const e of [a, b]) extras.push(extraOf(e.ns, e.link, `veth end not expressible: ${why}`));
      continue;
    }
    const ma = a.link.marker;
    const derived = `veth-${safeIdPart(a.link.ifname)}-${safeIdPart(b.link.ifname)}`;
    const base = ma ? { ...ma, object: ma.object.replace(/#[01]$/, '') } : null;
    const id = ids.prefer(base, derived);
    links.push({ id, kind: 'veth', endpoints: [endpoint(a, ta.node), endpoint(b, tb.node)] });
    pendingLinks.push({ id, ends: [a, b] });
  }

  // ---- Nodes in a stable order: host, namespaces, bridges.
  if (hostId) {
    nodes.push({ id: hostId, kind: 'host' });
    objects[hostId] = { id: hostId, kind: 'host', netns: null, ownership: 'foreign' };
  }
  for (const ns of kernelNs) {
    if (ns.ref === null) continue;
    const id = nsNode.get(ns.ref)!;
    nodes.push({
      id,
      kind: 'namespace',
      name: ns.ref,
      forwarding: ns.forwarding ?? false,
      routes: ns.routes.filter(isManagedRoute).map(labRoute),
    });
  }
  for (const ns of kernelNs) {
    for (const l of ns.links) {
      if (l.kind !== 'bridge') continue;
      const id = bridgeNode.get(linkKey(ns.ref, l.ifname))!;
      nodes.push({
        id,
        kind: 'bridge',
        name: l.ifname,
        ...(ns.ref !== null && { namespace: nsNode.get(ns.ref)! }),
        ...(l.stp && { stp: true }),
        ...(l.mtu && l.mtu !== DEFAULT_MTU && { mtu: l.mtu }),
        addresses: [...l.addresses],
      });
      objects[id] = objInfo(id, 'bridge', ns.ref, l);
      if (!l.adminUp) warnings.push(`bridge '${l.ifname}' (${id}) is down; the lab format has bridges up`);
    }
  }
  for (const p of pendingLinks) {
    objects[p.id] = {
      id: p.id,
      kind: 'veth',
      netns: p.ends[0].ns.ref,
      ifname: p.ends[0].link.ifname,
      ...ownership(p.ends[0].link.marker),
    };
    p.ends.forEach((e, i) => {
      const k = endpointKey(p.id, i as 0 | 1);
      objects[k] = objInfo(k, 'endpoint', e.ns.ref, e.link);
    });
  }

  // ---- Extras: other link kinds everywhere, and process-held namespaces with all their links.
  for (const ns of kernelNs)
    for (const l of ns.links)
      if (!LAB_KINDS.has(l.kind))
        extras.push(
          extraOf(ns, l, `interfaces of kind '${l.kind || 'unknown'}' cannot be expressed in the lab format yet`),
        );
  for (const ns of processNs) {
    extras.push({
      id: '',
      kind: 'netns',
      netns: ns.ref,
      addresses: [],
      ...(ns.pid !== undefined && { pid: ns.pid }),
      ...(ns.comm !== undefined && { comm: ns.comm }),
      ...ownership(ns.marker),
      reason: `network namespace held by process ${ns.pid} (${ns.comm ?? '?'}) without a name under /run/netns`,
    });
    for (const l of ns.links)
      if (!isLoopback(l)) extras.push(extraOf(ns, l, 'interface in a namespace that has no name'));
  }
  for (const x of extras) {
    const where = x.netns === null ? 'host' : isProcessRef(x.netns) ? x.netns.replace(':', '') : x.netns;
    x.id = ids.take(`x-${safeIdPart(where)}${x.ifname ? `-${safeIdPart(x.ifname)}` : ''}`);
    const node =
      x.master !== undefined
        ? bridgeNode.get(linkKey(x.netns, x.master))
        : x.netns === null
          ? (hostId ?? undefined)
          : nsNode.get(x.netns);
    if (node) x.node = node;
    objects[x.id] = {
      id: x.id,
      kind: 'extra',
      netns: x.netns,
      ...(x.ifname !== undefined && { ifname: x.ifname }),
      ...(x.ifindex !== undefined && { ifindex: x.ifindex }),
      ownership: x.ownership,
      ...(x.marker && { marker: x.marker }),
    };
  }

  const lab: Lab = {
    version: 1,
    name: labName,
    title: 'Discovered host',
    nodes,
    links,
  };
  const fixed = makeValid(lab, warnings);
  // Objects dropped while making the lab valid are no longer lab objects.
  const keep = labObjectIds(fixed);
  for (const [id, o] of Object.entries(objects)) if (o.kind !== 'extra' && !keep.has(id)) delete objects[id];
  return { lab: fixed, extras, objects, warnings };
}

function unicastMac(mac: string): boolean {
  return /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(mac) && (Number.parseInt(mac.slice(0, 2), 16) & 1) === 0;
}

function objInfo(id: string, kind: ObjectInfo['kind'], netns: NetnsRef, l: DiscoveredLink): ObjectInfo {
  return {
    id,
    kind,
    netns,
    ifname: l.ifname,
    ifindex: l.ifindex,
    ...ownership(l.marker),
    ...(l.alias !== undefined && !l.marker && { alias: l.alias }),
  };
}

function extraOf(ns: DiscoveredNetns, l: DiscoveredLink, reason: string): Extra {
  return {
    id: '',
    kind: l.kind || 'unknown',
    netns: ns.ref,
    ifname: l.ifname,
    ifindex: l.ifindex,
    addresses: [...l.addresses],
    mtu: l.mtu,
    ...(l.mac !== undefined && { mac: l.mac }),
    up: l.adminUp,
    operstate: l.operstate,
    ...(l.master !== undefined && { master: l.master }),
    ...(l.parent !== undefined && { parent: l.parent }),
    ...(l.kind === 'veth' && { peer: l.peer ? { netns: l.peer.netns, ifname: l.peer.ifname } : null }),
    ...(l.detail && { detail: l.detail }),
    ...ownership(l.marker),
    reason,
  };
}

export function labObjectIds(lab: Lab): Set<string> {
  const out = new Set<string>(lab.nodes.map((n) => n.id));
  for (const l of lab.links) {
    out.add(l.id);
    out.add(endpointKey(l.id, 0));
    out.add(endpointKey(l.id, 1));
  }
  return out;
}

/**
 * Drops whatever validate() rejects, most specific first (a route, an address; else the whole link or
 * node, and then links left dangling), until the lab is valid. Every drop becomes a warning.
 */
export function makeValid(input: Lab, warnings: string[]): Lab {
  let lab: Lab = structuredClone(input);
  for (let round = 0; round < 20; round++) {
    const v = validate(lab);
    if (v.ok) return v.lab;
    const errors = v.issues.filter((i) => i.severity === 'error');
    const dropRoute = new Map<number, Set<number>>();
    const dropAddr = new Map<string, Set<number>>();
    const dropNode = new Set<number>();
    const dropLink = new Set<number>();
    const add = <K>(m: Map<K, Set<number>>, k: K, i: number) => m.set(k, (m.get(k) ?? new Set()).add(i));
    for (const issue of errors) {
      const p = issue.path;
      const what = describeIssue(lab, p);
      if (p[0] === 'nodes' && typeof p[1] === 'number' && p[2] === 'routes' && typeof p[3] === 'number')
        add(dropRoute, p[1], p[3]);
      else if (p[0] === 'nodes' && typeof p[1] === 'number' && p[2] === 'addresses' && typeof p[3] === 'number')
        add(dropAddr, `n${p[1]}`, p[3]);
      else if (
        p[0] === 'links' &&
        typeof p[1] === 'number' &&
        p[2] === 'endpoints' &&
        typeof p[3] === 'number' &&
        p[4] === 'addresses' &&
        typeof p[5] === 'number'
      )
        add(dropAddr, `l${p[1]}.${p[3]}`, p[5]);
      else if (p[0] === 'links' && typeof p[1] === 'number') dropLink.add(p[1]);
      else if (p[0] === 'nodes' && typeof p[1] === 'number') dropNode.add(p[1]);
      else {
        warnings.push(`the discovered lab is not valid and could not be repaired: ${issue.message}`);
        return { version: 1, name: lab.name, nodes: [], links: [] };
      }
      warnings.push(`left out ${what}: ${issue.message}`);
    }
    lab = structuredClone(lab);
    lab.nodes.forEach((n, i) => {
      if (n.kind === 'namespace' && dropRoute.has(i)) n.routes = n.routes.filter((_, j) => !dropRoute.get(i)!.has(j));
      if (n.kind === 'bridge' && dropAddr.has(`n${i}`))
        n.addresses = n.addresses.filter((_, j) => !dropAddr.get(`n${i}`)!.has(j));
    });
    lab.links.forEach((l, i) => {
      l.endpoints.forEach((e, k) => {
        const s = dropAddr.get(`l${i}.${k}`);
        if (s) e.addresses = e.addresses.filter((_, j) => !s.has(j));
      });
    });
    const goneNodes = new Set([...dropNode].map((i) => lab.nodes[i]!.id));
    lab.nodes = lab.nodes.filter(
      (n, i) => !dropNode.has(i) && !(n.kind === 'bridge' && n.namespace && goneNodes.has(n.namespace)),
    );
    const present = new Set(lab.nodes.map((n) => n.id));
    lab.links = lab.links.filter((l, i) => !dropLink.has(i) && l.endpoints.every((e) => present.has(e.node)));
  }
  warnings.push('the discovered lab could not be made valid');
  return { version: 1, name: lab.name, nodes: [], links: [] };
}

function describeIssue(lab: Lab, path: (string | number)[]): string {
  if (path[0] === 'nodes' && typeof path[1] === 'number') {
    const n = lab.nodes[path[1]];
    if (path[2] === 'routes' && typeof path[3] === 'number' && n?.kind === 'namespace')
      return `route ${n.routes[path[3]]?.to ?? '?'} of '${n.name}'`;
    if (path[2] === 'addresses' && n?.kind === 'bridge') return `an address of bridge '${n.name}'`;
    return `node '${n?.id ?? path[1]}'`;
  }
  if (path[0] === 'links' && typeof path[1] === 'number') {
    const l = lab.links[path[1]];
    if (path[4] === 'addresses') return `an address of '${l?.endpoints[Number(path[3])]?.ifname ?? '?'}'`;
    return `veth '${l?.id ?? path[1]}'`;
  }
  return 'an object';
}

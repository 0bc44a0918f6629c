/**
 * Lab → the kernel objects it asks for (namespaces, interfaces, routes), with every name resolved: which
 * netns an interface lives in, which bridge it is enslaved to, its marker. Pure; shared by plan and status.
 * Also the canonical forms (CIDR, IP, route key) both sides compare with.
 */
import { endpointKey, type Lab, type Route } from '../../shared';
import { canonicalCidr as netCanonicalCidr, canonicalIp as netCanonicalIp } from '../../shared/net';
import { formatMarker } from './marker';
import type { NetnsRef, ObservedRoute, PlanError } from './types';

export interface DesiredNetns {
  /** Node id. */
  object: string;
  name: string;
  marker: string;
  forwarding: boolean;
  /** Canonical (addresses normalized), in design order. */
  routes: Route[];
}

export interface DesiredIface {
  /** Bridge node id, or endpoint key `${linkId}#0|#1`. */
  object: string;
  kind: 'bridge' | 'veth';
  netns: NetnsRef;
  ifname: string;
  marker: string;
  /** Canonical CIDRs, design order, no duplicates. */
  addresses: string[];
  mtu?: number;
  /** Lowercase. */
  mac?: string;
  up: boolean;
  /** Veth end on a bridge: the bridge's name and node id (same netns). */
  master?: string;
  masterObject?: string;
  /** Bridges only. */
  stp?: boolean;
  /** Veth ends only. */
  linkId?: string;
  end?: 0 | 1;
}

export interface DesiredVeth {
  linkId: string;
  ends: [DesiredIface, DesiredIface];
}

export interface DesiredLab {
  lab: string;
  namespaces: DesiredNetns[];
  /** Bridges first (design order), then veth ends (link order, end 0 then 1). */
  ifaces: DesiredIface[];
  veths: DesiredVeth[];
  /** Dangling references and the like; validate() normally catches these first. */
  errors: PlanError[];
}

export function desiredState(lab: Lab): DesiredLab {
  const errors: PlanError[] = [];
  const nodes = new Map(lab.nodes.map((n) => [n.id, n] as const));
  const namespaces: DesiredNetns[] = [];
  const ifaces: DesiredIface[] = [];
  const veths: DesiredVeth[] = [];

  /** Netns name for a node that can hold interfaces; undefined when the reference is bad. */
  const nsOfNamespaceNode = (id: string | undefined, path: string): NetnsRef | undefined => {
    if (id === undefined) return null;
    const n = nodes.get(id);
    if (n?.kind === 'namespace') return n.name;
    errors.push({ code: 'InvalidLab', message: `'${id}' is not a namespace node of this lab`, path });
    return undefined;
  };

  lab.nodes.forEach((node, i) => {
    if (node.kind === 'namespace') {
      namespaces.push({
        object: node.id,
        name: node.name,
        marker: formatMarker(lab.name, node.id),
        forwarding: node.forwarding ?? false,
        routes: (node.routes ?? []).map(canonicalRoute),
      });
    } else if (node.kind === 'bridge') {
      const netns = nsOfNamespaceNode(node.namespace, `nodes.${i}.namespace`);
      if (netns === undefined) return;
      ifaces.push({
        object: node.id,
        kind: 'bridge',
        netns,
        ifname: node.name,
        marker: formatMarker(lab.name, node.id),
        addresses: canonicalList(node.addresses ?? []),
        ...(node.mtu !== undefined && { mtu: node.mtu }),
        ...(node.stp !== undefined && { stp: node.stp }),
        up: true,
      });
    }
  });

  lab.links.forEach((link, li) => {
    const ends: DesiredIface[] = [];
    link.endpoints.forEach((ep, e) => {
      const end = e as 0 | 1;
      const node = nodes.get(ep.node);
      const path = `links.${li}.endpoints.${e}.node`;
      if (!node) {
        errors.push({
          code: 'InvalidLab',
          message: `endpoint refers to node '${ep.node}', which does not exist`,
          path,
        });
        return;
      }
      let netns: NetnsRef;
      let master: { name: string; object: string } | undefined;
      if (node.kind === 'namespace') netns = node.name;
      else if (node.kind === 'host') netns = null;
      else {
        const ns = nsOfNamespaceNode(node.namespace, `nodes.${lab.nodes.indexOf(node)}.namespace`);
        if (ns === undefined) return;
        netns = ns;
        master = { name: node.name, object: node.id };
      }
      const key = endpointKey(link.id, end);
      ends.push({
        object: key,
        kind: 'veth',
        netns,
        ifname: ep.ifname,
        marker: formatMarker(lab.name, key),
        addresses: canonicalList(ep.addresses ?? []),
        ...(ep.mtu !== undefined && { mtu: ep.mtu }),
        ...(ep.mac !== undefined && { mac: ep.mac.toLowerCase() }),
        up: ep.up ?? true,
        ...(master && { master: master.name, masterObject: master.object }),
        linkId: link.id,
        end,
      });
    });
    if (ends.length === 2) {
      ifaces.push(ends[0]!, ends[1]!);
      veths.push({ linkId: link.id, ends: [ends[0]!, ends[1]!] });
    }
  });

  // Bridges before veth ends (a veth end is enslaved at creation, so its bridge must exist first).
  ifaces.sort((a, b) => (a.kind === b.kind ? 0 : a.kind === 'bridge' ? -1 : 1));
  return { lab: lab.name, namespaces, ifaces, veths, errors };
}

// ---------------------------------------------------------------------------------------------------
// Canonical forms (shared/net.ts does the arithmetic). The kernel prints IPv6 compressed and lowercase.

function canonicalList(cidrs: string[]): string[] {
  return [...new Set(cidrs.map(canonicalCidr))];
}

/** `FD00:0:0::01/64` → `fd00::1/64`, as `ip -j` prints it. Unparseable input is returned unchanged. */
export function canonicalCidr(cidr: string): string {
  return netCanonicalCidr(cidr) ?? cidr;
}

export function canonicalIp(ip: string): string {
  return netCanonicalIp(ip) ?? ip;
}

/** IPv6 link-local (fe80::/10): the kernel adds these itself; never planned, never reported as drift. */
export function isLinkLocal(cidrOrIp: string): boolean {
  return /^fe[89ab][0-9a-f]?:/i.test(cidrOrIp);
}

export function canonicalRoute(r: Route): Route {
  return {
    to: r.to === 'default' ? 'default' : canonicalCidr(r.to),
    ...(r.via !== undefined && { via: canonicalIp(r.via) }),
    ...(r.dev !== undefined && { dev: r.dev }),
    ...(r.metric !== undefined && { metric: r.metric }),
  };
}

export function routeFamily(r: { to: string; via?: string | undefined }): 4 | 6 {
  if (r.to !== 'default') return r.to.includes(':') ? 6 : 4;
  return r.via?.includes(':') ? 6 : 4;
}

/**
 * Routes we compare against: not `kernel` ones (connected subnets), nor IPv6 link-local or multicast ones
 * the kernel installs by itself.
 */
export function isManagedRoute(r: ObservedRoute): boolean {
  if (r.protocol === 'kernel') return false;
  if (r.to !== 'default' && (isLinkLocal(r.to) || /^ff[0-9a-f]{2}:/i.test(r.to))) return false;
  return true;
}

/**
 * Does an observed route realize a desired one? An unspecified dev matches any dev; an unspecified metric
 * matches the kernel default (0 for IPv4, 1024 for IPv6).
 */
export function routeMatches(want: Route, have: ObservedRoute): boolean {
  const to = have.to === 'default' ? 'default' : canonicalCidr(have.to);
  if (want.to !== to) return false;
  if (want.to === 'default' && routeFamily(want) !== have.family) return false;
  if ((want.via ?? null) !== (have.via !== undefined ? canonicalIp(have.via) : null)) return false;
  if (want.dev !== undefined && want.dev !== have.dev) return false;
  const defaultMetric = have.family === 6 ? 1024 : 0;
  return (want.metric ?? defaultMetric) === (have.metric ?? defaultMetric);
}

/** The observed route as a lab Route (what route.del / route.add take). */
export function toRoute(r: ObservedRoute): Route {
  return {
    to: r.to,
    ...(r.via !== undefined && { via: r.via }),
    ...(r.dev !== undefined && { dev: r.dev }),
    ...(r.metric !== undefined && { metric: r.metric }),
  };
}

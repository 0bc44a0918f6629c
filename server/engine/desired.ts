/**
 * Lab → the kernel objects it asks for (namespaces, interfaces, routes), with every name resolved: which
 * netns an interface lives in, which bridge it is enslaved to, its marker. Pure; shared by plan and status.
 * Also the canonical forms (CIDR, IP, route key) both sides compare with.
 */
import type { AttachedInterface, Impairment, Lab, NamespaceNode, PortVlan, Route } from '../../shared';
import { NETEM_FIELDS } from '../../shared/lab';
import {
  formatCidr,
  canonicalCidr as netCanonicalCidr,
  canonicalIp as netCanonicalIp,
  parseCidr,
  subnetOf,
} from '../../shared/net';
import { endpointKey } from '../../shared/status';
import { DEFAULT_WIREGUARD_MTU } from '../../shared/wireguard';
import { proxyArpKey, rpFilterKey } from './decodeRules';
import { attachedKind } from './kinds';
import { formatMarker } from './marker';
import type {
  AttachedSpec,
  NetnsRef,
  ObservedLink,
  ObservedQdisc,
  ObservedRoute,
  PlanError,
  PortVlanEntry,
  QdiscSpec,
} from './types';

export interface DesiredNetns {
  /** Node id. */
  object: string;
  name: string;
  marker: string;
  forwarding: boolean;
  /** Sysctl key → value the design asks for (rpFilter, proxyArp on `all` and `default`). */
  sysctls: Record<string, string>;
  /** Canonical (addresses normalized), in design order. */
  routes: Route[];
}

export interface DesiredIface {
  /** Bridge node id, or endpoint key `${linkId}#0|#1`. */
  object: string;
  kind: 'bridge' | 'veth' | AttachedSpec['kind'];
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
  /** Bridges only: 802.1Q VLAN filtering (absent: off). */
  vlanFiltering?: boolean;
  /**
   * Veth ends on a VLAN-filtering bridge: the port's VLANs, sorted by vid (from the endpoint's `vlan`, or
   * the kernel's default: VLAN 1 pvid untagged). Absent on every other interface (left as the kernel has it).
   */
  vlans?: PortVlanEntry[];
  /** Veth ends only. */
  linkId?: string;
  end?: 0 | 1;
  /** Root qdisc realizing the endpoint's impairment (veth ends only). */
  qdisc?: QdiscSpec;
  /** JSON path of the endpoint's impairment (for plan errors). */
  impairmentPath?: string;
  /** Node-attached interfaces: what to create, and the JSON path of the interface. */
  spec?: AttachedSpec;
  path?: string;
}

/** The kind `ip -d link` reports for a designed interface (a tap is a `tun` device). */
export const kernelKind = (d: { kind: DesiredIface['kind'] }): string => (d.kind === 'tap' ? 'tun' : d.kind);

/**
 * Is an observed link of the designed kind? WireGuard is the kernel's `wireguard` link or, for wireguard-go,
 * a TUN device (layer 3, `tun` mode).
 */
export const kindMatches = (d: { kind: DesiredIface['kind'] }, l: ObservedLink): boolean =>
  d.kind === 'wireguard'
    ? l.kind === 'wireguard' || (l.kind === 'tun' && (l.tunType === undefined || l.tunType === 'tun'))
    : l.kind === kernelKind(d);

/** `routeAllowedIps`: one route per allowed network of the node's WireGuard interfaces, through the interface. */
function wireguardRoutes(node: NamespaceNode): Route[] {
  const out: Route[] = [];
  const seen = new Set<string>();
  for (const x of node.interfaces ?? []) {
    if (x.kind !== 'wireguard' || !x.routeAllowedIps) continue;
    for (const p of x.peers)
      for (const to of p.allowedIps) {
        const key = canonicalCidr(to);
        if (seen.has(key)) continue;
        seen.add(key);
        out.push({ to: key, dev: x.name });
      }
  }
  return out;
}

/** Does an observed link have the designed parameters (the kind module's `matches`; none: nothing to compare)? */
export function specMatches(spec: AttachedSpec | undefined, l: ObservedLink): boolean {
  if (!spec) return true;
  const kind = attachedKind(spec.kind);
  return kind?.matches ? kind.matches(spec as never, l) : true;
}

/** A port's VLANs: the pvid (default 1, untagged unless `untagged: false`) and the tagged ones, by vid. */
export function portVlans(v: PortVlan | undefined): PortVlanEntry[] {
  const pvid = v?.pvid ?? 1;
  const out: PortVlanEntry[] = [{ vid: pvid, pvid: true, untagged: v?.untagged ?? true }];
  for (const vid of v?.tagged ?? []) {
    if (!out.some((e) => e.vid === vid)) out.push({ vid, pvid: false, untagged: false });
  }
  return out.sort((a, b) => a.vid - b.vid);
}

/** `10 (pvid, untagged), 20` — for reasons and status messages. */
export function vlansText(list: readonly PortVlanEntry[]): string {
  if (!list.length) return 'no VLAN';
  return list
    .map((e) => {
      const f = [e.pvid && 'pvid', e.untagged && 'untagged'].filter(Boolean);
      return f.length ? `${e.vid} (${f.join(', ')})` : String(e.vid);
    })
    .join(', ');
}

export interface DesiredVeth {
  linkId: string;
  ends: [DesiredIface, DesiredIface];
}

/** Host NAT: our nftables table in the root namespace. */
export interface DesiredNat {
  /** Host node id. */
  object: string;
  table: string;
  /** Canonical IPv4 networks, sorted. */
  sources: string[];
}

/** `netloom_<lab>` (lab names are lowercase letters, digits and `-`; `-` becomes `_`, one to one). */
export const natTableName = (lab: string): string => `netloom_${lab.replaceAll('-', '_')}`;

/** Comment on our masquerade rule: the marker plus the ip_forward value to restore. */
export const natComment = (lab: string, object: string, ipForwardWas: 0 | 1): string =>
  `${formatMarker(lab, object)} ipfwd=${ipForwardWas}`;

export interface DesiredLab {
  lab: string;
  nat?: DesiredNat;
  /** The host node allows changes to the interface carrying the default route. */
  allowDefaultRouteInterface: boolean;
  namespaces: DesiredNetns[];
  /** Bridges first (design order), then veth ends (link order, end 0 then 1). */
  ifaces: DesiredIface[];
  veths: DesiredVeth[];
  /** Dangling references and the like; validate() normally catches these first. */
  errors: PlanError[];
}

const desiredMemo = new WeakMap<Lab, DesiredLab>();

/**
 * The kernel objects a lab asks for. Remembered per lab object while it lives: an apply plans the same
 * lab twice (plan, then verify) and the status hub samples one shared document every second. So neither
 * the lab passed in nor the result may be mutated (no caller does; both are treated as values).
 */
export function desiredState(lab: Lab): DesiredLab {
  let d = desiredMemo.get(lab);
  if (!d) {
    d = computeDesired(lab);
    desiredMemo.set(lab, d);
  }
  return d;
}

function computeDesired(lab: Lab): DesiredLab {
  const errors: PlanError[] = [];
  const nodes = new Map(lab.nodes.map((n) => [n.id, n] as const));
  const namespaces: DesiredNetns[] = [];
  const ifaces: DesiredIface[] = [];
  const veths: DesiredVeth[] = [];

  /**
   * Netns name for a node that can hold interfaces; undefined when the reference is bad. `path` is only
   * called then (finding a node's index is a scan of the lab).
   */
  const nsOfNamespaceNode = (id: string | undefined, path: () => string): NetnsRef | undefined => {
    if (id === undefined) return null;
    const n = nodes.get(id);
    if (n?.kind === 'namespace') return n.name;
    errors.push({ code: 'InvalidLab', message: `'${id}' is not a namespace node of this lab`, path: path() });
    return undefined;
  };

  lab.nodes.forEach((node, i) => {
    if (node.kind === 'namespace') {
      namespaces.push({
        object: node.id,
        name: node.name,
        marker: formatMarker(lab.name, node.id),
        forwarding: node.forwarding ?? false,
        sysctls: namespaceSysctls(node.rpFilter, node.proxyArp),
        routes: [...(node.routes ?? []), ...wireguardRoutes(node)].map(canonicalRoute),
      });
    } else if (node.kind === 'bridge') {
      const netns = nsOfNamespaceNode(node.namespace, () => `nodes.${i}.namespace`);
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
        ...(node.vlanFiltering !== undefined && { vlanFiltering: node.vlanFiltering }),
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
      let vlans: PortVlanEntry[] | undefined;
      if (node.kind === 'namespace') netns = node.name;
      else if (node.kind === 'host') netns = null;
      else {
        const ns = nsOfNamespaceNode(node.namespace, () => `nodes.${lab.nodes.indexOf(node)}.namespace`);
        if (ns === undefined) return;
        netns = ns;
        master = { name: node.name, object: node.id };
        if (node.vlanFiltering === true) vlans = portVlans(ep.vlan);
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
        ...(vlans && { vlans }),
        linkId: link.id,
        end,
        ...(ep.impairment && {
          qdisc: qdiscOf(ep.impairment),
          impairmentPath: `links.${li}.endpoints.${e}.impairment`,
        }),
      });
    });
    if (ends.length === 2) {
      ifaces.push(ends[0]!, ends[1]!);
      veths.push({ linkId: link.id, ends: [ends[0]!, ends[1]!] });
    }
  });

  // Interfaces attached to namespace nodes (the kinds/ registry), after the veths (an underlay may be one).
  lab.nodes.forEach((node, i) => {
    if (node.kind !== 'namespace') return;
    (node.interfaces ?? []).forEach((x, k) => {
      const object = `${node.id}/${x.name}`;
      // A kind the schema knows but the engine's registry (kinds/) does not is refused: every plan with one
      // fails and nothing runs.
      const kind = attachedKind(x.kind);
      if (!kind) {
        errors.push({
          code: 'Unsupported',
          message: `${x.kind} interface '${x.name}' cannot be created by this version of Netloom yet: the lab is valid, applying it is refused`,
          path: `nodes.${i}.interfaces.${k}.kind`,
          object,
        });
        return;
      }
      const bridge = x.bridge !== undefined ? nodes.get(x.bridge) : undefined;
      const spec: AttachedSpec = kind.desired(x as never);
      ifaces.push({
        object,
        kind: spec.kind,
        netns: node.name,
        ifname: x.name,
        marker: formatMarker(lab.name, object),
        addresses: canonicalList(x.addresses ?? []),
        ...(x.mtu !== undefined ? { mtu: x.mtu } : x.kind === 'wireguard' && { mtu: DEFAULT_WIREGUARD_MTU }),
        up: true,
        ...(bridge?.kind === 'bridge' && { master: bridge.name, masterObject: bridge.id }),
        spec,
        path: `nodes.${i}.interfaces.${k}`,
      });
    });
  });

  // Bridges before veth ends (a veth end is enslaved at creation, so its bridge must exist first), then
  // attached interfaces.
  const rank = (k: DesiredIface['kind']) => (k === 'bridge' ? 0 : k === 'veth' ? 1 : 2);
  ifaces.sort((a, b) => rank(a.kind) - rank(b.kind));
  const host = lab.nodes.find((n) => n.kind === 'host');
  let nat: DesiredNat | undefined;
  if (host?.nat && (host.nat.masquerade ?? true)) {
    const sources = host.nat.sources ?? ifaces.flatMap((i) => i.addresses).filter((a) => !a.includes(':'));
    const nets = new Set<string>();
    for (const src of sources) {
      const c = parseCidr(src);
      if (c) nets.add(formatCidr(subnetOf(c)));
    }
    nat = { object: host.id, table: natTableName(lab.name), sources: [...nets].sort() };
  }
  return {
    lab: lab.name,
    ...(nat && { nat }),
    allowDefaultRouteInterface: host?.allowDefaultRouteInterface === true,
    namespaces,
    ifaces,
    veths,
    errors,
  };
}

// ---------------------------------------------------------------------------------------------------
// Canonical forms (shared/net.ts does the arithmetic). The kernel prints IPv6 compressed and lowercase.

function canonicalList(cidrs: string[]): string[] {
  const canonical = cidrs.map(canonicalCidr);
  return canonical.length < 2 ? canonical : [...new Set(canonical)];
}

/** `FD00:0:0::01/64` → `fd00::1/64`, as `ip -j` prints it. Unparseable input is returned unchanged. */
/** Canonical text of an address seen before (bounded): every status sample and plan canonicalizes them all. */
const canonicalSeen = new Map<string, string>();

export function canonicalCidr(cidr: string): string {
  const hit = canonicalSeen.get(cidr);
  if (hit !== undefined) return hit;
  const c = netCanonicalCidr(cidr) ?? cidr;
  if (canonicalSeen.size >= 50_000) canonicalSeen.clear();
  canonicalSeen.set(cidr, c);
  return c;
}

export function canonicalIp(ip: string): string {
  return netCanonicalIp(ip) ?? ip;
}

/** IPv6 link-local (fe80::/10): the kernel adds these itself; never planned, never reported as drift. */
export function isLinkLocal(cidrOrIp: string): boolean {
  // Only IPv6 text has a ':'; the (more common) IPv4 addresses skip the regex.
  return cidrOrIp.includes(':') && /^fe[89ab][0-9a-f]?:/i.test(cidrOrIp);
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

// ---------------------------------------------------------------------------------------------------
// Impairments → root qdiscs. Defaults: burst 32 KB, latency 50 ms.

export const DEFAULT_BURST_KB = 32;
export const DEFAULT_LATENCY_MS = 50;

/** Netem fields an impairment sets, in report order. */
export function netemFields(imp: Impairment): (typeof NETEM_FIELDS)[number][] {
  return NETEM_FIELDS.filter((f) => imp[f] !== undefined);
}

/** Rate alone → `tbf`; anything netem needs → `netem` (which carries the rate itself). */
export function qdiscOf(imp: Impairment): QdiscSpec {
  if (netemFields(imp).length) {
    return {
      kind: 'netem',
      ...(imp.delayMs !== undefined && { delayMs: imp.delayMs }),
      ...(imp.jitterMs !== undefined && { jitterMs: imp.jitterMs }),
      ...(imp.lossPct !== undefined && { lossPct: imp.lossPct }),
      ...(imp.duplicatePct !== undefined && { duplicatePct: imp.duplicatePct }),
      ...(imp.corruptPct !== undefined && { corruptPct: imp.corruptPct }),
      ...(imp.rateKbit !== undefined && { rateKbit: imp.rateKbit }),
    };
  }
  return {
    kind: 'tbf',
    rateKbit: imp.rateKbit ?? 0,
    burstBytes: (imp.burstKb ?? DEFAULT_BURST_KB) * 1024,
    latencyMs: imp.latencyMs ?? DEFAULT_LATENCY_MS,
  };
}

/** Root qdisc kinds Netloom installs (and so may change or remove on its own interfaces). */
export const isManagedQdisc = (q: ObservedQdisc | undefined): boolean => q?.kind === 'tbf' || q?.kind === 'netem';

const near = (a: number | undefined, b: number | undefined, tol: number): boolean =>
  a === undefined || b === undefined ? a === b : Math.abs(a - b) <= tol;

/**
 * Does the observed root qdisc realize the wanted one? The kernel stores tbf in its own units (bytes/s,
 * a byte limit derived from the latency), so numbers are compared with the rounding it applies.
 */
export function qdiscMatches(want: QdiscSpec, have: ObservedQdisc | undefined): boolean {
  if (!have || have.kind !== want.kind) return false;
  if (want.kind === 'tbf') {
    if (!near(have.rateKbit, want.rateKbit, Math.max(1, want.rateKbit * 0.005))) return false;
    if (!near(have.burstBytes, want.burstBytes, Math.max(16, want.burstBytes * 0.01))) return false;
    if (have.latencyMs === undefined) return false;
    const diff = Math.abs(have.latencyMs - want.latencyMs);
    // Below a byte of queue per millisecond the kernel cannot tell latencies apart: compare in bytes too.
    return diff <= Math.max(1, want.latencyMs * 0.02) || (diff * want.rateKbit) / 8 <= 64;
  }
  return (
    near(have.delayMs, want.delayMs, 0.5) &&
    near(have.jitterMs || undefined, want.jitterMs || undefined, 0.5) &&
    near(have.lossPct || undefined, want.lossPct || undefined, 0.01) &&
    near(have.duplicatePct || undefined, want.duplicatePct || undefined, 0.01) &&
    near(have.corruptPct || undefined, want.corruptPct || undefined, 0.01) &&
    near(have.rateKbit, want.rateKbit, Math.max(1, (want.rateKbit ?? 0) * 0.005))
  );
}

/** The observed qdisc as a spec `qdisc.replace` can reinstall, when it is one of ours and fully read. */
export function qdiscSpecOf(q: ObservedQdisc | undefined): QdiscSpec | null {
  if (q?.kind === 'tbf' && q.rateKbit !== undefined && q.burstBytes !== undefined && q.latencyMs !== undefined)
    return { kind: 'tbf', rateKbit: q.rateKbit, burstBytes: q.burstBytes, latencyMs: q.latencyMs };
  if (q?.kind === 'netem') {
    const { kind: _k, burstBytes: _b, latencyMs: _l, ...rest } = q;
    return { kind: 'netem', ...rest };
  }
  return null;
}

/** "1000 kbit/s (burst 32 KB, latency 50 ms)" — for reasons and status messages. */
export function qdiscText(q: ObservedQdisc | QdiscSpec): string {
  if (q.kind === 'tbf')
    return `rate limit ${q.rateKbit} kbit/s (burst ${Math.round((q.burstBytes ?? 0) / 1024)} KB, latency ${q.latencyMs} ms)`;
  if (q.kind !== 'netem') return `qdisc ${q.kind}`;
  const parts = [
    q.delayMs !== undefined && `delay ${q.delayMs} ms${q.jitterMs ? ` ± ${q.jitterMs} ms` : ''}`,
    q.lossPct !== undefined && `loss ${q.lossPct}%`,
    q.duplicatePct !== undefined && `duplicate ${q.duplicatePct}%`,
    q.corruptPct !== undefined && `corrupt ${q.corruptPct}%`,
    q.rateKbit !== undefined && `rate ${q.rateKbit} kbit/s`,
  ].filter(Boolean);
  return `netem ${parts.join(', ') || '(no settings)'}`;
}

/** rpFilter/proxyArp → the sysctls that realize them, on `all` (existing interfaces) and `default` (new ones). */
export function namespaceSysctls(
  rpFilter: 0 | 1 | 2 | undefined,
  proxyArp: boolean | undefined,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const scope of ['all', 'default'] as const) {
    if (rpFilter !== undefined) out[rpFilterKey(scope)] = String(rpFilter);
    if (proxyArp !== undefined) out[proxyArpKey(scope)] = proxyArp ? '1' : '0';
  }
  return out;
}

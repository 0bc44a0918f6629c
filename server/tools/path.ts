/**
 * Hop-by-hop path of a packet through a lab, computed from the design alone: L2 segments (veths, bridges),
 * connected subnets, routes (longest prefix, then metric), next hops resolved on their segment, forwarding.
 * Pure: no I/O. The API confirms the first hop with `ip route get`; reachability.ts explains failures with it.
 * Overlays (issue #15): a namespace's attached interfaces are L3 interfaces too (or bridge ports), and the two
 * ends of a VXLAN tunnel (shared/tunnels.ts, VNI and port agreeing) are one L2 segment whose crossing is only
 * possible when the underlay carries the UDP packets from one end to the other's `remote` (traced in turn).
 */
import { endpointKey, type Lab, type PathHop, type PathProblem, vxlanTunnels } from '../../shared';
import { type Cidr, contains, formatIp, type IpAddr, parseCidr, parseIp } from '../../shared/net';

/** Place key of the root namespace when the lab has no host node. Never shown as an object. */
export const ROOT = '#root';

/** Operstates that mean "no carrier / set down" for an interface. */
const DOWN_STATES = new Set(['DOWN', 'LOWERLAYERDOWN', 'NOTPRESENT']);

export interface L3Iface {
  /** Node id of the namespace/host it lives in (or ROOT). */
  place: string;
  name: string;
  addrs: Cidr[];
  /** L2 vertex: endpoint key (`link#0`) or bridge id. */
  vertex: string;
  segment: number;
}

interface Vertex {
  id: string;
  /** Neighbours: vertex id and the object crossed to reach it (a link id, or '' within a bridge). */
  edges: { to: string; via: string }[];
  kind: 'end' | 'bridge';
  /** Designed admin state (endpoints). */
  up: boolean;
  ifname: string;
  place: string;
}

interface RouteEntry {
  to: Cidr;
  via?: IpAddr;
  dev?: string;
  metric: number;
}

export interface Topology {
  lab: Lab;
  rootPlace: string;
  /** Namespace and host nodes, by id (root bridges live in rootPlace). */
  places: Map<string, { kind: 'namespace' | 'host' | 'root'; forwarding: boolean; name: string | null }>;
  ifaces: L3Iface[];
  byPlace: Map<string, L3Iface[]>;
  vertices: Map<string, Vertex>;
  routes: Map<string, RouteEntry[]>;
  /** Observed operstate per endpoint key / bridge id (from engine.status), when known. */
  operstate: Record<string, string | undefined>;
  /** VXLAN tunnels by tunnel id: per end vertex (`node/ifname`), the remote its packets go to. */
  tunnels: Map<string, { vni: number; ends: Map<string, IpAddr> }>;
}

/** Builds the L2/L3 model of a lab. `operstate` (optional) adds what the host reports to the design's up flags. */
export function buildTopology(lab: Lab, operstate: Record<string, string | undefined> = {}): Topology {
  const host = lab.nodes.find((n) => n.kind === 'host');
  const rootPlace = host?.id ?? ROOT;
  const places: Topology['places'] = new Map();
  places.set(rootPlace, { kind: host ? 'host' : 'root', forwarding: true, name: null });
  const routes = new Map<string, RouteEntry[]>();
  for (const n of lab.nodes) {
    if (n.kind !== 'namespace') continue;
    places.set(n.id, { kind: 'namespace', forwarding: n.forwarding ?? false, name: n.name });
    const list: RouteEntry[] = [];
    for (const r of n.routes ?? []) {
      const via = r.via === undefined ? undefined : (parseIp(r.via) ?? undefined);
      const to = r.to === 'default' ? { family: via?.family ?? 4, value: 0n, prefix: 0 } : parseCidr(r.to);
      if (to) list.push({ to, ...(via ? { via } : {}), ...(r.dev ? { dev: r.dev } : {}), metric: r.metric ?? 0 });
    }
    routes.set(n.id, list);
  }
  const nodes = new Map(lab.nodes.map((n) => [n.id, n] as const));
  const vertices = new Map<string, Vertex>();
  const ifaces: L3Iface[] = [];
  const addrsOf = (list: readonly string[] | undefined) =>
    (list ?? []).map(parseCidr).filter((c): c is Cidr => c !== null);

  for (const n of lab.nodes) {
    if (n.kind !== 'bridge') continue;
    const place = n.namespace ?? rootPlace;
    vertices.set(n.id, { id: n.id, edges: [], kind: 'bridge', up: true, ifname: n.name, place });
    ifaces.push({ place, name: n.name, addrs: addrsOf(n.addresses), vertex: n.id, segment: -1 });
  }
  for (const link of lab.links) {
    const keys = [endpointKey(link.id, 0), endpointKey(link.id, 1)] as const;
    link.endpoints.forEach((ep, e) => {
      const node = nodes.get(ep.node);
      if (!node) return;
      const key = keys[e as 0 | 1];
      const place =
        node.kind === 'namespace' ? node.id : node.kind === 'host' ? rootPlace : (node.namespace ?? rootPlace);
      vertices.set(key, { id: key, edges: [], kind: 'end', up: ep.up ?? true, ifname: ep.ifname, place });
      if (node.kind === 'bridge') {
        // A bridge port hands every frame to its bridge: it is L2 only.
        vertices.get(key)!.edges.push({ to: node.id, via: '' });
        vertices.get(node.id)?.edges.push({ to: key, via: '' });
      } else ifaces.push({ place, name: ep.ifname, addrs: addrsOf(ep.addresses), vertex: key, segment: -1 });
    });
    const [a, b] = [vertices.get(keys[0]), vertices.get(keys[1])];
    if (a && b) {
      a.edges.push({ to: b.id, via: link.id });
      b.edges.push({ to: a.id, via: link.id });
    }
  }
  // Attached interfaces of namespaces: an L3 interface each, or a bridge port (L2 only).
  for (const n of lab.nodes) {
    if (n.kind !== 'namespace') continue;
    for (const x of n.interfaces ?? []) {
      const key = `${n.id}/${x.name}`;
      vertices.set(key, { id: key, edges: [], kind: 'end', up: true, ifname: x.name, place: n.id });
      const br = x.bridge === undefined ? undefined : vertices.get(x.bridge);
      if (br?.kind === 'bridge') {
        vertices.get(key)!.edges.push({ to: br.id, via: '' });
        br.edges.push({ to: key, via: '' });
      } else ifaces.push({ place: n.id, name: x.name, addrs: addrsOf(x.addresses), vertex: key, segment: -1 });
    }
  }
  // A VXLAN tunnel whose ends agree is one wire between them (its crossing checks the underlay).
  const tunnels: Topology['tunnels'] = new Map();
  for (const tun of vxlanTunnels(lab).tunnels) {
    if (!tun.ok) continue;
    const ra = parseIp(tun.a.x.remote ?? '');
    const rb = parseIp(tun.b.x.remote ?? '');
    const [a, b] = [vertices.get(tun.a.key), vertices.get(tun.b.key)];
    if (!ra || !rb || !a || !b) continue;
    a.edges.push({ to: b.id, via: tun.id });
    b.edges.push({ to: a.id, via: tun.id });
    tunnels.set(tun.id, { vni: tun.vni.a, ends: new Map([[a.id, ra] as const, [b.id, rb] as const]) });
  }
  // Segments: connected components of the L2 graph (ignoring admin state: that is checked per path).
  const segOf = new Map<string, number>();
  let seg = 0;
  for (const v of vertices.keys()) {
    if (segOf.has(v)) continue;
    const stack = [v];
    segOf.set(v, seg);
    while (stack.length) {
      for (const e of vertices.get(stack.pop()!)!.edges)
        if (!segOf.has(e.to)) {
          segOf.set(e.to, seg);
          stack.push(e.to);
        }
    }
    seg++;
  }
  const byPlace = new Map<string, L3Iface[]>();
  for (const i of ifaces) {
    i.segment = segOf.get(i.vertex) ?? -1;
    byPlace.set(i.place, [...(byPlace.get(i.place) ?? []), i]);
  }
  return { lab, rootPlace, places, ifaces, byPlace, vertices, routes, operstate, tunnels };
}

/** Is this L2 vertex passing traffic? Endpoints: designed up and not reported down by the host. */
export function vertexUp(t: Topology, id: string): boolean {
  const v = t.vertices.get(id);
  if (!v) return false;
  if (!v.up) return false;
  const op = t.operstate[id];
  return op === undefined || !DOWN_STATES.has(op);
}

/** Shortest L2 walk between two vertices: link/bridge ids crossed and the vertices visited. */
export function l2Path(
  t: Topology,
  from: string,
  to: string,
  checkUp: boolean,
): { objects: string[]; vertices: string[] } | null {
  const ok = (id: string) => !checkUp || vertexUp(t, id);
  if (!ok(from) || !ok(to)) return null;
  const prev = new Map<string, { from: string; via: string } | null>([[from, null]]);
  const queue = [from];
  while (queue.length) {
    const cur = queue.shift()!;
    if (cur === to) break;
    for (const e of t.vertices.get(cur)?.edges ?? []) {
      if (prev.has(e.to) || !ok(e.to)) continue;
      prev.set(e.to, { from: cur, via: e.via });
      queue.push(e.to);
    }
  }
  if (!prev.has(to)) return null;
  const objects: string[] = [];
  const vertices: string[] = [];
  for (let cur: string | undefined = to; cur !== undefined; ) {
    vertices.unshift(cur);
    const p = prev.get(cur);
    if (!p) break;
    if (p.via) objects.unshift(p.via);
    if (t.vertices.get(cur)?.kind === 'bridge' && cur !== to) objects.unshift(cur);
    cur = p.from;
  }
  // A bridge at either end of the walk is the L3 interface itself, not something crossed.
  return { objects: objects.filter((o) => o !== from && o !== to), vertices };
}

export interface Trace {
  ok: boolean;
  hops: PathHop[];
  /** Lab objects in order: nodes, links, bridges (ROOT never appears). */
  objects: string[];
  /** L2 vertices (endpoint keys, bridges) the packet went through. */
  vertices: string[];
  /** Place the packet ended in (ok), or where it was dropped. */
  at: string;
  /** First interface the packet left by. */
  first?: L3Iface;
  problem?: Omit<PathProblem, 'direction'>;
}

const sameAddr = (a: IpAddr, b: IpAddr) => a.family === b.family && a.value === b.value;

export function isLocal(t: Topology, place: string, dst: IpAddr): boolean {
  return (t.byPlace.get(place) ?? []).some((i) => i.addrs.some((a) => sameAddr(a, dst)));
}

const ifaceUp = (t: Topology, i: L3Iface, checkUp: boolean) => !checkUp || vertexUp(t, i.vertex);

/** Longest-prefix match among connected subnets and routes of `place`. */
export function lookup(
  t: Topology,
  place: string,
  dst: IpAddr,
  checkUp: boolean,
): { iface: L3Iface; hop: IpAddr; via?: IpAddr } | undefined {
  const list = (t.byPlace.get(place) ?? []).filter((i) => ifaceUp(t, i, checkUp));
  let best: { iface: L3Iface; hop: IpAddr; via?: IpAddr; prefix: number; metric: number } | undefined;
  const offer = (iface: L3Iface | undefined, hop: IpAddr, prefix: number, metric: number, via?: IpAddr) => {
    if (iface && (!best || prefix > best.prefix || (prefix === best.prefix && metric < best.metric)))
      best = { iface, hop, prefix, metric, ...(via ? { via } : {}) };
  };
  for (const i of list) for (const a of i.addrs) if (contains(a, dst)) offer(i, dst, a.prefix, 0);
  for (const r of t.routes.get(place) ?? []) {
    if (!contains(r.to, dst)) continue;
    const devOk = (i: L3Iface) => r.dev === undefined || i.name === r.dev;
    if (r.via) {
      const via = r.via;
      offer(
        list.find((i) => devOk(i) && i.addrs.some((a) => contains(a, via))),
        via,
        r.to.prefix,
        r.metric,
        via,
      );
    } else if (r.dev) offer(list.find(devOk), dst, r.to.prefix, r.metric);
  }
  if (!best) return undefined;
  return { iface: best.iface, hop: best.hop, ...(best.via ? { via: best.via } : {}) };
}

/** Name of a place for messages. */
export function placeLabel(t: Topology, place: string): string {
  const p = t.places.get(place);
  if (p?.kind !== 'namespace') return 'the host';
  return `namespace "${p.name}"`;
}

/**
 * Follows a packet from `from` to `dst` hop by hop. `checkUp` = honour admin/oper state (false: the path the
 * design would take if every interface were up, used to name the interface that is down).
 */
export function trace(t: Topology, from: string, dst: IpAddr, checkUp = true, depth = 0): Trace {
  const hops: PathHop[] = [];
  const objects: string[] = [];
  const vertices: string[] = [];
  const addObj = (id: string) => {
    if (id !== ROOT && objects[objects.length - 1] !== id) objects.push(id);
  };
  let at = from;
  let inName: string | undefined;
  let first: L3Iface | undefined;
  const fail = (problem: Omit<PathProblem, 'direction'>): Trace => {
    hops.push({ node: at, ...(inName ? { in: inName } : {}), l2: [] });
    addObj(at);
    return { ok: false, hops, objects, vertices, at, ...(first ? { first } : {}), problem };
  };
  const dstText = formatIp(dst);
  for (let n = 0; n < 32; n++) {
    if (isLocal(t, at, dst)) {
      hops.push({ node: at, ...(inName ? { in: inName } : {}), l2: [] });
      addObj(at);
      return { ok: true, hops, objects, vertices, at, ...(first ? { first } : {}) };
    }
    if (n > 0 && !t.places.get(at)?.forwarding)
      return fail({
        reason: 'NoForwarding',
        message: `${placeLabel(t, at)} receives the packet for ${dstText} but does not forward (forwarding is off)`,
        object: at,
      });
    const next = lookup(t, at, dst, checkUp);
    if (!next) {
      const sameWire = (t.byPlace.get(at) ?? []).some((mine) =>
        t.ifaces.some((o) => o.place !== at && o.segment === mine.segment && o.addrs.some((a) => sameAddr(a, dst))),
      );
      return fail(
        sameWire
          ? {
              reason: 'DifferentSubnetNoGateway',
              message: `${dstText} is on the same wire as ${placeLabel(t, at)} but not on any of its subnets, and no route covers it: use addresses in one subnet, or add a route`,
              object: at,
            }
          : {
              reason: 'NoRoute',
              message: `${placeLabel(t, at)} has no route to ${dstText}`,
              object: at,
            },
      );
    }
    first ??= next.iface;
    const owner = t.ifaces.find(
      (o) => o !== next.iface && o.segment === next.iface.segment && o.addrs.some((a) => sameAddr(a, next.hop)),
    );
    if (!owner)
      return fail(
        next.via
          ? {
              reason: 'GatewayAbsent',
              message: `the gateway ${formatIp(next.hop)} of ${placeLabel(t, at)} is not an address of anything on that network`,
              object: at,
            }
          : {
              reason: 'AddressAbsent',
              message: `no interface on the network of ${next.iface.name} (${placeLabel(t, at)}) has the address ${dstText}`,
              object: at,
            },
      );
    const walk = l2Path(t, next.iface.vertex, owner.vertex, checkUp);
    if (!walk)
      return fail({
        reason: 'LinkDown',
        message: `the way from ${next.iface.name} to ${owner.name} is down`,
        object: next.iface.vertex,
      });
    // Tunnels crossed on this leg: each needs its underlay to carry it from this end to the remote one.
    let tunnel: PathHop['tunnel'];
    const underlayObjects = new Map<string, string[]>();
    for (let k = 1; k < walk.vertices.length; k++) {
      const u = walk.vertices[k - 1]!;
      const v = walk.vertices[k]!;
      const id = t.vertices.get(u)?.edges.find((e) => e.to === v && t.tunnels.has(e.via))?.via;
      if (id === undefined) continue;
      const tun = t.tunnels.get(id)!;
      const remote = tun.ends.get(u)!;
      const uPlace = t.vertices.get(u)!.place;
      const vPlace = t.vertices.get(v)!.place;
      const under: Trace =
        depth >= 2
          ? { ok: false, hops: [], objects: [], vertices: [], at: uPlace }
          : trace(t, uPlace, remote, checkUp, depth + 1);
      if (!under.ok || under.at !== vPlace) {
        const why = under.problem?.message ?? `it ends up in ${placeLabel(t, under.at)}`;
        return fail({
          reason: under.problem?.reason ?? 'NoRoute',
          message: `the VXLAN tunnel ${t.vertices.get(u)!.ifname} of ${placeLabel(t, uPlace)} cannot reach its remote ${formatIp(remote)} over the underlay: ${why}`,
          object: under.problem?.object ?? u,
        });
      }
      vertices.push(...under.vertices);
      underlayObjects.set(id, under.objects);
      tunnel ??= {
        id,
        kind: 'vxlan',
        vni: tun.vni,
        remote: formatIp(remote),
        underlay: under.hops.map(({ tunnel: _nested, ...leg }) => leg),
      };
    }
    hops.push({
      node: at,
      ...(inName ? { in: inName } : {}),
      out: next.iface.name,
      ...(next.via ? { via: formatIp(next.via) } : {}),
      l2: walk.objects,
      ...(tunnel ? { tunnel } : {}),
    });
    addObj(at);
    // A bridge as the egress interface is itself on the path.
    if (t.vertices.get(next.iface.vertex)?.kind === 'bridge') addObj(next.iface.vertex);
    for (const o of walk.objects) {
      addObj(o);
      // The underlay a tunnel rides on is on the path too (highlighted between the tunnel and its far end).
      for (const u of underlayObjects.get(o) ?? []) if (u !== at) addObj(u);
    }
    if (t.vertices.get(owner.vertex)?.kind === 'bridge') addObj(owner.vertex);
    vertices.push(...walk.vertices);
    at = owner.place;
    inName = owner.name;
  }
  return fail({ reason: 'RoutingLoop', message: `the routes to ${dstText} go round in a loop`, object: at });
}

/** The source address a reply goes back to: the egress interface's address of that family, else any. */
export function sourceAddress(t: Topology, place: string, family: 4 | 6, egress?: L3Iface): IpAddr | undefined {
  const pick = (i: L3Iface | undefined) => i?.addrs.find((a) => a.family === family);
  const a = pick(egress) ?? (t.byPlace.get(place) ?? []).map(pick).find((x) => x !== undefined);
  return a ? { family: a.family, value: a.value } : undefined;
}

/** The address to ping a node at: its first IPv4 address, else its first IPv6 one. */
export function nodeAddress(t: Topology, place: string): IpAddr | undefined {
  const all = (t.byPlace.get(place) ?? []).flatMap((i) => i.addrs);
  const a = all.find((x) => x.family === 4) ?? all[0];
  return a ? { family: a.family, value: a.value } : undefined;
}

/** The node id holding an address (its place), if any. */
export function ownerOf(t: Topology, dst: IpAddr): string | undefined {
  return t.ifaces.find((i) => i.addrs.some((a) => sameAddr(a, dst)))?.place;
}

/**
 * Pure proposals for new objects: ids, kernel names, and addresses when two nodes are linked.
 * A fresh /24 per bridge LAN (next free host in it), a /30 per point-to-point veth, never overlapping
 * anything already in the lab. No I/O, no store: the store's `connect` verb calls this.
 */
import type {
  AttachedInterface,
  BridgeNode,
  Endpoint,
  Lab,
  LabNode,
  NamespaceNode,
  NodeKind,
  Route,
  VethLink,
} from '../../shared/lab';
import { IFNAME_MAX_BYTES, ifnameProblem } from '../../shared/names';
import { formatIp, netmask, networkAddress, parseCidr, parseIp } from '../../shared/net';
import { underlayAddresses, vxlanTunnels } from '../../shared/tunnels';

const NAMESPACE_NAMES = ['red', 'blue', 'green', 'yellow', 'purple', 'orange', 'cyan', 'pink', 'lime', 'teal'];

// ---------- ids and names ----------

/** Next free id like `ns3` given the ids already in use. */
export function nextId(prefix: string, used: ReadonlySet<string>): string {
  for (let i = 1; ; i++) {
    const id = `${prefix}${i}`;
    if (!used.has(id)) return id;
  }
}

export function usedIds(lab: Lab): Set<string> {
  return new Set<string>([...lab.nodes.map((n) => n.id), ...lab.links.map((l) => l.id)]);
}

export function nodeName(n: LabNode): string {
  return n.kind === 'host' ? 'host' : n.name;
}

/**
 * Kernel names taken outside this lab where every lab shares them (GET /api/names): namespace names, and
 * interface names of the root namespace (root bridges, host ends of veths).
 */
export interface Reserved {
  namespaces: ReadonlySet<string>;
  rootInterfaces: ReadonlySet<string>;
}
export const NO_RESERVED: Reserved = { namespaces: new Set(), rootInterfaces: new Set() };

/**
 * A fresh node of `kind` with a friendly unique name (red, blue, … for namespaces; br0, br1 … for bridges),
 * free in this lab and not `reserved` elsewhere (another lab, the host).
 */
export function proposeNode(lab: Lab, kind: NodeKind, used = usedIds(lab), reserved = NO_RESERVED): LabNode {
  const names = new Set(lab.nodes.map(nodeName));
  if (kind === 'namespace') {
    const id = nextId('ns', used);
    const taken = new Set([...names, ...reserved.namespaces]);
    const name = NAMESPACE_NAMES.find((n) => !taken.has(n)) ?? nextName('ns', taken, 1);
    return { id, kind, name, forwarding: false, routes: [] };
  }
  if (kind === 'bridge') {
    const id = nextId('br', used);
    // A new bridge lives in the root namespace, beside the host's own interfaces.
    const taken = new Set([...names, ...ifnamesNear(lab, '@root'), ...reserved.rootInterfaces]);
    return { id, kind, name: nextName('br', taken, 0), addresses: [] };
  }
  return { id: nextId('host', used), kind: 'host' };
}

function nextName(prefix: string, used: ReadonlySet<string>, from: number): string {
  for (let i = from; ; i++) if (!used.has(`${prefix}${i}`)) return `${prefix}${i}`;
}

/** Interface names already used in the network namespace where node `nodeId`'s interfaces live. */
export function ifnamesNear(lab: Lab, nodeId: string): Set<string> {
  const node = lab.nodes.find((n) => n.id === nodeId);
  // Bridge ports live in the bridge's namespace (root when unset); a host node is the root namespace.
  const space = (id: string): string => {
    const n = lab.nodes.find((x) => x.id === id);
    if (!n) return id;
    if (n.kind === 'bridge') return n.namespace ?? '@root';
    if (n.kind === 'host') return '@root';
    return n.id;
  };
  const target = node ? space(node.id) : nodeId;
  const names = new Set<string>();
  for (const l of lab.links) for (const e of l.endpoints) if (space(e.node) === target) names.add(e.ifname);
  for (const n of lab.nodes) {
    if (n.kind === 'bridge' && (n.namespace ?? '@root') === target) names.add(n.name);
    if (n.kind === 'namespace' && n.id === target) for (const x of n.interfaces ?? []) names.add(x.name);
  }
  return names;
}

/**
 * `red-eth0`, `red-eth1` for namespaces; `br0-p1` for bridge ports; `host-eth0` for the host. In the root
 * namespace (the host, a bridge there) the names `reserved` elsewhere are avoided too.
 */
export function proposeIfname(
  lab: Lab,
  node: LabNode,
  taken: ReadonlySet<string> = new Set(),
  reserved = NO_RESERVED,
): string {
  const inRoot = node.kind === 'host' || (node.kind === 'bridge' && node.namespace === undefined);
  const used = new Set([...ifnamesNear(lab, node.id), ...taken, ...(inRoot ? reserved.rootInterfaces : [])]);
  const base = nodeName(node);
  const [stem, from] = node.kind === 'bridge' ? [`${base}-p`, 1] : [`${base}-eth`, 0];
  for (let i = from; ; i++) {
    const suffix = `${i}`;
    const head = stem.slice(0, Math.max(1, IFNAME_MAX_BYTES - suffix.length));
    const name = `${head}${suffix}`;
    if (!used.has(name)) return name;
  }
}

// ---------- IPv4 arithmetic (parsing, text and masks are shared/net.ts's) ----------

export interface Net {
  base: number; // network address as an unsigned 32-bit number
  prefix: number;
}

/** A dotted quad as an unsigned 32-bit number; null for IPv6 or junk (the same rules validation applies). */
export function parseIpv4(s: string): number | null {
  const a = parseIp(s);
  return a?.family === 4 ? Number(a.value) : null;
}

export const formatIpv4 = (n: number): string => formatIp({ family: 4, value: BigInt(n >>> 0) });

/** `10.0.1.7/24` → { base: 10.0.1.0, prefix: 24 } plus the host address; null for IPv6 or junk. */
export function parseCidr4(cidr: string): (Net & { addr: number }) | null {
  const c = parseCidr(cidr);
  if (c?.family !== 4) return null;
  return { addr: Number(c.value), prefix: c.prefix, base: Number(networkAddress(c)) };
}

// Numbers, not bigints: freeSubnet() tries many candidates against every subnet of the lab.
const MASKS = Array.from({ length: 33 }, (_, p) => Number(netmask(4, p)));

export function overlaps(a: Net, b: Net): boolean {
  const m = MASKS[Math.min(a.prefix, b.prefix)]!;
  return (a.base & m) >>> 0 === (b.base & m) >>> 0;
}

/** Every IPv4 subnet mentioned anywhere in the lab (endpoints, bridges, routes). */
export function subnetsInLab(lab: Lab): Net[] {
  const out: Net[] = [];
  const add = (c: string) => {
    const n = parseCidr4(c);
    if (n) out.push({ base: n.base, prefix: n.prefix });
  };
  for (const l of lab.links) for (const e of l.endpoints) e.addresses.forEach(add);
  for (const n of lab.nodes) {
    if (n.kind === 'bridge') n.addresses.forEach(add);
    if (n.kind === 'namespace') {
      for (const r of n.routes) if (r.to !== 'default') add(r.to);
      for (const x of n.interfaces ?? []) x.addresses.forEach(add);
    }
  }
  return out;
}

/** First free subnet of `prefix` inside 10.0.0.0/8, skipping 10.0.0.0/24 for LANs (kept for point-to-point). */
export function freeSubnet(lab: Lab, prefix: number, extra: Net[] = []): Net {
  const taken = [...subnetsInLab(lab), ...extra];
  const step = 2 ** (32 - prefix);
  const start = prefix <= 24 ? parseIpv4('10.0.1.0')! : parseIpv4('10.0.0.0')!;
  const end = parseIpv4('10.255.255.255')!;
  for (let base = start; base + step - 1 <= end; base += step) {
    const cand = { base, prefix };
    if (!taken.some((t) => overlaps(t, cand))) return cand;
  }
  throw new Error('no free IPv4 subnet left in 10.0.0.0/8');
}

// ---------- LANs ----------

/** The IPv4 subnet of the LAN behind a bridge: from its own address or any host plugged into it. */
export function bridgeLan(lab: Lab, bridge: BridgeNode): (Net & { used: Set<number> }) | null {
  let lan: Net | null = null;
  const used = new Set<number>();
  const consider = (c: string) => {
    const n = parseCidr4(c);
    if (!n) return;
    if (!lan) lan = { base: n.base, prefix: n.prefix };
    if (overlaps(lan, n)) used.add(n.addr);
  };
  bridge.addresses.forEach(consider);
  for (const l of lab.links) {
    const i = l.endpoints.findIndex((e) => e.node === bridge.id);
    if (i < 0) continue;
    const other = l.endpoints[1 - i]!;
    other.addresses.forEach(consider);
  }
  return lan ? { ...(lan as Net), used } : null;
}

function nextHost(net: Net, used: ReadonlySet<number>): number | null {
  const size = 2 ** (32 - net.prefix);
  for (let i = 1; i < size - 1; i++) if (!used.has(net.base + i)) return net.base + i;
  return null;
}

// ---------- node-attached interfaces ----------

/** Kinds the inspector can add; WireGuard is added once the engine realizes it (issue #15, phase 2). */
export type AttachedKind = Extract<AttachedInterface['kind'], 'vxlan' | 'tap' | 'vlan' | 'macvlan' | 'wireguard'>;

/** The first VXLAN id, as in the kernel's documentation (`ip link add vxlan0 type vxlan id 42 …`). */
export const FIRST_VNI = 42;
export const VXLAN_PORT = 4789;

/** `${stem}0`, `${stem}1` … : the first name not taken in the namespace. */
function freeName(stem: string, taken: ReadonlySet<string>): string {
  for (let i = 0; ; i++) if (!taken.has(`${stem}${i}`)) return `${stem}${i}`;
}

/**
 * A new interface of `kind` for namespace `nodeId`, valid where the lab allows it:
 * - vxlan: `vxlan0`, port 4789, and an underlay taken from the namespace's first point-to-point veth (local
 *   = its address, remote = the address at the other end). When a VXLAN elsewhere in the lab already points
 *   at this namespace, the new one answers it (same VNI, remote = that VXLAN's local) so the tunnel works;
 *   otherwise the first VNI no one uses (from 42).
 * - tap: `tap0`. vlan: `<parent>.10` on the namespace's first veth (`eth0.10` when it has none).
 * - macvlan: `mv0` on the host's `eth0` (the root namespace's interfaces are not in the lab: edit it).
 */
export function proposeAttached(lab: Lab, nodeId: string, kind: AttachedKind): AttachedInterface {
  const taken = ifnamesNear(lab, nodeId);
  const veths = lab.links.flatMap((l) => {
    const k = l.endpoints.findIndex((e) => e.node === nodeId);
    return k < 0 ? [] : [{ mine: l.endpoints[k]!, peer: l.endpoints[1 - k]! }];
  });
  if (kind === 'tap') return { kind, name: freeName('tap', taken), addresses: [] };
  if (kind === 'wireguard') return proposeWireguard(lab, nodeId, taken);
  if (kind === 'macvlan') return { kind, name: freeName('mv', taken), addresses: [], parent: 'eth0', mode: 'bridge' };
  if (kind === 'vlan') {
    const parent = veths[0]?.mine.ifname ?? 'eth0';
    const onParent = new Set(
      lab.nodes.flatMap((n) =>
        n.id === nodeId && n.kind === 'namespace'
          ? (n.interfaces ?? []).flatMap((x) => (x.kind === 'vlan' && x.parent === parent ? [x.vlanId] : []))
          : [],
      ),
    );
    let vlanId = 10;
    while (onParent.has(vlanId) && vlanId < 4094) vlanId += 10;
    const dotted = `${parent}.${vlanId}`;
    const name = ifnameProblem(dotted) === null && !taken.has(dotted) ? dotted : freeName('vlan', taken);
    return { kind, name, addresses: [], parent, vlanId };
  }
  return proposeVxlan(lab, nodeId, freeName('vxlan', taken), veths);
}

/** IPv4 subnets of a namespace's own addresses (to tell a neighbour from a far site). */
function ownNets(lab: Lab, nodeId: string): Net[] {
  const cidrs = [
    ...lab.links.flatMap((l) => l.endpoints.filter((e) => e.node === nodeId).flatMap((e) => e.addresses)),
    ...lab.nodes.flatMap((n) => (n.kind === 'bridge' && n.namespace === nodeId ? n.addresses : [])),
  ];
  return cidrs.flatMap((c) => parseCidr4(c) ?? []);
}

/**
 * The VXLAN proposal. A tunnel joins two SITES over a routed underlay, so `remote` is the far site's underlay
 * address (not the next router's), and both ends share one VNI and port:
 * 1. a VXLAN elsewhere already points at this namespace: answer it (its VNI and port, remote = its local);
 * 2. a VXLAN elsewhere is not answered yet (its remote is a router's or a third site's): pair with it;
 * 3. otherwise the far site is the first other namespace that is not a router and shares no subnet with this
 *    one (reached through routers), else the peer of the first veth; a VNI no one uses (from 42).
 * `local` is this namespace's underlay address: its first veth's.
 */
function proposeVxlan(
  lab: Lab,
  nodeId: string,
  name: string,
  veths: { mine: Endpoint; peer: Endpoint }[],
): AttachedInterface {
  const addrs = underlayAddresses(lab);
  const v4 = (id: string) => [...(addrs.get(id) ?? [])].filter((a) => parseIpv4(a) !== null);
  const mine = new Set(v4(nodeId));
  const self = lab.nodes.find((n) => n.id === nodeId);
  const ownVnis = new Set(
    self?.kind === 'namespace' ? (self.interfaces ?? []).flatMap((x) => (x.kind === 'vxlan' ? [x.vni] : [])) : [],
  );
  const under = veths.find(
    (v) => v.mine.addresses.some((a) => parseCidr4(a)) && v.peer.addresses.some((a) => parseCidr4(a)),
  );
  const myLocal = under?.mine.addresses.find((a) => parseCidr4(a))?.split('/')[0] ?? v4(nodeId)[0];
  const vx = (vni: number, remote: string | undefined, local: string | undefined, dstPort: number) => ({
    kind: 'vxlan' as const,
    name,
    addresses: [],
    vni,
    ...(remote ? { remote } : {}),
    ...(local ? { local } : {}),
    dstPort,
  });
  const { tunnels } = vxlanTunnels(lab);
  const pairedKeys = new Set(tunnels.flatMap((t) => [t.a.key, t.b.key]));
  const others = lab.nodes.filter((n): n is NamespaceNode => n.kind === 'namespace' && n.id !== nodeId);
  // 1. Someone points at us: answer.
  for (const n of others)
    for (const x of n.interfaces ?? []) {
      if (x.kind !== 'vxlan' || x.remote === undefined || !mine.has(x.remote) || ownVnis.has(x.vni)) continue;
      if (pairedKeys.has(`${n.id}/${x.name}`)) continue;
      return vx(x.vni, x.local ?? v4(n.id)[0], x.remote, x.dstPort ?? VXLAN_PORT);
    }
  // 2. An unanswered VXLAN elsewhere: be its other end.
  for (const n of others)
    for (const x of n.interfaces ?? []) {
      if (x.kind !== 'vxlan' || x.group !== undefined || ownVnis.has(x.vni)) continue;
      if (pairedKeys.has(`${n.id}/${x.name}`)) continue;
      const remote = x.local ?? v4(n.id)[0];
      if (remote) return vx(x.vni, remote, myLocal, x.dstPort ?? VXLAN_PORT);
    }
  // 3. A fresh tunnel towards the far site.
  const vnis = new Set(
    lab.nodes.flatMap((n) =>
      n.kind === 'namespace' ? (n.interfaces ?? []).flatMap((x) => (x.kind === 'vxlan' ? [x.vni] : [])) : [],
    ),
  );
  let vni = FIRST_VNI;
  while (vnis.has(vni)) vni++;
  const nets = ownNets(lab, nodeId);
  const far = others.find(
    (n) => !n.forwarding && v4(n.id).length > 0 && !v4(n.id).some((a) => nets.some((net) => inNet(net, a))),
  );
  const remote = far ? v4(far.id)[0] : under?.peer.addresses.find((a) => parseCidr4(a))?.split('/')[0];
  return vx(vni, remote, myLocal, VXLAN_PORT);
}

function inNet(net: Net, addr: string): boolean {
  const a = parseIpv4(addr);
  return a !== null && a >= net.base && a < net.base + 2 ** (32 - net.prefix);
}

// ---------- links ----------

/** Do the interfaces of these two nodes live in the same network namespace? */
function sameSpace(a: LabNode, b: LabNode): boolean {
  const space = (n: LabNode) => (n.kind === 'bridge' ? (n.namespace ?? '@root') : n.kind === 'host' ? '@root' : n.id);
  return space(a) === space(b);
}

/**
 * The veth a user gets when dragging from node `a` to node `b`: names on both ends, and addresses:
 * host–bridge → the next free host of the bridge's LAN (a fresh /24 if it has none);
 * point-to-point → both ends of a fresh /30; bridge–bridge → no addresses.
 */
export function proposeLink(lab: Lab, aId: string, bId: string, used = usedIds(lab), reserved = NO_RESERVED): VethLink {
  const a = lab.nodes.find((n) => n.id === aId);
  const b = lab.nodes.find((n) => n.id === bId);
  if (!a || !b) throw new Error(`unknown node ${a ? bId : aId}`);
  const id = nextId('link', used);
  const ifA = proposeIfname(lab, a, new Set(), reserved);
  // Both ends in the same namespace (the same node, or two nodes of the root): the second avoids the first.
  const ifB = proposeIfname(lab, b, sameSpace(a, b) ? new Set([ifA]) : new Set(), reserved);
  const ends: [Endpoint, Endpoint] = [
    { node: a.id, ifname: ifA, addresses: [], up: true },
    { node: b.id, ifname: ifB, addresses: [], up: true },
  ];
  const bridgeIdx = a.kind === 'bridge' ? 0 : b.kind === 'bridge' ? 1 : -1;
  if (a.kind === 'bridge' && b.kind === 'bridge') return { id, kind: 'veth', endpoints: ends };
  if (bridgeIdx >= 0) {
    const bridge = (bridgeIdx === 0 ? a : b) as BridgeNode;
    const lan = bridgeLan(lab, bridge) ?? { ...freeSubnet(lab, 24), used: new Set<number>() };
    const host = nextHost(lan, lan.used);
    if (host !== null) ends[1 - bridgeIdx]!.addresses = [`${formatIpv4(host)}/${lan.prefix}`];
    return { id, kind: 'veth', endpoints: ends };
  }
  const net = freeSubnet(lab, 30);
  ends[0].addresses = [`${formatIpv4(net.base + 1)}/30`];
  ends[1].addresses = [`${formatIpv4(net.base + 2)}/30`];
  return { id, kind: 'veth', endpoints: ends };
}

// ---------- routers ----------

/**
 * When namespace `routerId` forwards, every other namespace on one of its subnets can reach the router's
 * other subnets through it. Returns the routes each neighbour would need (`to` subnet `via` router address).
 */
export function suggestRoutes(lab: Lab, routerId: string): { node: string; route: Route }[] {
  const mine: { net: Net; addr: number }[] = [];
  for (const l of lab.links)
    for (const e of l.endpoints)
      if (e.node === routerId)
        for (const c of e.addresses) {
          const n = parseCidr4(c);
          if (n) mine.push({ net: { base: n.base, prefix: n.prefix }, addr: n.addr });
        }
  const out: { node: string; route: Route }[] = [];
  for (const ns of lab.nodes) {
    if (ns.kind !== 'namespace' || ns.id === routerId) continue;
    const theirs = lab.links.flatMap((l) =>
      l.endpoints.filter((e) => e.node === ns.id).flatMap((e) => e.addresses.map(parseCidr4).filter((x) => x !== null)),
    );
    for (const t of theirs) {
      const gw = mine.find((m) => overlaps(m.net, t));
      if (!gw) continue;
      for (const other of mine) {
        if (theirs.some((x) => overlaps(x, other.net))) continue;
        const to = `${formatIpv4(other.net.base)}/${other.net.prefix}`;
        if (ns.routes.some((r) => r.to === to) || out.some((o) => o.node === ns.id && o.route.to === to)) continue;
        out.push({ node: ns.id, route: { to, via: formatIpv4(gw.addr) } });
      }
    }
  }
  return out;
}

/**
 * A new WireGuard interface: `wg0` (or the next free name), UDP port 51820 (or the next one free in the
 * namespace), a tunnel address in 10.99.0.0/24 no other WireGuard interface uses, no peers yet (the
 * inspector adds them: both ends must list each other).
 */
function proposeWireguard(lab: Lab, nodeId: string, taken: ReadonlySet<string>): AttachedInterface {
  const used = new Set<string>();
  const ports = new Set<number>();
  for (const n of lab.nodes) {
    if (n.kind !== 'namespace') continue;
    for (const x of n.interfaces ?? []) {
      if (x.kind !== 'wireguard') continue;
      for (const a of x.addresses) used.add(a.split('/')[0]!);
      if (n.id === nodeId && x.listenPort !== undefined) ports.add(x.listenPort);
    }
  }
  let host = 1;
  while (used.has(`10.99.0.${host}`) && host < 254) host++;
  let listenPort = 51820;
  while (ports.has(listenPort)) listenPort++;
  return { kind: 'wireguard', name: freeName('wg', taken), addresses: [`10.99.0.${host}/24`], listenPort, peers: [] };
}

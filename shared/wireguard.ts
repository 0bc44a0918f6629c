/**
 * WireGuard cross-reference rules of a lab (called by validate()): peers that exist and are WireGuard
 * interfaces, both ends that know each other, endpoints and ports that meet, allowed IPs written as
 * networks, UDP ports that do not clash. Pure; knows nothing of keys (the server keeps them, never the lab).
 *
 * Codes: WireguardBridgePort WireguardPeerNeedsKey UnknownWireguardPeer NotAWireguardInterface WireguardSelfPeer
 *   DuplicateWireguardPeer WireguardPeerNotMutual WireguardNoEndpoint WireguardEndpointNeedsPort
 *   WireguardEndpointPortMismatch WireguardEndpointInTunnel WireguardEndpointNotOnPeer(w) NonCanonicalAddress
 *   WireguardAllowedIpHostBits DuplicateAllowedIp WireguardAllowedIpsMissPeer(w) DuplicateListenPort
 *   WireguardRouteDuplicatesRoute WireguardEndpointRouted(w)                                     (w) = warning
 */
import type { Issue } from './errors';
import type { Lab, NamespaceNode, WireguardInterface, WireguardPeer } from './lab';
import { type Cidr, contains, formatCidr, formatIp, hasHostBits, parseCidr, parseIp, subnetOf } from './net';
import type { Report } from './validate';

type Path = Issue['path'];

/** One WireGuard interface of the lab, where it is. */
export interface WireguardAt {
  node: NamespaceNode;
  /** Index of the node in lab.nodes, of the interface in node.interfaces. */
  i: number;
  k: number;
  x: WireguardInterface;
}

/** Peers are identified by node id + interface name; `\0` cannot appear in either. */
export const wireguardKey = (node: string, ifname: string): string => `${node}\0${ifname}`;

/** Every WireGuard interface of the lab by wireguardKey (the first namespace with an id wins, as elsewhere). */
export function wireguardInterfaces(lab: Lab): Map<string, WireguardAt> {
  const out = new Map<string, WireguardAt>();
  const seen = new Set<string>();
  lab.nodes.forEach((node, i) => {
    if (node.kind !== 'namespace' || seen.has(node.id)) return;
    seen.add(node.id);
    (node.interfaces ?? []).forEach((x, k) => {
      const key = wireguardKey(node.id, x.name);
      if (x.kind === 'wireguard' && !out.has(key)) out.set(key, { node, i, k, x });
    });
  });
  return out;
}

/** The interface a peer entry names, or why it names none. */
export function resolvePeer(
  lab: Lab,
  all: Map<string, WireguardAt>,
  peer: WireguardPeer,
): { ok: true; at: WireguardAt } | { ok: false; reason: 'external' | 'missing' | 'notWireguard' | 'incomplete' } {
  if (peer.node === undefined && peer.interface === undefined) return { ok: false, reason: 'external' };
  if (peer.node === undefined || peer.interface === undefined) return { ok: false, reason: 'incomplete' };
  const at = all.get(wireguardKey(peer.node, peer.interface));
  if (at) return { ok: true, at };
  const node = lab.nodes.find((n) => n.id === peer.node);
  if (node?.kind === 'namespace' && (node.interfaces ?? []).some((x) => x.name === peer.interface))
    return { ok: false, reason: 'notWireguard' };
  return { ok: false, reason: 'missing' };
}

export const DEFAULT_WIREGUARD_MTU = 1420;

export function checkWireguard(lab: Lab, report: Report): void {
  const all = wireguardInterfaces(lab);
  if (all.size === 0) return;
  const addressesOf = namespaceAddresses(lab);
  const label = (at: WireguardAt) => `${at.x.name} on "${at.node.name}"`;

  // UDP ports: one socket per port and namespace (VXLAN devices bind theirs too).
  const ports = new Map<string, string>();
  lab.nodes.forEach((node) => {
    if (node.kind !== 'namespace') return;
    for (const x of node.interfaces ?? [])
      if (x.kind === 'vxlan') ports.set(`${node.id}\0${x.dstPort ?? 4789}`, `VXLAN ${x.name}`);
  });

  for (const at of all.values()) {
    const { node, i, k, x } = at;
    const base: Path = ['nodes', i, 'interfaces', k];
    const object = node.id;
    if (x.bridge !== undefined)
      report(
        [...base, 'bridge'],
        'WireguardBridgePort',
        `WireGuard ${x.name} carries IP packets, not Ethernet frames: it cannot be a bridge port. Route to it instead`,
        object,
      );
    if (x.listenPort !== undefined) {
      const key = `${node.id}\0${x.listenPort}`;
      const other = ports.get(key);
      if (other !== undefined)
        report(
          [...base, 'listenPort'],
          'DuplicateListenPort',
          `UDP port ${x.listenPort} in namespace "${node.name}" is already used by ${other}: each needs its own port`,
          object,
        );
      else ports.set(key, `WireGuard ${x.name}`);
    }
    const routed = new Set(node.routes.flatMap((r) => (r.to === 'default' ? ['0.0.0.0/0', '::/0'] : [r.to])));
    const allowedBy = new Map<string, number>();
    const seenPeers = new Map<string, number>();
    x.peers.forEach((peer, p) => {
      const at2: Path = [...base, 'peers', p];
      const named = peer.node !== undefined || peer.interface !== undefined;
      if (named === (peer.publicKey !== undefined)) {
        report(
          at2,
          'WireguardPeerNeedsKey',
          named
            ? `peer #${p + 1} of ${x.name} names a lab interface and a publicKey: give one of them`
            : `peer #${p + 1} of ${x.name} needs "node" + "interface" (a WireGuard interface of this lab) or the "publicKey" of a peer outside it`,
          object,
        );
        return;
      }
      const r = resolvePeer(lab, all, peer);
      const id = r.ok ? wireguardKey(r.at.node.id, r.at.x.name) : (peer.publicKey ?? '');
      if (!r.ok && r.reason !== 'external') {
        report(
          [...at2, r.reason === 'incomplete' ? (peer.node === undefined ? 'node' : 'interface') : 'interface'],
          r.reason === 'notWireguard' ? 'NotAWireguardInterface' : 'UnknownWireguardPeer',
          r.reason === 'incomplete'
            ? `peer #${p + 1} of ${x.name} needs both "node" and "interface"`
            : r.reason === 'notWireguard'
              ? `${peer.interface} on "${peer.node}" is not a WireGuard interface`
              : `no WireGuard interface ${peer.interface} on a namespace node "${peer.node}"`,
          object,
        );
        return;
      }
      if (r.ok && r.at === at) {
        report(
          [...at2, 'interface'],
          'WireguardSelfPeer',
          `${x.name} lists itself as a peer: a tunnel needs two ends`,
          object,
        );
        return;
      }
      const first = seenPeers.get(id);
      if (first !== undefined) {
        report(
          at2,
          'DuplicateWireguardPeer',
          `peer #${p + 1} of ${x.name} is the same peer as #${first + 1}: WireGuard knows a peer once, by its key`,
          object,
        );
        return;
      }
      seenPeers.set(id, p);
      checkAllowedIps(peer, at2, x, object, allowedBy, routed, report);
      if (r.ok) checkPair(at, peer, r.at, at2, label, addressesOf, report);
      else if (peer.endpoint && peer.endpoint.port === undefined)
        report(
          [...at2, 'endpoint', 'port'],
          'WireguardEndpointNeedsPort',
          `the endpoint of a peer outside the lab needs its UDP "port"`,
          object,
        );
    });
  }
}

/** Allowed IPs: networks, canonical, each given to one peer only; derived routes not already in routes. */
function checkAllowedIps(
  peer: WireguardPeer,
  at: Path,
  x: WireguardInterface,
  object: string,
  allowedBy: Map<string, number>,
  routed: Set<string>,
  report: Report,
): void {
  const p = Number(at[at.length - 1]);
  peer.allowedIps.forEach((text, a) => {
    const path: Path = [...at, 'allowedIps', a];
    const c = parseCidr(text);
    if (!c) return;
    if (hasHostBits(c)) {
      report(
        path,
        'WireguardAllowedIpHostBits',
        `allowed IPs are networks, but ${text} has host bits set: did you mean ${formatCidr(subnetOf(c))}?`,
        object,
      );
      return;
    }
    const canonical = formatCidr(c);
    if (canonical !== text)
      report(path, 'NonCanonicalAddress', `write ${text} as ${canonical} (the form \`wg\` prints)`, object);
    const other = allowedBy.get(canonical);
    if (other !== undefined && other !== p)
      report(
        path,
        'DuplicateAllowedIp',
        `${canonical} is already allowed for peer #${other + 1} of ${x.name}: a network belongs to one peer (WireGuard would move it to the last one)`,
        object,
      );
    else allowedBy.set(canonical, p);
    if (x.routeAllowedIps && routed.has(canonical))
      report(
        path,
        'WireguardRouteDuplicatesRoute',
        `${canonical} is routed by the namespace's routes and by ${x.name} (routeAllowedIps): keep one`,
        object,
      );
  });
}

/** A peer that is another interface of the lab: it must list us back, and one of us must know where the other is. */
function checkPair(
  me: WireguardAt,
  peer: WireguardPeer,
  them: WireguardAt,
  at: Path,
  label: (a: WireguardAt) => string,
  addressesOf: Map<string, Cidr[]>,
  report: Report,
): void {
  const object = me.node.id;
  const back = them.x.peers.find((q) => q.node === me.node.id && q.interface === me.x.name);
  if (!back) {
    report(
      at,
      'WireguardPeerNotMutual',
      `${label(them)} does not list ${label(me)} as a peer: WireGuard drops handshakes from keys it does not know. Add the peer on both ends`,
      object,
    );
  } else if (!peer.endpoint && !back.endpoint) {
    report(
      at,
      'WireguardNoEndpoint',
      `neither ${label(me)} nor ${label(them)} has an endpoint for the other, so neither ever starts a handshake: give at least one of them the other's address`,
      object,
    );
  }
  // Whatever our tunnel carries from them must be allowed, or their packets are dropped on arrival.
  const inner = them.x.addresses.map(parseCidr).filter((c): c is Cidr => c !== null);
  const allowed = peer.allowedIps.map(parseCidr).filter((c): c is Cidr => c !== null);
  const missing = inner.filter((c) => !allowed.some((a) => a.family === c.family && contains(a, c)));
  if (missing.length)
    report(
      [...at, 'allowedIps'],
      'WireguardAllowedIpsMissPeer',
      `${label(them)} sends from ${missing.map((c) => formatIp(c)).join(', ')}, which its allowed IPs here do not include: those packets are dropped on arrival (add ${missing.map((c) => `${formatIp(c)}/${c.family === 4 ? 32 : 128}`).join(', ')})`,
      object,
      'warning',
    );
  const ep = peer.endpoint;
  if (!ep) return;
  const addr = parseIp(ep.address);
  if (ep.port === undefined && them.x.listenPort === undefined)
    report(
      [...at, 'endpoint', 'port'],
      'WireguardEndpointNeedsPort',
      `${label(them)} has no listenPort (it would pick a random one): set its listenPort, or a port here`,
      object,
    );
  else if (ep.port !== undefined && them.x.listenPort !== undefined && ep.port !== them.x.listenPort)
    report(
      [...at, 'endpoint', 'port'],
      'WireguardEndpointPortMismatch',
      `${label(them)} listens on UDP port ${them.x.listenPort}, not ${ep.port}: handshakes would go where nobody listens`,
      object,
    );
  if (!addr) return;
  if (inner.some((c) => c.family === addr.family && c.value === addr.value)) {
    report(
      [...at, 'endpoint', 'address'],
      'WireguardEndpointInTunnel',
      `${ep.address} is ${label(them)}'s own tunnel address: the handshake that builds the tunnel cannot travel through it. Use its underlay address`,
      object,
    );
    return;
  }
  const theirs = addressesOf.get(them.node.id) ?? [];
  if (!theirs.some((c) => c.family === addr.family && c.value === addr.value))
    report(
      [...at, 'endpoint', 'address'],
      'WireguardEndpointNotOnPeer',
      `${ep.address} is not an address of namespace "${them.node.name}", where ${them.x.name} is (fine if a NAT forwards it there)`,
      object,
      'warning',
    );
  if (me.x.routeAllowedIps && peer.allowedIps.some((t) => parseCidrContains(t, addr)))
    report(
      [...at, 'endpoint', 'address'],
      'WireguardEndpointRouted',
      `the endpoint ${ep.address} is inside this peer's allowed IPs, and routeAllowedIps routes those into ${me.x.name}: the tunnel's own packets would enter the tunnel unless a more specific route leads to the endpoint`,
      object,
      'warning',
    );
}

const parseCidrContains = (text: string, addr: ReturnType<typeof parseIp>): boolean => {
  const c = parseCidr(text);
  return c !== null && addr !== null && c.family === addr.family && contains(c, addr);
};

/** The underlay addresses of each namespace node: veth ends, bridges in it, non-WireGuard attached interfaces. */
function namespaceAddresses(lab: Lab): Map<string, Cidr[]> {
  const out = new Map<string, Cidr[]>();
  const add = (id: string, texts: readonly string[]) => {
    const list = out.get(id) ?? [];
    for (const t of texts) {
      const c = parseCidr(t);
      if (c) list.push(c);
    }
    out.set(id, list);
  };
  for (const n of lab.nodes) {
    if (n.kind === 'bridge' && n.namespace !== undefined) add(n.namespace, n.addresses);
    if (n.kind === 'namespace')
      for (const x of n.interfaces ?? []) if (x.kind !== 'wireguard') add(n.id, x.addresses ?? []);
  }
  for (const l of lab.links) for (const e of l.endpoints) add(e.node, e.addresses);
  return out;
}

/**
 * VXLAN tunnels of a lab as pairs of ends (issue #15 item 3). Pure; used by validate() (mismatched ends are a
 * problem on both), the server's path/reachability model (the overlay is one L2 segment carried over the
 * underlay) and the canvas (one dashed link between the two ends).
 *
 * Two VXLAN interfaces A (in namespace M) and B (in N) are the two ends of one tunnel when A's `remote` is an
 * underlay address of N and B's `remote` one of M. They carry frames only when VNI and UDP port agree.
 * Codes (warnings: the lab still applies, the overlay just stays quiet): VxlanVniMismatch VxlanPortMismatch
 * VxlanRemoteNoTunnel.
 */
import type { Issue } from './errors';
import type { Lab, NamespaceNode, VxlanInterface } from './lab';
import type { Report } from './validate';

type Path = Issue['path'];

export const VXLAN_DEFAULT_PORT = 4789;

export interface VxlanEnd {
  node: NamespaceNode;
  /** Index of the node in lab.nodes, of the interface in node.interfaces. */
  i: number;
  k: number;
  x: VxlanInterface;
  /** The engine's object id of the interface, `${node.id}/${name}` (its status key). */
  key: string;
}

export interface VxlanTunnel {
  /** `vxlan:<keyA>~<keyB>` with the ends in lab order: stable while both ends exist. */
  id: string;
  a: VxlanEnd;
  b: VxlanEnd;
  vni: { a: number; b: number };
  port: { a: number; b: number };
  /** VNI and UDP port agree: frames cross. */
  ok: boolean;
}

export const tunnelId = (a: string, b: string): string => `vxlan:${a}~${b}`;
const portOf = (x: VxlanInterface) => x.dstPort ?? VXLAN_DEFAULT_PORT;
const bare = (cidr: string) => cidr.split('/')[0]!;

/**
 * IPv4/IPv6 addresses (without prefix) each namespace node holds outside its VXLANs: veth ends in it, bridges
 * living in it, its other attached interfaces. These are the addresses a tunnel's `remote` may name.
 */
export function underlayAddresses(lab: Lab): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const add = (node: string, cidrs: readonly string[]) => {
    if (!cidrs.length) return;
    const set = out.get(node) ?? new Set<string>();
    out.set(node, set);
    for (const c of cidrs) set.add(bare(c));
  };
  const kinds = new Map(lab.nodes.map((n) => [n.id, n.kind] as const));
  for (const l of lab.links)
    for (const e of l.endpoints) if (kinds.get(e.node) === 'namespace') add(e.node, e.addresses);
  for (const n of lab.nodes) {
    if (n.kind === 'bridge' && n.namespace !== undefined && kinds.get(n.namespace) === 'namespace')
      add(n.namespace, n.addresses);
    if (n.kind === 'namespace') for (const x of n.interfaces ?? []) if (x.kind !== 'vxlan') add(n.id, x.addresses);
  }
  return out;
}

export interface TunnelMap {
  tunnels: VxlanTunnel[];
  /** VXLAN ends whose remote is an address of a namespace of the lab that has no VXLAN pointing back. */
  unanswered: { end: VxlanEnd; owner: NamespaceNode }[];
}

let memoLab: Lab | null = null;
let memo: TunnelMap = { tunnels: [], unanswered: [] };

/** Pairs every VXLAN of the lab with its other end; memoized on the lab object (labs are values). */
export function vxlanTunnels(lab: Lab): TunnelMap {
  if (lab === memoLab) return memo;
  const ends: VxlanEnd[] = [];
  lab.nodes.forEach((node, i) => {
    if (node.kind !== 'namespace') return;
    (node.interfaces ?? []).forEach((x, k) => {
      if (x.kind === 'vxlan') ends.push({ node, i, k, x, key: `${node.id}/${x.name}` });
    });
  });
  const result: TunnelMap = { tunnels: [], unanswered: [] };
  if (ends.length) {
    const addrs = underlayAddresses(lab);
    const ownerOf = new Map<string, NamespaceNode>();
    for (const n of lab.nodes)
      if (n.kind === 'namespace') for (const a of addrs.get(n.id) ?? []) if (!ownerOf.has(a)) ownerOf.set(a, n);
    const byNode = new Map<string, VxlanEnd[]>();
    for (const e of ends) byNode.set(e.node.id, [...(byNode.get(e.node.id) ?? []), e]);
    const paired = new Set<VxlanEnd>();
    for (const a of ends) {
      if (paired.has(a) || a.x.remote === undefined) continue;
      const owner = ownerOf.get(a.x.remote);
      if (!owner || owner.id === a.node.id) continue;
      const mine = addrs.get(a.node.id) ?? new Set<string>();
      const back = (byNode.get(owner.id) ?? []).filter(
        (b) => !paired.has(b) && b.x.remote !== undefined && mine.has(b.x.remote),
      );
      // The best answer: same VNI and port, then same VNI, then the first that points back.
      const b =
        back.find((b) => b.x.vni === a.x.vni && portOf(b.x) === portOf(a.x)) ??
        back.find((b) => b.x.vni === a.x.vni) ??
        back[0];
      if (!b) {
        result.unanswered.push({ end: a, owner });
        continue;
      }
      paired.add(a);
      paired.add(b);
      const vni = { a: a.x.vni, b: b.x.vni };
      const port = { a: portOf(a.x), b: portOf(b.x) };
      result.tunnels.push({
        id: tunnelId(a.key, b.key),
        a,
        b,
        vni,
        port,
        ok: vni.a === vni.b && port.a === port.b,
      });
    }
    // An end reported unanswered before its partner was seen pointing back is paired after all.
    result.unanswered = result.unanswered.filter((u) => !paired.has(u.end));
  }
  memoLab = lab;
  memo = result;
  return result;
}

/** validate()'s rules for VXLAN pairs: a mismatch is reported on both ends, a remote with no tunnel on its one. */
export function checkVxlanTunnels(lab: Lab, report: Report): void {
  const { tunnels, unanswered } = vxlanTunnels(lab);
  const at = (e: VxlanEnd, field: string): Path => ['nodes', e.i, 'interfaces', e.k, field];
  const who = (e: VxlanEnd) => `${e.x.name} in "${e.node.name}"`;
  for (const t of tunnels) {
    for (const [me, other, mine, theirs] of [
      [t.a, t.b, t.vni.a, t.vni.b],
      [t.b, t.a, t.vni.b, t.vni.a],
    ] as const)
      if (mine !== theirs)
        report(
          at(me, 'vni'),
          'VxlanVniMismatch',
          `VXLAN ${who(me)} uses VNI ${mine} but its other end ${who(other)} uses VNI ${theirs}: each end drops the other's frames. Use one VNI on both ends`,
          me.node.id,
          'warning',
        );
    for (const [me, other, mine, theirs] of [
      [t.a, t.b, t.port.a, t.port.b],
      [t.b, t.a, t.port.b, t.port.a],
    ] as const)
      if (mine !== theirs)
        report(
          at(me, 'dstPort'),
          'VxlanPortMismatch',
          `VXLAN ${who(me)} sends to UDP port ${mine} but its other end ${who(other)} listens on ${theirs}: the packets are not received. Use one port on both ends`,
          me.node.id,
          'warning',
        );
  }
  for (const { end, owner } of unanswered)
    report(
      at(end, 'remote'),
      'VxlanRemoteNoTunnel',
      `VXLAN ${who(end)} sends to ${end.x.remote}, an address of "${owner.name}", which has no VXLAN pointing back here: point "remote" at the far site's underlay address, and give that site a VXLAN with the same VNI`,
      end.node.id,
      'warning',
    );
}

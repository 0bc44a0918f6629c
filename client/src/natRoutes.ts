/**
 * What host NAT needs from the namespaces (pure): a namespace reaches the outside through the host only
 * with a default route via the host's address on their shared link (a veth to the host node, or a bridge
 * of the root namespace carrying an address). Lists the route each namespace without a default route
 * would need, and those the host cannot be reached from directly. No store, no I/O.
 */
import type { Lab, Route } from '../../shared/lab';
import { formatIpv4, parseCidr4 } from './addressing';

export type NatNeed =
  | { node: string; name: string; route: Route }
  /** No link to the host: it would go through another namespace, which must forward and route for it. */
  | { node: string; name: string; route: null };

const sameNet = (a: string, b: string) => {
  const x = parseCidr4(a);
  const y = parseCidr4(b);
  return x !== null && y !== null && x.prefix === y.prefix && x.base === y.base && x.addr !== y.addr;
};

export function natNeeds(lab: Lab): NatNeed[] {
  const host = lab.nodes.find((n) => n.kind === 'host');
  if (!host) return [];
  // The host's own addresses, by the node that carries them: the host node's veth ends, root bridges.
  const rootBridges = new Map(
    lab.nodes.flatMap((n) => (n.kind === 'bridge' && n.namespace === undefined ? [[n.id, n.addresses] as const] : [])),
  );
  const out: NatNeed[] = [];
  for (const ns of lab.nodes) {
    if (ns.kind !== 'namespace') continue;
    const hasDefault = ns.routes.some((r) => r.to === 'default' && (r.via === undefined || !r.via.includes(':')));
    if (hasDefault) continue;
    let via: string | undefined;
    for (const l of lab.links) {
      const k = l.endpoints.findIndex((e) => e.node === ns.id);
      if (k < 0) continue;
      const mine = l.endpoints[k]!;
      const other = l.endpoints[1 - k]!;
      const theirs = other.node === host.id ? other.addresses : (rootBridges.get(other.node) ?? []);
      for (const a of mine.addresses)
        for (const b of theirs) if (!via && sameNet(a, b)) via = formatIpv4(parseCidr4(b)!.addr);
    }
    out.push({ node: ns.id, name: ns.name, route: via ? { to: 'default', via } : null });
  }
  return out;
}

/**
 * Pure destroy planner: every object carrying this lab's exact marker is deleted, nothing else. An empty
 * or partial observation only ever yields fewer deletions, never "delete everything". No I/O.
 */
import { linkKind } from './kinds';
import { observedNamespaces, planNatRemoval } from './plan';
import type { ObservedState, Operation, Plan } from './types';

/**
 * Owned namespaces go first (one `netns.delete` removes every interface inside and the peers of its veths
 * in one go; owned links of a kind that says `deleteBeforeNamespace` inside are deleted just before, see
 * below); then owned interfaces living in namespaces we do not own (root bridges, host-side veth ends),
 * veths before bridges, each veth pair once. Inverses are null: a destroy is not rolled back.
 */
export function planDestroy(labName: string, observed: ObservedState): Plan<Operation> {
  const ops: Operation[] = [];
  const gone = new Set<string>();
  const key = (netns: string | null, ifname: string) => `${netns ?? ''}/${ifname}`;
  const all = observedNamespaces(observed);

  for (const ns of all) {
    if (ns.name === null || ns.marker?.lab !== labName) continue;
    for (const l of ns.links) {
      gone.add(key(ns.name, l.ifname));
      if (l.peer) gone.add(key(l.peer.netns, l.peer.ifname));
      // An owned link on a lower device outside, of a kind that asks for it: deleted explicitly first (its
      // module's `deleteBeforeNamespace` says why).
      if (
        linkKind(l.kind)?.deleteBeforeNamespace &&
        l.marker?.lab === labName &&
        l.attachment?.parent?.netns !== ns.name
      )
        ops.push({
          kind: 'link.delete',
          netns: ns.name,
          ifname: l.ifname,
          object: l.marker.object,
          reason: `${l.kind} '${l.ifname}' in namespace '${ns.name}' belongs to lab '${labName}', which is being destroyed; deleted before its namespace so its parent is released at once`,
          inverse: null,
        });
    }
    ops.push({
      kind: 'netns.delete',
      netns: ns.name,
      object: ns.marker.object,
      reason: `namespace '${ns.name}' belongs to lab '${labName}', which is being destroyed`,
      inverse: null,
    });
  }

  const links = all.flatMap((ns) =>
    ns.links
      .filter((l) => l.kind !== 'loopback' && l.ifname !== 'lo' && l.marker?.lab === labName)
      .map((l) => ({ netns: ns.name, link: l })),
  );
  // Stable: veths (and anything else) before bridges, so ports are not released one by one first.
  links.sort((a, b) => Number(a.link.kind === 'bridge') - Number(b.link.kind === 'bridge'));
  for (const { netns, link } of links) {
    if (gone.has(key(netns, link.ifname))) continue;
    gone.add(key(netns, link.ifname));
    if (link.peer) gone.add(key(link.peer.netns, link.peer.ifname));
    const what = link.kind === 'bridge' ? 'bridge' : link.kind === 'veth' ? 'veth' : 'interface';
    ops.push({
      kind: 'link.delete',
      netns,
      ifname: link.ifname,
      object: link.marker!.object,
      reason: `${what} '${link.ifname}' in ${netns === null ? 'the root namespace' : `namespace '${netns}'`} belongs to lab '${labName}', which is being destroyed`,
      inverse: null,
    });
  }
  return { ops, errors: [] };
}

/**
 * Destroy's NAT part (feature ops, kept apart so planDestroy stays runnable by every driver): our nft
 * table goes, and the root's ip_forward is restored when we had turned it on and no other Netloom NAT is
 * left.
 */
export function planDestroyNat(labName: string, observed: ObservedState): Operation[] {
  const ops: Operation[] = [];
  for (const t of observed.nft ?? []) {
    if (t.marker?.lab !== labName) continue;
    planNatRemoval(
      t,
      observed,
      (_phase, op) => ops.push({ ...op, inverse: null }),
      `NAT table ${t.name} belongs to lab '${labName}', which is being destroyed`,
    );
  }
  // Table first, then the sysctl (the order does not matter to the kernel; it reads better).
  return ops.sort((a, b) => Number(a.kind === 'sysctl.set') - Number(b.kind === 'sysctl.set'));
}

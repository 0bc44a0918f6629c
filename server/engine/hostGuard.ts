/**
 * The host guard of the one write path (issue #13 item 2): every batch of operations the engine executes —
 * apply, destroy, rollback, recovery, adoption — passes here first, judged on a fresh observation. An
 * interface carrying the host's default route (root namespace, observed) is never deleted, set down, moved
 * (enslaved, or taken along by a namespace or a veth peer being deleted) or renamed: a mistake there cuts the
 * host, and whoever reaches it remotely, off. Pure.
 */
import type { AnyOpBody, NetnsRef, ObservedState } from './types';

/** Root interfaces the host's default routes (IPv4 and IPv6) leave by. */
export function defaultRouteDevs(observed: ObservedState): Set<string> {
  return new Set(
    observed.root.routes.filter((r) => r.to === 'default' && r.dev !== undefined).map((r) => r.dev as string),
  );
}

export interface GuardRefusal {
  /** Index of the refused operation in the batch. */
  index: number;
  /** The default-route interface it would harm. */
  ifname: string;
  message: string;
}

/**
 * Which root default-route interface deleting `ifname` in `netns` (or the whole namespace, `ifname`
 * undefined) would take with it: the interface itself, or the root end of a veth whose other end goes.
 */
function takes(observed: ObservedState, devs: Set<string>, netns: NetnsRef, ifname?: string): string | null {
  const ns = netns === null ? observed.root : observed.namespaces[netns];
  if (!ns) return null;
  for (const l of ns.links) {
    if (ifname !== undefined && l.ifname !== ifname) continue;
    if (netns === null && devs.has(l.ifname)) return l.ifname;
    if (l.peer && l.peer.netns === null && devs.has(l.peer.ifname)) return l.peer.ifname;
  }
  return null;
}

/** The first operation of `ops` that would harm an interface carrying the host's default route, or null. */
export function guardDefaultRoute(ops: readonly AnyOpBody[], observed: ObservedState): GuardRefusal | null {
  const devs = defaultRouteDevs(observed);
  if (!devs.size) return null;
  const refuse = (index: number, ifname: string, what: string): GuardRefusal => ({
    index,
    ifname,
    message: `'${ifname}' carries the host's default route; Netloom never ${what} it (the host would lose its connectivity)`,
  });
  for (const [index, op] of ops.entries()) {
    switch (op.kind) {
      case 'link.delete': {
        const hit = takes(observed, devs, op.netns, op.ifname);
        if (hit) return refuse(index, hit, hit === op.ifname && op.netns === null ? 'deletes' : 'deletes the veth of');
        break;
      }
      case 'netns.delete': {
        const hit = takes(observed, devs, op.netns);
        if (hit) return refuse(index, hit, `deletes namespace '${op.netns}' holding the veth of`);
        break;
      }
      case 'link.setUp':
        if (op.netns === null && !op.up && devs.has(op.ifname)) return refuse(index, op.ifname, 'sets down');
        break;
      case 'link.setMaster':
        if (op.netns === null && op.master !== null && devs.has(op.ifname))
          return refuse(index, op.ifname, `moves into bridge '${op.master}'`);
        break;
      case 'link.rename':
        if (op.netns === null && devs.has(op.from)) return refuse(index, op.from, 'renames');
        break;
      default:
        break;
    }
  }
  return null;
}

/**
 * Adoption of objects the host's default route depends on: a root interface carrying it, or a veth or
 * namespace whose deletion would take it along (a later destroy of the lab deletes what it adopted).
 * Refused unless the lab's host node sets `allowDefaultRouteInterface: true`.
 */
export function guardAdoption(
  targets: readonly { netns: NetnsRef; ifname: string; object: string }[],
  observed: ObservedState,
  allowed: boolean,
): string | null {
  if (allowed) return null;
  const devs = defaultRouteDevs(observed);
  if (!devs.size) return null;
  for (const t of targets) {
    const hit =
      t.ifname === 'lo' && t.netns !== null ? takes(observed, devs, t.netns) : takes(observed, devs, t.netns, t.ifname);
    if (hit)
      return `${hit === t.ifname && t.netns === null ? `'${hit}' carries` : `deleting it would take '${hit}' along, which carries`} the host's default route: '${t.object}' is adopted only when the lab's host node sets allowDefaultRouteInterface: true (even then, Netloom never deletes that interface)`;
  }
  return null;
}

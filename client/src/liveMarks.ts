/**
 * Live vs design for the inspector's kernel state (issue #15 item 5): which interfaces, addresses and routes the
 * kernel has because the design says so, and which are the kernel's own (`lo`, link-local addresses, routes
 * added by hand or by a program). Neighbours and FDB entries are always live (a design has none). Pure.
 */
import type { Lab } from '../../shared/lab';
import type { LiveRoute, NodeLiveResponse } from '../../shared/live';
import { canonicalCidr, canonicalIp, formatCidr, parseCidr, subnetOf } from '../../shared/net';

export type Origin = 'design' | 'live';

export interface MarkedLive {
  interfaces: { ifname: string; operstate: string; origin: Origin; addresses: { cidr: string; origin: Origin }[] }[];
  routes: (LiveRoute & { origin: Origin })[];
}

const canonNet = (c: string) => {
  const p = parseCidr(c);
  return p ? formatCidr(subnetOf(p)) : c;
};

export function markLive(lab: Lab, nodeId: string, live: NodeLiveResponse): MarkedLive {
  const node = lab.nodes.find((n) => n.id === nodeId);
  const designed = new Map<string, Set<string>>();
  const add = (ifname: string, cidrs: readonly string[]) =>
    designed.set(ifname, new Set([...(designed.get(ifname) ?? []), ...cidrs.map((c) => canonicalCidr(c) ?? c)]));
  for (const l of lab.links) for (const e of l.endpoints) if (e.node === nodeId) add(e.ifname, e.addresses);
  for (const b of lab.nodes) if (b.kind === 'bridge' && b.namespace === nodeId) add(b.name, b.addresses);
  if (node?.kind === 'namespace') for (const x of node.interfaces ?? []) add(x.name, x.addresses);
  const connected = new Set<string>();
  for (const [ifname, cidrs] of designed) for (const c of cidrs) connected.add(`${ifname}|${canonNet(c)}`);
  const routes = node?.kind === 'namespace' ? node.routes : [];
  const designedRoute = (r: LiveRoute): boolean => {
    const dst =
      r.dst === 'default' ? 'default' : canonNet(r.dst.includes('/') ? r.dst : `${r.dst}/${r.family === 4 ? 32 : 128}`);
    if (r.protocol === 'kernel' && r.dev && connected.has(`${r.dev}|${dst}`)) return true;
    return routes.some((d) => {
      const to = d.to === 'default' ? 'default' : canonNet(d.to);
      if (to !== dst) return false;
      if (d.via !== undefined && canonicalIp(d.via) !== (r.gateway ? canonicalIp(r.gateway) : undefined)) return false;
      if (d.dev !== undefined && d.dev !== r.dev) return false;
      return d.metric === undefined || d.metric === (r.metric ?? 0);
    });
  };
  return {
    interfaces: live.interfaces.map((i) => ({
      ifname: i.ifname,
      operstate: i.operstate,
      origin: designed.has(i.ifname) ? 'design' : 'live',
      addresses: i.addresses.map((cidr) => ({
        cidr,
        origin: designed.get(i.ifname)?.has(canonicalCidr(cidr) ?? cidr) ? 'design' : 'live',
      })),
    })),
    routes: live.routes.map((r) => ({ ...r, origin: designedRoute(r) ? 'design' : 'live' })),
  };
}

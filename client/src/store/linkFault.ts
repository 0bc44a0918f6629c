/**
 * The "set link down / up" teaching fault, as the kernel does it. Pure (lab in, lab out): setting an
 * interface down makes the kernel delete every route through it, and refuse to add one, so taking a link
 * down takes those routes out of the design too (named, so the canvas can say so); bringing it up puts them
 * back. No store, no I/O.
 */
import type { Endpoint, Lab, Route } from '../../../shared/lab';
import { validate } from '../../../shared/validate';

/** A route the link took away: which namespace node it belonged to. */
export interface SuspendedRoute {
  node: string;
  route: Route;
}

const sameRoute = (a: Route, b: Route) =>
  a.to === b.to && a.via === b.via && a.dev === b.dev && (a.metric ?? null) === (b.metric ?? null);

/** `ip route` text of a route, as a student would type it after `ip route add`. */
export function routeText(r: Route): string {
  return `${r.to}${r.via ? ` via ${r.via}` : ''}${r.dev ? ` dev ${r.dev}` : ''}${r.metric !== undefined ? ` metric ${r.metric}` : ''}`;
}

function withEnds(lab: Lab, linkId: string, up: boolean): Lab {
  return {
    ...lab,
    links: lab.links.map((l) =>
      l.id === linkId ? { ...l, endpoints: l.endpoints.map((e) => ({ ...e, up })) as [Endpoint, Endpoint] } : l,
    ),
  };
}

/** `nodes.i.routes.k` of every route the kernel refuses because its gateway is behind a down interface. */
function gatewayDown(lab: Lab): Set<string> {
  const out = new Set<string>();
  for (const i of validate(lab).issues)
    if (i.code === 'GatewayInterfaceDown' && i.path[0] === 'nodes' && i.path[2] === 'routes')
      out.add(`${i.path[1]}.${i.path[3]}`);
  return out;
}

/**
 * The lab with both ends of `linkId` down and, gone with them, the routes through it: those whose only way
 * to their gateway is a down end, and those naming a down end as their `dev`. Unknown link: unchanged.
 */
export function setLinkDown(lab: Lab, linkId: string): { lab: Lab; removed: SuspendedRoute[] } {
  const link = lab.links.find((l) => l.id === linkId);
  if (!link) return { lab, removed: [] };
  const down = withEnds(lab, linkId, false);
  const before = gatewayDown(lab);
  const after = gatewayDown(down);
  const ifnamesOf = new Map<string, Set<string>>();
  for (const e of link.endpoints) ifnamesOf.set(e.node, (ifnamesOf.get(e.node) ?? new Set()).add(e.ifname));
  const removed: SuspendedRoute[] = [];
  const nodes = down.nodes.map((n, i) => {
    if (n.kind !== 'namespace') return n;
    const mine = ifnamesOf.get(n.id);
    const keep = n.routes.filter((r, k) => {
      const through = (after.has(`${i}.${k}`) && !before.has(`${i}.${k}`)) || (r.dev !== undefined && mine?.has(r.dev));
      if (through) removed.push({ node: n.id, route: r });
      return !through;
    });
    return keep.length === n.routes.length ? n : { ...n, routes: keep };
  });
  return { lab: removed.length ? { ...down, nodes } : down, removed };
}

/** The lab with both ends of `linkId` up and `restore` put back (a route already there is not doubled). */
export function setLinkUp(lab: Lab, linkId: string, restore: readonly SuspendedRoute[] = []): Lab {
  const up = withEnds(lab, linkId, true);
  if (!restore.length) return up;
  return {
    ...up,
    nodes: up.nodes.map((n) => {
      if (n.kind !== 'namespace') return n;
      const back = restore.filter((s) => s.node === n.id && !n.routes.some((r) => sameRoute(r, s.route)));
      return back.length ? { ...n, routes: [...n.routes, ...back.map((s) => s.route)] } : n;
    }),
  };
}

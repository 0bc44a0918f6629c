/**
 * Interface names derived from a node's old name (`red-eth0`, `veth-red`, `br0-p1`), after the node was
 * renamed: what they would be called after the new name, and the lab with them renamed (plus the routes
 * and attached interfaces of that namespace that name them). Pure; no store, no I/O.
 */
import type { AttachedInterface, Lab, Route } from '../../../shared/lab';
import { IFNAME_MAX_BYTES, ifnameProblem } from '../../../shared/names';
import { ifnamesNear } from '../addressing';

export interface IfaceRename {
  /** Endpoint key `${linkId}#0|#1`. */
  key: string;
  from: string;
  to: string;
}

const reEscape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const bytes = (s: string) => new TextEncoder().encode(s).length;

/**
 * The ends of node `nodeId` whose interface name holds `oldName` as a whole token (between the start, the
 * end, "-", "_" or "."), each with the name it gets with `newName` instead; shortened to the kernel's 15 bytes
 * by cutting the name part, and left out when that would clash in the namespace or be no valid name.
 */
export function derivedRenames(lab: Lab, nodeId: string, oldName: string, newName: string): IfaceRename[] {
  if (!oldName || oldName === newName) return [];
  const token = new RegExp(`(^|[-_.])${reEscape(oldName)}(?=$|[-_.])`);
  const taken = ifnamesNear(lab, nodeId);
  const out: IfaceRename[] = [];
  for (const l of lab.links)
    l.endpoints.forEach((e, i) => {
      if (e.node !== nodeId) return;
      const m = token.exec(e.ifname);
      if (!m) return;
      const head = e.ifname.slice(0, m.index + m[1]!.length);
      const tail = e.ifname.slice(m.index + m[0].length);
      let part = newName;
      while (part.length > 1 && bytes(`${head}${part}${tail}`) > IFNAME_MAX_BYTES) part = part.slice(0, -1);
      const to = `${head}${part}${tail}`;
      if (to === e.ifname || ifnameProblem(to) !== null || taken.has(to) || out.some((o) => o.to === to)) return;
      out.push({ key: `${l.id}#${i}`, from: e.ifname, to });
    });
  return out;
}

/**
 * The lab with `renames` applied to the ends of node `nodeId`, and the names followed where this namespace
 * refers to them: its routes' `dev`, its VXLANs' underlay `dev`, its VLANs' `parent`.
 */
export function applyRenames(lab: Lab, nodeId: string, renames: readonly IfaceRename[]): Lab {
  if (!renames.length) return lab;
  const byKey = new Map(renames.map((r) => [r.key, r.to] as const));
  const byName = new Map(renames.map((r) => [r.from, r.to] as const));
  const ren = (n: string | undefined) => (n === undefined ? n : (byName.get(n) ?? n));
  const links = lab.links.map((l) => {
    if (!l.endpoints.some((_, i) => byKey.has(`${l.id}#${i}`))) return l;
    const endpoints = l.endpoints.map((e, i) => {
      const to = byKey.get(`${l.id}#${i}`);
      return to ? { ...e, ifname: to } : e;
    }) as typeof l.endpoints;
    return { ...l, endpoints };
  });
  const nodes = lab.nodes.map((n) => {
    if (n.id !== nodeId || n.kind !== 'namespace') return n;
    const routes: Route[] = n.routes.map((r) => (r.dev && byName.has(r.dev) ? { ...r, dev: ren(r.dev)! } : r));
    const interfaces = n.interfaces?.map((x): AttachedInterface => {
      if (x.kind === 'vxlan' && x.dev && byName.has(x.dev)) return { ...x, dev: ren(x.dev)! };
      if (x.kind === 'vlan' && byName.has(x.parent)) return { ...x, parent: ren(x.parent)! };
      return x;
    });
    return { ...n, routes, ...(interfaces ? { interfaces } : {}) };
  });
  return { ...lab, nodes, links };
}

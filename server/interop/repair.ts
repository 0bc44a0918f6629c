/**
 * Makes an imported lab valid: runs the shared validate(), and for every error removes (or renames) the
 * smallest part it points at — an address, a route, a field, an interface, at worst a link or a node —
 * noting each repair, with validate's own message, on the report item of the object concerned. Pure.
 */
import { formatPath, type Lab, type LabInput, validate } from '../../shared';
import type { Item } from './report';

type Json = Record<string, unknown>;
const MAX_ROUNDS = 200;

export function repairLab(input: LabInput, itemOf: (objectId: string) => Item | undefined, fallback: Item): Lab {
  let lab = structuredClone(input) as unknown as { nodes: Json[]; links: Json[] };
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const v = validate(lab);
    if (v.ok) return v.lab;
    const errors = v.issues.filter((i) => i.severity === 'error' && i.code !== 'TooManyIssues');
    // One repair per object per round: a removal shifts indices, so re-validate after each batch.
    const done = new Set<string>();
    const ops: { sortKey: string; run: () => boolean }[] = [];
    for (const issue of errors) {
      const p = issue.path;
      const where = formatPath(p);
      const [top, index] = p;
      if ((top !== 'nodes' && top !== 'links') || typeof index !== 'number') {
        throw new Error(`the imported lab cannot be repaired: ${where || '(document)'}: ${issue.message}`);
      }
      const objKey = `${top}/${index}`;
      if (done.has(objKey)) continue;
      done.add(objKey);
      const list = lab[top];
      const obj = list[index];
      if (!obj) continue;
      const id = String(obj.id ?? '');
      const item = itemOf(id) ?? fallback;
      const note = (what: string) => item.dropped(`${what}: ${issue.message}`);
      const rest = p.slice(2);
      ops.push({
        sortKey: `${top}/${String(index).padStart(6, '0')}`,
        run: () => {
          if (repairInside(obj, rest, note, top === 'links')) return false;
          list.splice(index, 1);
          if (top === 'links') {
            item.drop(`the link cannot be part of a valid lab: ${issue.message}`);
            return false;
          }
          item.drop(`the node cannot be part of a valid lab: ${issue.message}`);
          lab = dropDependents(lab, id, itemOf);
          return true;
        },
      });
    }
    // Highest indices first, so earlier indices stay valid.
    ops.sort((a, b) => (a.sortKey < b.sortKey ? 1 : -1));
    // A removed node takes links and bridges with it (new arrays): validate again before the next repair.
    for (const op of ops) if (op.run()) break;
  }
  throw new Error('the imported lab could not be made valid');
}

/** Repairs inside one node or link; false when only removing the whole object would do. */
function repairInside(obj: Json, rest: (string | number)[], note: (what: string) => void, isLink: boolean): boolean {
  if (rest.length === 0) return false;
  const [field, k, ...deeper] = rest;
  if (isLink) {
    if (field !== 'endpoints' || typeof k !== 'number' || deeper.length === 0) return false;
    const ep = (obj.endpoints as Json[])[k];
    if (!ep) return false;
    const [f2, m] = deeper;
    if (f2 === 'addresses' && typeof m === 'number') {
      const list = ep.addresses as string[];
      note(`address ${list[m]} on ${String(ep.ifname)}`);
      list.splice(m, 1);
      return true;
    }
    if (f2 === 'mtu' || f2 === 'mac' || f2 === 'impairment' || f2 === 'vlan') {
      note(`${f2} of ${String(ep.ifname)}`);
      delete ep[f2];
      return true;
    }
    if (f2 === 'ifname') {
      const old = String(ep.ifname);
      const next = `${old.slice(0, 12)}-${k}x`.replace(/^[-.]/, 'i');
      note(`interface name ${old} (renamed ${next})`);
      ep.ifname = next;
      return true;
    }
    return false;
  }
  if (field === 'routes' && typeof k === 'number') {
    const routes = obj.routes as Json[];
    const r = routes[k];
    note(`route to ${String(r?.to)}${r?.via ? ` via ${String(r.via)}` : ''}${r?.dev ? ` dev ${String(r.dev)}` : ''}`);
    routes.splice(k, 1);
    return true;
  }
  if (field === 'interfaces' && typeof k === 'number') {
    const list = obj.interfaces as Json[];
    const x = list[k];
    if (!x) return false;
    if (deeper[0] === 'addresses' && typeof deeper[1] === 'number') {
      const a = x.addresses as string[];
      note(`address ${a[deeper[1]]} on ${String(x.name)}`);
      a.splice(deeper[1], 1);
      return true;
    }
    if (deeper[0] === 'bridge') {
      note(`bridge port setting of ${String(x.name)}`);
      delete x.bridge;
      return true;
    }
    note(`${String(x.kind)} interface ${String(x.name)}`);
    list.splice(k, 1);
    if (list.length === 0) delete obj.interfaces;
    return true;
  }
  if (field === 'addresses' && typeof k === 'number') {
    const a = obj.addresses as string[];
    note(`address ${a[k]}`);
    a.splice(k, 1);
    return true;
  }
  if (field === 'name') {
    const old = String(obj.name);
    const next = `${String(obj.id)}`.slice(0, obj.kind === 'bridge' ? 15 : 64);
    if (next === old) return false;
    note(`name ${old} (renamed ${next})`);
    obj.name = next;
    return true;
  }
  if (typeof field === 'string' && field !== 'id' && field !== 'kind' && field !== 'namespace' && field in obj) {
    note(field);
    delete obj[field];
    return true;
  }
  return false;
}

/** After a node is removed: its links, and bridges placed in it. */
function dropDependents(
  lab: { nodes: Json[]; links: Json[] },
  id: string,
  itemOf: (objectId: string) => Item | undefined,
): { nodes: Json[]; links: Json[] } {
  const gone = new Set([id]);
  for (const n of lab.nodes) if (n.namespace === id) gone.add(String(n.id));
  const nodes = lab.nodes.filter((n) => {
    if (gone.has(String(n.id)) && n.id !== id) itemOf(String(n.id))?.drop(`it lived in node ${id}, which was dropped`);
    return !gone.has(String(n.id));
  });
  const links = lab.links.filter((l) => {
    const eps = l.endpoints as Json[];
    const hit = eps.some((e) => gone.has(String(e.node)));
    if (hit) itemOf(String(l.id))?.drop(`an end is on a node that was dropped (${id})`);
    return !hit;
  });
  return { nodes, links };
}

/**
 * Adopt: turn selected discovered objects into a lab that matches them exactly, plus the marker operations
 * (`link.setAlias` with `netloom:<lab>:<object>`: a namespace on its `lo`, bridges, veth ends) that make them
 * owned — run only when a person confirms, through the engine's one write path (`engine.adopt`: locked,
 * journaled, re-checked on a fresh observation, host-guarded — server/engine/adoption.ts). Until then nothing changes. After the markers
 * are set, plan(lab, observe()) is empty; `down` then removes exactly the adopted objects (and whatever the
 * kernel removes with them: everything inside an adopted namespace, devices stacked on an adopted link —
 * reported as warnings). Refuses any object already carrying a different marker or a foreign alias.
 */
import { type DiscoveredLab, endpointKey, type Lab, type ObjectInfo } from '../../shared';
import { formatMarker, parseMarker } from '../engine/marker';
import { plan } from '../engine/plan';
import type { NetnsRef, ObservedState, Operation } from '../engine/types';
import type { Discovery } from './discover';
import { makeValid, toLab } from './toLab';

export interface AdoptResult {
  lab: Lab;
  /** `link.setAlias` operations that mark the adopted objects; empty when they already carry these markers. */
  ops: Operation[];
  /** Objects pulled in because a selected one needs them (a link's nodes, a bridge's namespace). */
  added: string[];
  /** Objects that cannot be adopted (nothing may run while this is non-empty). */
  refused: { id: string; message: string }[];
  /** What plan(lab, host) would still do once the markers are set (empty when the lab matches exactly). */
  residual: Operation[];
  warnings: string[];
}

export interface AdoptOptions {
  includeMac?: boolean;
  /** A toLab() result of the same discovery (so ids match what the caller showed). */
  discovered?: DiscoveredLab;
}

const key = (netns: NetnsRef, ifname: string) => `${netns ?? ''}/${ifname}`;

export function adopt(discovery: Discovery, selection: readonly string[], labName: string, opts: AdoptOptions = {}) {
  const dl =
    opts.discovered ??
    toLab(discovery, { labName, ...(opts.includeMac !== undefined && { includeMac: opts.includeMac }) });
  const warnings: string[] = [];
  const refused: AdoptResult['refused'] = [];
  const nodes = new Map(dl.lab.nodes.map((n) => [n.id, n] as const));
  const links = new Map(dl.lab.links.map((l) => [l.id, l] as const));
  const want = new Set<string>();
  const added: string[] = [];
  const need = (id: string) => {
    if (want.has(id)) return;
    want.add(id);
    added.push(id);
  };
  for (const id of selection) {
    if (nodes.has(id) || links.has(id)) want.add(id);
    else if (dl.objects[id]?.kind === 'extra')
      refused.push({ id, message: `'${id}' cannot be expressed in a lab, so it cannot be adopted` });
    else refused.push({ id, message: `no discovered object '${id}'` });
  }
  const requested = new Set(want);
  for (const id of [...want]) {
    const l = links.get(id);
    if (l) for (const e of l.endpoints) if (!requested.has(e.node)) need(e.node);
  }
  for (const id of [...want]) {
    const n = nodes.get(id);
    if (n?.kind === 'bridge' && n.namespace && !want.has(n.namespace)) need(n.namespace);
  }
  const sub: Lab = {
    ...dl.lab,
    name: labName,
    title: `Adopted from the host`,
    nodes: dl.lab.nodes.filter((n) => want.has(n.id)),
    links: dl.lab.links.filter((l) => want.has(l.id)),
  };
  const lab = makeValid(sub, warnings);

  // ---- Marker operations.
  const ops: Operation[] = [];
  const mark = (id: string, info: ObjectInfo | undefined, netns: NetnsRef, ifname: string, what: string) => {
    const marker = formatMarker(labName, id);
    if (!info) {
      refused.push({ id, message: `'${id}' is not on the host any more` });
      return;
    }
    if (info.marker) {
      if (formatMarker(info.marker.lab, info.marker.object) === marker) return; // already ours
      refused.push({
        id,
        message: `${what} already belongs to Netloom lab '${info.marker.lab}' (object '${info.marker.object}')`,
      });
      return;
    }
    if (info.alias !== undefined && info.alias !== '') {
      refused.push({ id, message: `${what} carries the alias '${info.alias}'; clear it first to adopt it` });
      return;
    }
    ops.push({
      kind: 'link.setAlias',
      netns,
      ifname,
      alias: marker,
      object: id,
      reason: `adopt ${what} into lab '${labName}'`,
      inverse: { kind: 'link.setAlias', netns, ifname, alias: '' },
    });
  };
  for (const n of lab.nodes) {
    const info = dl.objects[n.id];
    if (n.kind === 'namespace') mark(n.id, info, n.name, 'lo', `namespace '${n.name}'`);
    else if (n.kind === 'bridge') mark(n.id, info, info?.netns ?? null, n.name, `bridge '${n.name}'`);
  }
  for (const l of lab.links)
    l.endpoints.forEach((e, i) => {
      const k = endpointKey(l.id, i as 0 | 1);
      const info = dl.objects[k];
      mark(k, info, info?.netns ?? null, e.ifname, `veth end '${e.ifname}'`);
    });

  // ---- What the kernel takes with the adopted objects when the lab is destroyed.
  const adoptedNs = new Set(lab.nodes.flatMap((n) => (n.kind === 'namespace' ? [n.name] : [])));
  const adoptedIf = new Set<string>();
  for (const o of Object.values(dl.objects))
    if ((o.kind === 'bridge' || o.kind === 'endpoint') && o.ifname && (want.has(o.id) || ownedBy(lab, o.id)))
      adoptedIf.add(key(o.netns, o.ifname));
  for (const x of dl.extras) {
    if (x.netns !== null && adoptedNs.has(x.netns) && x.ifname)
      warnings.push(
        `'${x.ifname}' (${x.kind}) is inside adopted namespace '${x.netns}': destroying the lab removes it too`,
      );
    else if (x.parent && adoptedIf.has(key(x.parent.netns, x.parent.ifname)) && x.ifname)
      warnings.push(
        `'${x.ifname}' (${x.kind}) sits on adopted '${x.parent.ifname}': destroying the lab removes it too`,
      );
  }

  // Root qdiscs (tc) of foreign links are not read in detail, and the lab does not carry them yet.
  for (const l of lab.links)
    l.endpoints.forEach((e, i) => {
      const info = dl.objects[endpointKey(l.id, i as 0 | 1)];
      const seen = info && (info.netns === null ? discovery.observed.root : discovery.observed.namespaces[info.netns]);
      const q = (seen?.links.find((x) => x.ifname === e.ifname) as { qdisc?: { kind: string } } | undefined)?.qdisc;
      if (q)
        warnings.push(
          `'${e.ifname}' has a '${q.kind}' root qdisc the lab does not describe; once adopted, an apply may replace it`,
        );
    });

  const after = refused.length ? { ops: [], errors: [] } : plan(lab, withMarkers(discovery.observed, ops));
  const residual = after.ops;
  for (const e of after.errors) warnings.push(`once adopted, the planner refuses this lab: ${e.message}`);
  if (residual.length)
    warnings.push(
      `the lab does not match the host exactly; applying it would still: ${residual
        .slice(0, 5)
        .map((o) => o.reason)
        .join('; ')}`,
    );
  return { lab, ops: refused.length ? [] : ops, added, refused, residual, warnings } satisfies AdoptResult;
}

function ownedBy(lab: Lab, id: string): boolean {
  return lab.nodes.some((n) => n.id === id) || lab.links.some((l) => id.startsWith(`${l.id}#`));
}

/** The observation as it will read once the marker operations have run (pure). */
export function withMarkers(observed: ObservedState, ops: readonly Operation[]): ObservedState {
  const s = structuredClone(observed);
  for (const op of ops) {
    if (op.kind !== 'link.setAlias') continue;
    const ns = op.netns === null ? s.root : s.namespaces[op.netns];
    const l = ns?.links.find((x) => x.ifname === op.ifname);
    if (!ns || !l) continue;
    l.alias = op.alias;
    l.marker = parseMarker(op.alias);
    if (op.ifname === 'lo' && op.netns !== null) ns.marker = l.marker;
  }
  return s;
}

/**
 * Three-way diff, pure: the design (stored lab), the lab last applied (engine record; null = never) and the
 * live host (ObservedState). Per lab object a badge — `in-sync`, `drifted`, `missing`, `foreign` — and per
 * differing field the design, applied and live values, who moved (`design` edited since apply, `host`
 * changed by hand, or `both`), and a patch that takes the live value into the design: a JSON path into the
 * lab and the value to put there (takeLive() applies it; the canvas can too).
 */
import {
  type Badge,
  endpointKey,
  type FieldDiff,
  type Lab,
  type LabDiff,
  type ObjectDiff,
  type Route,
} from '../../shared';
import { canonicalCidr, isManagedRoute, routeMatches } from '../engine/desired';
import { defaultMtu } from '../engine/status';
import type { Marker, NetnsRef, ObservedLink, ObservedNetns, ObservedState } from '../engine/types';
import { labRoute } from './toLab';

const sameSet = (a: readonly string[], b: readonly string[]) => {
  const x = [...new Set(a)].sort();
  const y = [...new Set(b)].sort();
  return x.length === y.length && x.every((v, i) => v === y[i]);
};
const canon = (xs: readonly string[] | undefined) => (xs ?? []).map(canonicalCidr);
const eq = (a: unknown, b: unknown) =>
  Array.isArray(a) && Array.isArray(b)
    ? sameSet(a as string[], b as string[])
    : JSON.stringify(a) === JSON.stringify(b);

function changedBy(design: unknown, live: unknown, applied: unknown, hasApplied: boolean): FieldDiff['changedBy'] {
  if (!hasApplied || applied === undefined) return 'unknown';
  const d = !eq(design, applied);
  const h = !eq(live, applied);
  return d && h ? 'both' : d ? 'design' : h ? 'host' : 'unknown';
}

const findLink = (ns: ObservedNetns | undefined, ifname: string) => ns?.links.find((l) => l.ifname === ifname);

export function diff(design: Lab, applied: Lab | null, live: ObservedState): LabDiff {
  const lab = design.name;
  const objects: ObjectDiff[] = [];
  const nodes = new Map(design.nodes.map((n) => [n.id, n] as const));
  const appliedNodes = new Map((applied?.nodes ?? []).map((n) => [n.id, n] as const));
  const appliedLinks = new Map((applied?.links ?? []).map((l) => [l.id, l] as const));
  const nsOf = (netns: NetnsRef) => (netns === null ? live.root : live.namespaces[netns]);
  const owned = (m: Marker | null | undefined, object: string) => m?.lab === lab && m.object === object;
  const hasApplied = applied !== null;

  const field = (
    out: FieldDiff[],
    name: FieldDiff['field'],
    d: unknown,
    l: unknown,
    a: unknown,
    path: (string | number)[] | null,
    value: unknown = l,
  ) => {
    if (eq(d, l)) return;
    out.push({
      field: name,
      design: d,
      live: l,
      ...(a !== undefined && { applied: a }),
      changedBy: changedBy(d, l, a, hasApplied),
      patch: path ? { path, value } : null,
    });
  };
  const badgeOf = (exists: boolean, isOwned: boolean, fields: FieldDiff[]): Badge =>
    !exists ? 'missing' : !isOwned ? 'foreign' : fields.length ? 'drifted' : 'in-sync';

  design.nodes.forEach((n, i) => {
    if (n.kind === 'namespace') {
      const o = live.namespaces[n.name];
      const fields: FieldDiff[] = [];
      const a = appliedNodes.get(n.id);
      const isOwned = !!o && owned(o.marker, n.id);
      if (o && isOwned) {
        field(
          fields,
          'forwarding',
          n.forwarding,
          o.forwarding ?? false,
          a?.kind === 'namespace' ? a.forwarding : undefined,
          ['nodes', i, 'forwarding'],
        );
        const liveRoutes = o.routes.filter(isManagedRoute);
        const routesOk =
          n.routes.length === liveRoutes.length && n.routes.every((r) => liveRoutes.some((x) => routeMatches(r, x)));
        if (!routesOk) {
          const lr = liveRoutes.map(labRoute);
          fields.push({
            field: 'routes',
            design: n.routes,
            live: lr,
            ...(a?.kind === 'namespace' && { applied: a.routes }),
            changedBy: hasApplied && a?.kind === 'namespace' ? routesChangedBy(n.routes, lr, a.routes) : 'unknown',
            patch: { path: ['nodes', i, 'routes'], value: lr },
          });
        }
      }
      objects.push({
        id: n.id,
        kind: 'namespace',
        badge: badgeOf(!!o, isOwned, fields),
        netns: n.name,
        ...(o && { marker: o.marker }),
        fields,
      });
    } else if (n.kind === 'bridge') {
      const netns = n.namespace ? ((nodes.get(n.namespace) as { name?: string } | undefined)?.name ?? null) : null;
      const l = findLink(nsOf(netns), n.name);
      const a = appliedNodes.get(n.id);
      const ab = a?.kind === 'bridge' ? a : undefined;
      const fields: FieldDiff[] = [];
      const isOwned = !!l && owned(l.marker, n.id);
      if (l && isOwned) {
        field(fields, 'addresses', canon(n.addresses), l.addresses, ab && canon(ab.addresses), [
          'nodes',
          i,
          'addresses',
        ]);
        if (n.mtu !== undefined) field(fields, 'mtu', n.mtu, l.mtu, ab?.mtu, ['nodes', i, 'mtu']);
        if (n.stp !== undefined) field(fields, 'stp', n.stp, l.stp ?? false, ab?.stp, ['nodes', i, 'stp']);
        field(fields, 'up', true, l.adminUp, ab ? true : undefined, null);
      }
      objects.push({
        id: n.id,
        kind: 'bridge',
        badge: badgeOf(!!l, isOwned, fields),
        netns,
        ifname: n.name,
        ...(l && { marker: l.marker }),
        fields,
      });
    }
  });

  design.links.forEach((link, j) => {
    const ends = link.endpoints.map((ep) => {
      const node = nodes.get(ep.node);
      const netns: NetnsRef =
        node?.kind === 'namespace'
          ? node.name
          : node?.kind === 'bridge' && node.namespace
            ? ((nodes.get(node.namespace) as { name?: string } | undefined)?.name ?? null)
            : null;
      return { ep, node, netns, live: findLink(nsOf(netns), ep.ifname) };
    });
    ends.forEach((e, k) => {
      const id = endpointKey(link.id, k as 0 | 1);
      const a = appliedLinks.get(link.id)?.endpoints[k];
      const fields: FieldDiff[] = [];
      const l = e.live;
      const isOwned = !!l && owned(l.marker, id);
      const base: (string | number)[] = ['links', j, 'endpoints', k];
      if (l && isOwned) {
        field(fields, 'addresses', canon(e.ep.addresses), l.addresses, a && canon(a.addresses), [...base, 'addresses']);
        if (e.ep.mtu !== undefined) field(fields, 'mtu', e.ep.mtu, l.mtu, a?.mtu, [...base, 'mtu']);
        // Unset in the design means the kernel's default: an MTU changed by hand away from it is reported.
        else if (l.mtu !== defaultMtu({ kind: 'veth' }))
          field(fields, 'mtu', `default ${defaultMtu({ kind: 'veth' })}`, l.mtu, a?.mtu, [...base, 'mtu']);
        if (e.ep.mac !== undefined && l.mac !== undefined)
          field(fields, 'mac', e.ep.mac.toLowerCase(), l.mac.toLowerCase(), a?.mac?.toLowerCase(), [...base, 'mac']);
        field(fields, 'up', e.ep.up, l.adminUp, a?.up, [...base, 'up']);
        const designMaster = e.node?.kind === 'bridge' ? e.node.name : null;
        const liveMaster = l.master ?? null;
        if (designMaster !== liveMaster) {
          // Taking the live master into the design = moving the end to that bridge's node (or off bridges).
          const target =
            liveMaster === null
              ? e.node?.kind === 'bridge'
                ? (e.node.namespace ?? design.nodes.find((x) => x.kind === 'host')?.id)
                : e.ep.node
              : design.nodes.find(
                  (x) =>
                    x.kind === 'bridge' &&
                    x.name === liveMaster &&
                    (x.namespace ? (nodes.get(x.namespace) as { name?: string })?.name : null) === e.netns,
                )?.id;
          const appliedMaster = a ? bridgeNameOf(applied!, a.node) : undefined;
          fields.push({
            field: 'master',
            design: designMaster,
            live: liveMaster,
            ...(appliedMaster !== undefined && { applied: appliedMaster }),
            changedBy: changedBy(designMaster, liveMaster, appliedMaster, hasApplied),
            patch: target ? { path: [...base, 'node'], value: target } : null,
          });
        }
        const other = ends[1 - k]!;
        const peerOk =
          l.peer !== undefined && l.peer !== null && l.peer.netns === other.netns && l.peer.ifname === other.ep.ifname;
        if (!peerOk)
          fields.push({
            field: 'peer',
            design: { netns: other.netns, ifname: other.ep.ifname },
            live: l.peer ? { netns: l.peer.netns, ifname: l.peer.ifname } : null,
            changedBy: 'unknown',
            patch: null,
          });
      }
      objects.push({
        id,
        kind: 'veth-end',
        badge: badgeOf(!!l, isOwned, fields),
        netns: e.netns,
        ifname: e.ep.ifname,
        ...(l && { marker: l.marker }),
        fields,
      });
    });
  });

  // ---- Owned by this lab on the host, but not (or not there) in the design.
  const known = new Set(objects.filter((o) => o.badge !== 'missing' && o.badge !== 'foreign').map((o) => o.id));
  const orphans: LabDiff['orphans'] = [];
  const all: ObservedNetns[] = [live.root, ...Object.values(live.namespaces)];
  for (const ns of all) {
    if (ns.name !== null && ns.marker?.lab === lab && !known.has(ns.marker.object))
      orphans.push({ netns: ns.name, object: ns.marker.object });
    for (const l of ns.links as ObservedLink[])
      if (l.ifname !== 'lo' && l.marker?.lab === lab && !known.has(l.marker.object))
        orphans.push({ netns: ns.name, ifname: l.ifname, object: l.marker.object });
  }

  const summary: Record<Badge, number> = { 'in-sync': 0, drifted: 0, missing: 0, foreign: 0 };
  for (const o of objects) summary[o.badge]++;
  return { lab, objects, orphans, summary };
}

function bridgeNameOf(lab: Lab, nodeId: string): string | null {
  const n = lab.nodes.find((x) => x.id === nodeId);
  return n?.kind === 'bridge' ? n.name : null;
}

function routesChangedBy(design: Route[], live: Route[], applied: Route[]): FieldDiff['changedBy'] {
  const key = (rs: Route[]) =>
    rs
      .map((r) => JSON.stringify([r.to, r.via ?? null, r.dev ?? null, r.metric ?? null]))
      .sort()
      .join('|');
  const d = key(design) !== key(applied);
  const h = key(live) !== key(applied);
  return d && h ? 'both' : d ? 'design' : h ? 'host' : 'unknown';
}

/** Takes the live value of one field into the design (pure: returns a new lab). */
export function takeLive(design: Lab, patch: NonNullable<FieldDiff['patch']>): Lab {
  const out = structuredClone(design) as unknown as Record<string | number, unknown>;
  let cur: Record<string | number, unknown> = out;
  for (const p of patch.path.slice(0, -1)) {
    const next = cur[p];
    if (next === null || typeof next !== 'object') throw new Error(`no such path in the lab: ${patch.path.join('.')}`);
    cur = next as Record<string | number, unknown>;
  }
  cur[patch.path[patch.path.length - 1]!] = structuredClone(patch.value);
  return out as unknown as Lab;
}

/**
 * Host-side addresses must not hijack the host's routing (issue #13 item 3). A prefix the lab puts in the
 * root namespace (host-node veth ends, root bridges, host-attached interfaces) or masquerades (NAT
 * `sources`) is a plan-time Conflict when it overlaps what the host already reaches through interfaces
 * Netloom does not own: their addresses, their routes, the default route's gateway, or the cloud metadata
 * address. A very short prefix (IPv4 shorter than /8, IPv6 shorter than /16) is a warning even where it
 * collides with nothing seen. Pure.
 */
import type { Lab } from '../../shared';
import { type Cidr, contains, overlaps, parseCidr, parseIp } from '../../shared/net';
import type { DesiredLab } from './desired';
import type { ObservedState, PlanError, PlanWarning } from './types';

/** Below these prefix lengths a root address swallows a large part of the address space. */
export const SHORT_PREFIX = { 4: 8, 6: 16 } as const;
const METADATA = parseIp('169.254.169.254')!;

interface Foreign {
  cidr: Cidr;
  what: string;
}

/** What the host reaches through interfaces Netloom does not own (root namespace). */
function foreignNetworks(observed: ObservedState): { nets: Foreign[]; gateways: { ip: string; dev: string }[] } {
  const foreign = new Set(
    observed.root.links.filter((l) => l.marker === null && l.kind !== 'loopback').map((l) => l.ifname),
  );
  const nets: Foreign[] = [];
  for (const l of observed.root.links) {
    if (!foreign.has(l.ifname)) continue;
    for (const a of l.addresses) {
      const c = parseCidr(a);
      if (c) nets.push({ cidr: c, what: `the host's address ${a} on '${l.ifname}'` });
    }
  }
  const gateways: { ip: string; dev: string }[] = [];
  for (const r of observed.root.routes) {
    if (r.dev !== undefined && !foreign.has(r.dev)) continue;
    if (r.to === 'default') {
      if (r.via) gateways.push({ ip: r.via, dev: r.dev ?? '?' });
      continue;
    }
    const c = parseCidr(r.to.includes('/') ? r.to : `${r.to}/${r.to.includes(':') ? 128 : 32}`);
    if (c) nets.push({ cidr: c, what: `the host's route to ${r.to}${r.dev ? ` on '${r.dev}'` : ''}` });
  }
  return { nets, gateways };
}

export interface HostAddressIssues {
  errors: PlanError[];
  warnings: PlanWarning[];
}

/**
 * Conflicts and warnings for the root-namespace prefixes and NAT sources of `desired`, judged on `observed`.
 * `paths` maps a lab object (endpoint key, bridge id, host node id) to its JSON path.
 */
export function hostAddressIssues(
  desired: DesiredLab,
  observed: ObservedState,
  paths: ReadonlyMap<string, string> = new Map(),
): HostAddressIssues {
  const errors: PlanError[] = [];
  const warnings: PlanWarning[] = [];
  const { nets, gateways } = foreignNetworks(observed);
  const judge = (text: string, object: string, path: string | undefined, where: string) => {
    const c = parseCidr(text);
    if (!c) return;
    const at = path !== undefined ? { path } : {};
    const hit =
      nets.find((n) => overlaps(n.cidr, c))?.what ??
      gateways.find((g) => {
        const ip = parseIp(g.ip);
        return ip !== null && contains(c, ip);
      }) ??
      (contains(c, METADATA) ? 'the cloud metadata address 169.254.169.254' : undefined);
    if (hit !== undefined) {
      const what = typeof hit === 'string' ? hit : `the host's default gateway ${hit.ip} (via '${hit.dev}')`;
      errors.push({
        code: 'Conflict',
        message: `${where} ${text} overlaps ${what}: in the host's root namespace it would take over the host's own routing`,
        ...at,
        object,
      });
    } else if (c.prefix < SHORT_PREFIX[c.family]) {
      warnings.push({
        code: 'ShortPrefix',
        message: `${where} ${text} is a very short prefix (/${c.prefix}) in the host's root namespace: it routes a large part of the ${c.family === 4 ? 'IPv4' : 'IPv6'} address space into the lab`,
        ...at,
        object,
      });
    }
  };
  for (const d of desired.ifaces) {
    if (d.netns !== null) continue;
    const base = paths.get(d.object);
    d.addresses.forEach((a, i) => {
      judge(a, d.object, base !== undefined ? `${base}.addresses.${i}` : undefined, `address of '${d.ifname}'`);
    });
  }
  if (desired.nat) {
    const base = paths.get(desired.nat.object);
    const nat = desired.nat;
    nat.sources.forEach((s, i) => {
      judge(s, nat.object, base !== undefined ? `${base}.nat.sources.${i}` : undefined, 'NAT source');
    });
  }
  return { errors, warnings };
}

/** JSON paths of the objects judged here: bridges and the host node (`nodes.i`), veth ends (`links.i.endpoints.e`). */
export function objectPaths(lab: Lab): Map<string, string> {
  const paths = new Map<string, string>();
  lab.nodes.forEach((n, i) => {
    paths.set(n.id, `nodes.${i}`);
  });
  lab.links.forEach((l, i) => {
    l.endpoints.forEach((_, e) => {
      paths.set(`${l.id}#${e}`, `links.${i}.endpoints.${e}`);
    });
  });
  return paths;
}

/**
 * Pure judges of the cheap goal checks (namespace, interface, address, route, forwarding) against one
 * observation of the live host — every object by its kernel name, foreign ones included, so `ip` typed in a
 * terminal counts as much as a canvas edit. No I/O; a verdict's reason says what was seen, without timings
 * (a reason changes only when the host does).
 */
import { type Check, HOST_PLACE } from '../../shared';
import { type Cidr, canonicalCidr, canonicalIp, contains, parseCidr, parseIp } from '../../shared/net';
import type { ObservedLink, ObservedNetns, ObservedRoute, ObservedState } from '../engine/types';

export interface Verdict {
  met: boolean;
  reason: string;
}

/** The observed namespace behind a place name (`host` = the root), or null when there is none. */
export function placeOf(obs: ObservedState, place: string): ObservedNetns | null {
  return place === HOST_PLACE ? obs.root : (obs.namespaces[place] ?? null);
}

/** Whose addresses: the place holding `ip` as a global address, or null. */
export function ownerOf(obs: ObservedState, ip: string): string | null {
  const want = canonicalIp(ip);
  if (want === null) return null;
  const holds = (ns: ObservedNetns) => ns.links.some((l) => l.addresses.some((a) => a.split('/')[0] === want));
  if (holds(obs.root)) return HOST_PLACE;
  for (const [name, ns] of Object.entries(obs.namespaces)) if (holds(ns)) return name;
  return null;
}

const where = (place: string) => (place === HOST_PLACE ? 'the host' : place);
const noPlace = (place: string): Verdict => ({ met: false, reason: `there is no namespace ${place}` });

const carrierOf = (l: ObservedLink): boolean => l.operstate === 'UP' || (l.operstate === 'UNKNOWN' && l.adminUp);
const peerText = (p: ObservedLink['peer']) =>
  p ? `${p.ifname} in ${p.netns === null ? 'the host' : p.netns}` : 'an end Netloom cannot see';

function judgeInterface(c: Extract<Check, { kind: 'interface' }>, obs: ObservedState): Verdict {
  const ns = placeOf(obs, c.netns);
  if (!ns) return noPlace(c.netns);
  const l = ns.links.find((x) => x.ifname === c.dev);
  const name = `${c.dev} in ${where(c.netns)}`;
  if (!c.present) return l ? { met: false, reason: `${name} still exists` } : { met: true, reason: `${name} is gone` };
  if (!l) return { met: false, reason: `there is no interface ${name}` };
  const wrong: string[] = [];
  if (c.type !== undefined && l.kind !== c.type) wrong.push(`it is a ${l.kind || 'device'}, not a ${c.type}`);
  if (c.up !== undefined && l.adminUp !== c.up) wrong.push(c.up ? 'it is down' : 'it is up');
  if (c.carrier !== undefined && carrierOf(l) !== c.carrier)
    wrong.push(c.carrier ? `it has no carrier (${l.operstate})` : `it has carrier (${l.operstate})`);
  if (c.mtu !== undefined && l.mtu !== c.mtu) wrong.push(`its MTU is ${l.mtu}, not ${c.mtu}`);
  if (c.master !== undefined && (l.master ?? null) !== c.master)
    wrong.push(
      c.master === null
        ? `it is a port of ${l.master}`
        : l.master
          ? `it is a port of ${l.master}, not of ${c.master}`
          : `it is not a port of ${c.master}`,
    );
  if (c.peer !== undefined) {
    const p = l.peer;
    const ok = p && p.ifname === c.peer.dev && (p.netns ?? HOST_PLACE) === c.peer.netns;
    if (l.kind !== 'veth') wrong.push('it is not a veth');
    else if (!ok) wrong.push(`its other end is ${peerText(p)}, not ${c.peer.dev} in ${where(c.peer.netns)}`);
  }
  if (c.vni !== undefined && l.vxlan?.vni !== c.vni)
    wrong.push(l.vxlan ? `its VNI is ${l.vxlan.vni}, not ${c.vni}` : 'it is not a VXLAN device');
  if (wrong.length) return { met: false, reason: `${name}: ${wrong.join('; ')}` };
  const facts = [
    c.type ?? l.kind,
    c.up !== undefined || c.carrier !== undefined ? (carrierOf(l) ? 'up with carrier' : l.adminUp ? 'up' : 'down') : '',
    c.mtu !== undefined ? `MTU ${l.mtu}` : '',
    c.master ? `port of ${c.master}` : '',
    c.peer ? `joined to ${c.peer.dev} in ${where(c.peer.netns)}` : '',
    c.vni !== undefined ? `VNI ${c.vni}` : '',
  ].filter(Boolean);
  return { met: true, reason: `${name}: ${facts.join(', ')}` };
}

function judgeAddress(c: Extract<Check, { kind: 'address' }>, obs: ObservedState): Verdict {
  const ns = placeOf(obs, c.netns);
  if (!ns) return noPlace(c.netns);
  const withPrefix = c.address.includes('/');
  const want = withPrefix ? canonicalCidr(c.address) : canonicalIp(c.address);
  const matches = (a: string) => (withPrefix ? a === want : a.split('/')[0] === want);
  const links = c.dev === undefined ? ns.links : ns.links.filter((l) => l.ifname === c.dev);
  const on = links.find((l) => l.addresses.some(matches));
  const subject = c.dev ? `${c.dev} in ${where(c.netns)}` : where(c.netns);
  if (c.dev !== undefined && !links.length) return { met: !c.present, reason: `there is no interface ${subject}` };
  if (on && c.present) return { met: true, reason: `${want} is on ${on.ifname} in ${where(c.netns)}` };
  if (on) return { met: false, reason: `${want} is still on ${on.ifname} in ${where(c.netns)}` };
  if (!c.present) return { met: true, reason: `${subject} does not have ${want}` };
  const has = links.flatMap((l) => l.addresses);
  return {
    met: false,
    reason: `${subject} does not have ${want}${has.length ? ` (it has ${has.slice(0, 4).join(', ')})` : ' (no address)'}`,
  };
}

const routeText = (r: ObservedRoute) =>
  [r.to, r.via ? `via ${r.via}` : '', r.dev ? `dev ${r.dev}` : ''].filter(Boolean).join(' ');

/** The route the kernel would pick for `dst` in the main table: longest prefix, then lowest metric. */
export function lookupRoute(routes: readonly ObservedRoute[], dst: string): ObservedRoute | null {
  const addr = parseIp(dst);
  if (!addr) return null;
  let best: { r: ObservedRoute; prefix: number; metric: number } | null = null;
  for (const r of routes) {
    if (r.family !== addr.family) continue;
    const net: Cidr | null = r.to === 'default' ? { family: addr.family, value: 0n, prefix: 0 } : parseCidr(r.to);
    if (!net || !contains(net, addr)) continue;
    const metric = r.metric ?? 0;
    if (!best || net.prefix > best.prefix || (net.prefix === best.prefix && metric < best.metric))
      best = { r, prefix: net.prefix, metric };
  }
  return best?.r ?? null;
}

function judgeRoute(c: Extract<Check, { kind: 'route' }>, obs: ObservedState): Verdict {
  const ns = placeOf(obs, c.netns);
  if (!ns) return noPlace(c.netns);
  const via = c.via === undefined ? undefined : (canonicalIp(c.via) ?? c.via);
  const fits = (r: ObservedRoute) => (via === undefined || r.via === via) && (c.dev === undefined || r.dev === c.dev);
  const want = [c.via ? `via ${via}` : '', c.dev ? `dev ${c.dev}` : ''].filter(Boolean).join(' ');
  const at = where(c.netns);
  if (c.dst !== undefined) {
    const r = lookupRoute(ns.routes, c.dst);
    if (!r)
      return c.present
        ? { met: false, reason: `${at} has no route for ${c.dst}` }
        : { met: true, reason: `${at} has no route for ${c.dst}` };
    const ok = fits(r);
    const seen = `${at} sends ${c.dst} by ${routeText(r)}`;
    if (c.present) return { met: ok, reason: ok ? seen : `${seen}, not ${want}` };
    return { met: !ok, reason: seen };
  }
  const family = c.to === 'default' ? (via?.includes(':') ? 6 : 4) : c.to?.includes(':') ? 6 : 4;
  const to: string = c.to === 'default' ? 'default' : (canonicalCidr(c.to ?? '') ?? c.to ?? '');
  const same = ns.routes.filter((r) => r.to === to && r.family === family);
  const hit = same.find(fits);
  const label = `${to}${want ? ` ${want}` : ''}`;
  if (c.present) {
    if (hit) return { met: true, reason: `${at} has the route ${routeText(hit)}` };
    if (same.length) return { met: false, reason: `${at} has the route ${routeText(same[0]!)}, not ${label}` };
    return { met: false, reason: `${at} has no route ${label}` };
  }
  return hit
    ? { met: false, reason: `${at} still has the route ${routeText(hit)}` }
    : { met: true, reason: `${at} has no route ${label}` };
}

/**
 * The verdict of a state check (namespace, interface, address, route, forwarding) on `obs`. Probe kinds
 * (reach, path, capture, service, agree) are not judged here: see probes.ts.
 */
export function judgeState(c: Check, obs: ObservedState): Verdict {
  switch (c.kind) {
    case 'namespace': {
      const there = obs.namespaces[c.netns] !== undefined;
      if (c.present)
        return { met: there, reason: there ? `namespace ${c.netns} exists` : `there is no namespace ${c.netns}` };
      return { met: !there, reason: there ? `namespace ${c.netns} still exists` : `namespace ${c.netns} is gone` };
    }
    case 'interface':
      return judgeInterface(c, obs);
    case 'address':
      return judgeAddress(c, obs);
    case 'route':
      return judgeRoute(c, obs);
    case 'forwarding': {
      const ns = placeOf(obs, c.netns);
      if (!ns) return noPlace(c.netns);
      const on = ns.ipv4Forward === true;
      return { met: on === c.on, reason: `IPv4 forwarding is ${on ? 'on' : 'off'} in ${where(c.netns)}` };
    }
    default:
      throw new Error(`judgeState: ${c.kind} is a probe`);
  }
}

/**
 * What probes depend on: the observation without counters (they move all the time). Equal fingerprints mean
 * no link, address, route, forwarding or NAT change that a ping, traceroute or capture could notice.
 */
export function fingerprint(obs: ObservedState): string {
  return JSON.stringify(obs, (k, v) => (k === 'counters' ? undefined : v));
}

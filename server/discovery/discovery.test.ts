/**
 * Pure tests of toLab / adopt / diff on fixture observations (no kernel): ids, ownership, extras, validity,
 * marker operations and their safety rules, the empty residual plan, three-way badges and take-live patches.
 */
import { describe, expect, it } from 'vitest';
import { type Lab, validate } from '../../shared';
import { parseMarker } from '../engine/marker';
import { plan } from '../engine/plan';
import type { NetnsRef, ObservedLink, ObservedNetns, ObservedRoute, ObservedState } from '../engine/types';
import { adopt, withMarkers } from './adopt';
import { diff, takeLive } from './diff';
import type { DiscoveredLink, DiscoveredNetns, Discovery } from './discover';
import { recreateScript } from './report';
import { safeIdPart, toLab } from './toLab';

let nextIndex = 10;
function link(netns: NetnsRef, ifname: string, kind: string, extra: Partial<DiscoveredLink> = {}): DiscoveredLink {
  return {
    netns,
    ifindex: nextIndex++,
    ifname,
    kind,
    marker: parseMarker(extra.alias),
    adminUp: true,
    operstate: 'UP',
    mtu: 1500,
    addresses: [],
    ...extra,
  };
}
const lo = (netns: NetnsRef, alias?: string) =>
  link(netns, 'lo', 'loopback', { ...(alias && { alias }), mtu: 65536, operstate: 'UNKNOWN' });

function pair(a: DiscoveredLink, b: DiscoveredLink): void {
  a.peer = { netns: b.netns, ifname: b.ifname, ifindex: b.ifindex };
  b.peer = { netns: a.netns, ifname: a.ifname, ifindex: a.ifindex };
}

function ns(
  ref: NetnsRef,
  links: DiscoveredLink[],
  routes: ObservedRoute[] = [],
  more: Partial<DiscoveredNetns> = {},
): DiscoveredNetns {
  const l = links.find((x) => x.ifname === 'lo');
  return {
    ref,
    source: ref === null ? 'root' : ref.startsWith('pid:') ? 'process' : 'named',
    marker: ref === null ? null : (l?.marker ?? null),
    forwarding: false,
    links,
    routes,
    ...more,
  };
}

function discovery(all: DiscoveredNetns[]): Discovery {
  const toObserved = (n: DiscoveredNetns): ObservedNetns => ({
    name: n.ref,
    marker: n.marker,
    forwarding: n.forwarding ?? false,
    links: n.links.map(({ parent: _p, detail: _d, ...l }) => l as ObservedLink),
    routes: n.routes,
  });
  const root = all.find((n) => n.ref === null)!;
  const observed: ObservedState = {
    root: toObserved(root),
    namespaces: Object.fromEntries(all.filter((n) => n.source === 'named').map((n) => [n.ref, toObserved(n)])),
  };
  return { at: '2026-01-01T00:00:00Z', observed, namespaces: all, warnings: [], durationMs: 1 };
}

/** Root bridge br0 with red on it; blue wired to the host; router with a bridge inside; macvlan; a process ns. */
function sample(): Discovery {
  const br0 = link(null, 'br0', 'bridge', { addresses: ['10.0.0.1/24'] });
  const vred = link(null, 'vred', 'veth', { master: 'br0' });
  const redEth = link('red.lan', 'eth0', 'veth', { addresses: ['10.0.0.2/24'] });
  pair(vred, redEth);
  const hblue = link(null, 'hblue', 'veth', { addresses: ['10.1.0.1/24'] });
  const blueEth = link('blue', 'eth0', 'veth', { addresses: ['10.1.0.2/24', 'fd00::2/64'], mtu: 1400 });
  hblue.mtu = 1400;
  pair(hblue, blueEth);
  const lan = link('blue', 'lan', 'bridge', { stp: true });
  const p1 = link('blue', 'p1', 'veth', { master: 'lan' });
  const p2 = link('blue', 'p2', 'veth', { master: 'lan', adminUp: false });
  pair(p1, p2);
  const mv = link('red.lan', 'mv0', 'macvlan', {
    parent: { netns: null, ifname: 'hblue' },
    detail: { mode: 'bridge' },
  });
  const toproc = link(null, 'toproc', 'veth');
  const inproc = link('pid:42', 'inproc', 'veth', { addresses: ['192.168.9.2/24'] });
  pair(toproc, inproc);
  return discovery([
    ns(null, [lo(null), br0, vred, hblue, toproc]),
    ns(
      'blue',
      [lo('blue'), blueEth, lan, p1, p2],
      [
        { family: 4, to: 'default', via: '10.1.0.1', dev: 'eth0', protocol: 'static' },
        { family: 4, to: '10.1.0.0/24', dev: 'eth0', protocol: 'kernel' },
        { family: 6, to: 'fd00::/64', dev: 'eth0', protocol: 'kernel', metric: 256 },
        { family: 6, to: 'fd99::/64', via: 'fd00::1', dev: 'eth0', protocol: 'static', metric: 1024 },
      ],
      { forwarding: true },
    ),
    ns(
      'red.lan',
      [lo('red.lan'), redEth, mv],
      [
        // Gateway on no connected subnet: not expressible, dropped with a warning.
        { family: 4, to: '172.16.0.0/16', via: '192.0.2.1', dev: 'eth0', protocol: 'static' },
      ],
    ),
    ns('pid:42', [lo('pid:42'), inproc], [], { pid: 42, comm: 'sleep', inode: 4026532999 }),
  ]);
}

describe('toLab', () => {
  it('ids are safe and deterministic', () => {
    expect(safeIdPart('red.lan')).toBe('red_lan');
    const a = toLab(sample());
    const b = toLab(sample());
    expect(a.lab.nodes.map((n) => n.id)).toEqual(b.lab.nodes.map((n) => n.id));
    expect(a.lab.nodes.map((n) => n.id)).toEqual(['host', 'ns-blue', 'ns-red_lan', 'br-br0', 'br-blue-lan']);
    for (const id of Object.keys(a.objects)) expect(id).toMatch(/^[A-Za-z][A-Za-z0-9_-]{0,47}(#[01])?$/);
  });

  it('colliding derived ids get a suffix', () => {
    const d = discovery([ns(null, [lo(null)]), ns('a.b', [lo('a.b')]), ns('a_b', [lo('a_b')])]);
    expect(toLab(d).lab.nodes.map((n) => n.id)).toEqual(['ns-a_b', 'ns-a_b-2']);
  });

  it('maps namespaces, bridges, veths (to bridges, namespaces and the host), routes and forwarding; valid', () => {
    const { lab, extras, objects, warnings } = toLab(sample(), { labName: 'seen' });
    expect(validate(lab).ok).toBe(true);
    expect(lab.name).toBe('seen');
    const blue = lab.nodes.find((n) => n.id === 'ns-blue');
    expect(blue).toMatchObject({
      kind: 'namespace',
      name: 'blue',
      forwarding: true,
      routes: [
        { to: 'default', via: '10.1.0.1', dev: 'eth0' },
        { to: 'fd99::/64', via: 'fd00::1', dev: 'eth0' },
      ],
    });
    expect(lab.nodes.find((n) => n.id === 'br-blue-lan')).toMatchObject({ namespace: 'ns-blue', stp: true });
    expect(lab.links.map((l) => [l.id, l.endpoints.map((e) => `${e.node}:${e.ifname}`)])).toEqual([
      ['veth-vred-eth0', ['br-br0:vred', 'ns-red_lan:eth0']],
      ['veth-hblue-eth0', ['host:hblue', 'ns-blue:eth0']],
      ['veth-p1-p2', ['br-blue-lan:p1', 'br-blue-lan:p2']],
    ]);
    expect(lab.links[1]!.endpoints[1]).toMatchObject({ mtu: 1400, addresses: ['10.1.0.2/24', 'fd00::2/64'] });
    expect(lab.links[2]!.endpoints[1]!.up).toBe(false);
    expect(lab.links[0]!.endpoints[0]!.mac).toBeUndefined();
    // Not expressible: the route with an unreachable gateway.
    const red = lab.nodes.find((n) => n.id === 'ns-red_lan');
    expect(red?.kind === 'namespace' && red.routes).toEqual([]);
    expect(warnings.some((w) => w.includes('172.16.0.0/16'))).toBe(true);
    // Extras: the macvlan with its parent, both ends of the veth into the process-held namespace, that namespace.
    expect(extras.map((x) => [x.kind, x.netns, x.ifname ?? null, x.node ?? null])).toEqual([
      ['veth', null, 'toproc', 'host'],
      ['macvlan', 'red.lan', 'mv0', 'ns-red_lan'],
      ['netns', 'pid:42', null, null],
      ['veth', 'pid:42', 'inproc', null],
    ]);
    expect(extras[1]).toMatchObject({ parent: { netns: null, ifname: 'hblue' }, detail: { mode: 'bridge' } });
    expect(extras[2]).toMatchObject({ pid: 42, comm: 'sleep' });
    expect(extras[3]).toMatchObject({ peer: { netns: null, ifname: 'toproc' }, addresses: ['192.168.9.2/24'] });
    expect(objects['veth-vred-eth0#1']).toMatchObject({ netns: 'red.lan', ifname: 'eth0', ownership: 'foreign' });
    expect(objects['br-blue-lan']).toMatchObject({ kind: 'bridge', netns: 'blue', ownership: 'foreign' });
  });

  it('owned objects keep their marker ids and report their owner; MACs only on request', () => {
    const a = link(null, 'ha', 'veth', { alias: 'netloom:lab1:cable#0', mac: '02:00:00:00:00:01' });
    const b = link('x', 'eth0', 'veth', { alias: 'netloom:lab1:cable#1', mac: '02:00:00:00:00:02' });
    pair(a, b);
    const d = discovery([ns(null, [lo(null), a]), ns('x', [lo('x', 'netloom:lab1:nodex'), b])]);
    const { lab, objects } = toLab(d, { includeMac: true });
    expect(lab.nodes.map((n) => n.id)).toEqual(['host', 'nodex']);
    expect(lab.links[0]!.id).toBe('cable');
    expect(lab.links[0]!.endpoints.map((e) => e.mac)).toEqual(['02:00:00:00:00:01', '02:00:00:00:00:02']);
    expect(objects['cable#1']).toMatchObject({ ownership: 'owned', marker: { lab: 'lab1', object: 'cable#1' } });
    expect(objects.nodex).toMatchObject({ ownership: 'owned', marker: { lab: 'lab1', object: 'nodex' } });
  });

  it('overlapping subnets in one namespace drop the offending address, never the whole lab', () => {
    const a = link(null, 'h1', 'veth');
    const b = link('x', 'e1', 'veth', { addresses: ['10.0.0.2/24'] });
    const c = link(null, 'h2', 'veth');
    const e = link('x', 'e2', 'veth', { addresses: ['10.0.0.3/16'] });
    pair(a, b);
    pair(c, e);
    const r = toLab(discovery([ns(null, [lo(null), a, c]), ns('x', [lo('x'), b, e])]));
    expect(validate(r.lab).ok).toBe(true);
    expect(r.lab.links).toHaveLength(2);
    expect(r.warnings.some((w) => w.startsWith('left out an address'))).toBe(true);
  });

  it('the re-creation script creates everything from nothing', () => {
    const text = recreateScript(toLab(sample()));
    expect(text).toContain('ip netns add red.lan');
    expect(text).toContain('ip -n blue link add name lan type bridge stp_state 1');
    expect(text).toContain('# not recreated: macvlan mv0');
  });
});

describe('adopt', () => {
  it('selects with dependencies, marks exactly, and leaves an empty plan', () => {
    const d = sample();
    const a = adopt(d, ['veth-hblue-eth0', 'br-blue-lan'], 'mine');
    expect(a.refused).toEqual([]);
    expect(a.added).toEqual(['host', 'ns-blue']);
    expect(a.lab.nodes.map((n) => n.id)).toEqual(['host', 'ns-blue', 'br-blue-lan']);
    expect(validate(a.lab).ok).toBe(true);
    expect(a.ops.map((o) => (o.kind === 'link.setAlias' ? [o.kind, o.netns, o.ifname, o.alias] : [o.kind]))).toEqual([
      ['link.setAlias', 'blue', 'lo', 'netloom:mine:ns-blue'],
      ['link.setAlias', 'blue', 'lan', 'netloom:mine:br-blue-lan'],
      ['link.setAlias', null, 'hblue', 'netloom:mine:veth-hblue-eth0#0'],
      ['link.setAlias', 'blue', 'eth0', 'netloom:mine:veth-hblue-eth0#1'],
    ]);
    // Nothing owned yet: the plan refuses (Conflict); once marked, it plans nothing.
    expect(plan(a.lab, d.observed).errors.length).toBeGreaterThan(0);
    expect(a.residual).toEqual([]);
    expect(plan(a.lab, withMarkers(d.observed, a.ops))).toEqual({ ops: [], errors: [] });
  });

  it('adopting everything: only the route the lab cannot express remains; what dies with it is a warning', () => {
    const d = sample();
    const dl = toLab(d, { labName: 'all' });
    const a = adopt(d, [...dl.lab.nodes.map((n) => n.id), ...dl.lab.links.map((l) => l.id)], 'all');
    expect(a.refused).toEqual([]);
    // The fixture's route via an unconnected gateway was left out of the lab, so apply would remove it.
    expect(a.residual.map((o) => [o.kind, o.kind === 'route.del' && o.route.to])).toEqual([
      ['route.del', '172.16.0.0/16'],
    ]);
    expect(a.warnings.some((w) => w.includes('applying it would still'))).toBe(true);
    expect(a.warnings.some((w) => w.includes("'mv0'"))).toBe(true);
    const clean = sample();
    clean.observed.namespaces['red.lan']!.routes = [];
    clean.namespaces.find((n) => n.ref === 'red.lan')!.routes = [];
    const b = adopt(clean, [...dl.lab.nodes.map((n) => n.id), ...dl.lab.links.map((l) => l.id)], 'all');
    expect(b.residual).toEqual([]);
    expect(plan(b.lab, withMarkers(clean.observed, b.ops))).toEqual({ ops: [], errors: [] });
  });

  it('refuses unknown ids, extras, other labs’ objects and foreign aliases; re-adopting is a no-op', () => {
    const d = sample();
    const dl = toLab(d);
    const extra = dl.extras.find((x) => x.ifname === 'mv0')!.id;
    expect(adopt(d, ['nope', extra], 'mine').refused.map((r) => r.id)).toEqual(['nope', extra]);
    expect(adopt(d, ['nope'], 'mine').ops).toEqual([]);

    const owned = discovery([ns(null, [lo(null)]), ns('x', [lo('x', 'netloom:other:ns-x')])]);
    const r1 = adopt(owned, ['ns-x'], 'mine');
    expect(r1.refused[0]!.message).toContain("lab 'other'");
    expect(r1.ops).toEqual([]);
    const mine = adopt(owned, ['ns-x'], 'other');
    expect(mine.refused).toEqual([]);
    expect(mine.ops).toEqual([]);

    const aliased = discovery([ns(null, [lo(null), link(null, 'br9', 'bridge', { alias: 'uplink' })])]);
    expect(adopt(aliased, ['br-br9'], 'mine').refused[0]!.message).toContain("alias 'uplink'");
  });

  it('a bridge that is down cannot be matched exactly: the residual says what apply would do', () => {
    const d = discovery([ns(null, [lo(null), link(null, 'br5', 'bridge', { adminUp: false })])]);
    const a = adopt(d, ['br-br5'], 'mine');
    expect(a.residual.map((o) => o.kind)).toEqual(['link.setUp']);
    expect(a.warnings.some((w) => w.includes('applying it would still'))).toBe(true);
  });
});

describe('diff (three-way)', () => {
  function adopted(): { lab: Lab; live: ObservedState } {
    const d = sample();
    const a = adopt(d, ['veth-hblue-eth0', 'br-blue-lan'], 'mine');
    return { lab: a.lab, live: withMarkers(d.observed, a.ops) };
  }

  it('everything in sync right after adopting', () => {
    const { lab, live } = adopted();
    const r = diff(lab, lab, live);
    expect(r.summary).toEqual({ 'in-sync': 4, drifted: 0, missing: 0, foreign: 0 });
    expect(r.orphans).toEqual([]);
  });

  it('a change by hand is drift by the host; taking the live value makes the field agree again', () => {
    const { lab, live } = adopted();
    const eth0 = live.namespaces.blue!.links.find((l) => l.ifname === 'eth0')!;
    eth0.addresses = [...eth0.addresses, '10.1.0.7/24'];
    eth0.mtu = 1450;
    const r = diff(lab, lab, live);
    const end = r.objects.find((o) => o.id === 'veth-hblue-eth0#1')!;
    expect(end.badge).toBe('drifted');
    expect(end.fields.map((f) => [f.field, f.changedBy])).toEqual([
      ['addresses', 'host'],
      ['mtu', 'host'],
    ]);
    let next = lab;
    for (const f of end.fields) next = takeLive(next, f.patch!);
    expect(validate(next).ok).toBe(true);
    expect(diff(next, lab, live).objects.find((o) => o.id === 'veth-hblue-eth0#1')!.badge).toBe('in-sync');
    expect(lab.links[0]!.endpoints[1]!.mtu).toBe(1400); // takeLive is pure
  });

  it('an MTU changed by hand is reported where the design leaves it unset (the kernel default is 1500)', () => {
    const { lab, live } = adopted();
    const unset = structuredClone(lab);
    delete unset.links[0]!.endpoints[1]!.mtu;
    const eth0 = live.namespaces.blue!.links.find((l) => l.ifname === 'eth0')!;
    eth0.mtu = 1500;
    expect(diff(unset, null, live).objects.find((o) => o.id === 'veth-hblue-eth0#1')!.badge).toBe('in-sync');
    eth0.mtu = 1450;
    const end = diff(unset, null, live).objects.find((o) => o.id === 'veth-hblue-eth0#1')!;
    expect(end.fields).toEqual([
      {
        field: 'mtu',
        design: 'default 1500',
        live: 1450,
        changedBy: 'unknown',
        patch: { path: ['links', 0, 'endpoints', 1, 'mtu'], value: 1450 },
      },
    ]);
  });

  it('an edit of the design is attributed to the design; routes and forwarding are compared', () => {
    const { lab, live } = adopted();
    const edited = structuredClone(lab);
    const blue = edited.nodes.find((n) => n.id === 'ns-blue')!;
    if (blue.kind !== 'namespace') throw new Error('fixture');
    blue.forwarding = false;
    blue.routes = [];
    const r = diff(edited, lab, live);
    const o = r.objects.find((x) => x.id === 'ns-blue')!;
    expect(o.badge).toBe('drifted');
    expect(o.fields.map((f) => [f.field, f.changedBy])).toEqual([
      ['forwarding', 'design'],
      ['routes', 'design'],
    ]);
    const back = o.fields.reduce((l, f) => takeLive(l, f.patch!), edited);
    expect(diff(back, lab, live).summary.drifted).toBe(0);
  });

  it('missing, foreign, master moved by hand, and orphans', () => {
    const { lab, live } = adopted();
    // blue's lan bridge loses its marker (foreign); a new port p9 on it carries the lab's marker (orphan).
    const lan = live.namespaces.blue!.links.find((l) => l.ifname === 'lan')!;
    lan.marker = null;
    delete lan.alias;
    live.namespaces.blue!.links.push({
      ...lan,
      ifname: 'p9',
      kind: 'veth',
      marker: { lab: 'mine', object: 'gone#0' },
      ifindex: 999,
    });
    // The host end gets enslaved to br0 by hand.
    live.root.links.find((l) => l.ifname === 'hblue')!.master = 'br0';
    // And the whole namespace vanishes from a second view.
    const r = diff(lab, null, live);
    expect(r.objects.find((o) => o.id === 'br-blue-lan')!.badge).toBe('foreign');
    const hostEnd = r.objects.find((o) => o.id === 'veth-hblue-eth0#0')!;
    expect(hostEnd.fields).toEqual([
      expect.objectContaining({ field: 'master', design: null, live: 'br0', changedBy: 'unknown', patch: null }),
    ]);
    expect(r.orphans).toEqual([{ netns: 'blue', ifname: 'p9', object: 'gone#0' }]);
    const none = structuredClone(live);
    delete none.namespaces.blue;
    const r2 = diff(lab, lab, none);
    expect(r2.objects.find((o) => o.id === 'ns-blue')!.badge).toBe('missing');
    expect(r2.summary.missing).toBe(3);
  });
});

/** Pure status: ready / absent / drifted / conflict per node, link and endpoint. */
import { describe, expect, it } from 'vitest';
import { Lab, LabStatus } from '../../shared';
import { plan } from './plan';
import { emptyObserved, simulateAll } from './simulate';
import { status } from './status';
import type { ObservedLink, ObservedState } from './types';

const AT = '2026-11-24T12:00:00.000Z';
const lab = Lab.parse({
  version: 1,
  name: 'demo',
  nodes: [
    { id: 'host', kind: 'host' },
    { id: 'red', kind: 'namespace', name: 'red', routes: [{ to: '10.9.0.0/24', via: '10.0.0.2' }] },
    { id: 'blue', kind: 'namespace', name: 'blue' },
    { id: 'lan', kind: 'bridge', name: 'br-lan', addresses: ['10.1.0.1/24'] },
  ],
  links: [
    {
      id: 'l1',
      kind: 'veth',
      endpoints: [
        { node: 'red', ifname: 'red-eth0', addresses: ['10.0.0.1/24'], mtu: 1400 },
        { node: 'blue', ifname: 'blue-eth0', addresses: ['10.0.0.2/24'], mtu: 1400 },
      ],
    },
    {
      id: 'l2',
      kind: 'veth',
      endpoints: [
        { node: 'blue', ifname: 'blue-eth1', addresses: ['10.1.0.2/24'] },
        { node: 'lan', ifname: 'lan-p1' },
      ],
    },
  ],
});
const applied = () => simulateAll(emptyObserved(), plan(lab, emptyObserved()).ops);
const link = (o: ObservedState, netns: string | null, ifname: string): ObservedLink =>
  (netns === null ? o.root : o.namespaces[netns]!).links.find((l) => l.ifname === ifname)!;
const reasons = (s: LabStatus, id: string) => s.objects[id]!.conditions.map((c) => c.reason);

describe('status', () => {
  it('is a valid LabStatus carrying the revisions and the sample time', () => {
    const s = status(lab, applied(), { observed: 7, applied: 6 }, AT);
    expect(LabStatus.parse(s)).toEqual(s);
    expect(s).toMatchObject({ lab: 'demo', observedRevision: 7, appliedRevision: 6, at: AT });
  });

  it('never applied and nothing on the host: every object absent, without Drifted conditions', () => {
    const s = status(lab, emptyObserved(), { observed: 1, applied: null }, AT);
    for (const id of ['red', 'blue', 'lan', 'l1', 'l1#0', 'l1#1', 'l2', 'l2#0', 'l2#1']) {
      expect(s.objects[id], id).toMatchObject({ state: 'absent', conditions: [] });
    }
    expect(s.objects.host!.state).toBe('ready');
  });

  it('applied and realized: everything ready, endpoints carry the observed details', () => {
    const o = applied();
    const s = status(lab, o, { observed: 1, applied: 1 }, AT);
    expect(Object.values(s.objects).filter((x) => x.state !== 'ready')).toEqual([]);
    const red = link(o, 'red', 'red-eth0');
    expect(s.objects['l1#0']).toMatchObject({
      state: 'ready',
      ifindex: red.ifindex,
      operstate: 'UP',
      mtu: 1400,
      addresses: ['10.0.0.1/24'],
      mac: red.mac,
    });
    expect(s.objects.lan).toMatchObject({ state: 'ready', addresses: ['10.1.0.1/24'] });
  });

  it('applied but gone from the host (e.g. after a reboot): drifted, re-apply to repair', () => {
    const s = status(lab, emptyObserved(), { observed: 1, applied: 1 }, AT);
    expect(s.objects.red).toMatchObject({ state: 'drifted' });
    expect(reasons(s, 'red')).toEqual(['NamespaceMissing']);
    expect(reasons(s, 'lan')).toEqual(['BridgeMissing']);
    expect(reasons(s, 'l1#0')).toEqual(['VethMissing']);
    expect(s.objects['l1#0']!.conditions[0]!.message).toContain('re-apply');
    expect(s.objects.l1!.state).toBe('drifted');
  });

  it('hand-made changes show as Drifted with a reason per difference', () => {
    const o = structuredClone(applied());
    const red = link(o, 'red', 'red-eth0');
    red.addresses = ['10.0.0.5/24'];
    red.mtu = 1500;
    red.adminUp = false;
    delete link(o, null, 'lan-p1').master;
    o.namespaces.red!.routes = o.namespaces.red!.routes.filter((r) => r.protocol === 'kernel');
    const s = status(lab, o, { observed: 1, applied: 1 }, AT);
    expect(s.objects['l1#0']!.state).toBe('drifted');
    expect(reasons(s, 'l1#0')).toEqual(['AddressMissing', 'AddressUnexpected', 'MtuDiffers', 'AdminDown']);
    expect(reasons(s, 'l2#1')).toEqual(['MasterDiffers']);
    expect(reasons(s, 'red')).toEqual(['RouteMissing']);
    // A link is as bad as its worse endpoint.
    expect(s.objects.l1!.state).toBe('drifted');
    expect(s.objects['l1#1']!.state).toBe('ready');
  });

  it('an MTU changed by hand is drift even where the design leaves MTU unset (against the kernel default)', () => {
    const o = structuredClone(applied());
    expect(link(o, null, 'lan-p1').mtu).toBe(1500); // simulate() gives the kernel's default
    link(o, null, 'lan-p1').mtu = 9000;
    link(o, null, 'br-lan').mtu = 9000; // a bridge follows its ports: never judged when unset
    const s = status(lab, o, { observed: 1, applied: 1 }, AT);
    expect(reasons(s, 'l2#1')).toEqual(['MtuNotDefault']);
    expect(s.objects['l2#1']!.conditions[0]!.message).toContain("is 9000, not the kernel's default 1500");
    expect(s.objects.lan!.state).toBe('ready');
    expect(s.objects['l2#0']!.state).toBe('ready');
  });

  it('one veth end missing: that end is drifted with VethMissing even before any apply', () => {
    const o = structuredClone(applied());
    o.namespaces.blue!.links = o.namespaces.blue!.links.filter((l) => l.ifname !== 'blue-eth0');
    const s = status(lab, o, { observed: 1, applied: null }, AT);
    expect(s.objects['l1#1']).toMatchObject({ state: 'drifted' });
    expect(reasons(s, 'l1#1')).toEqual(['VethMissing']);
    expect(s.objects['l1#0']!.state).toBe('ready');
    expect(s.objects.l1!.state).toBe('drifted');
  });

  it('a name held by a foreign object is a conflict, with the holder named', () => {
    const o = emptyObserved();
    o.namespaces.red = { name: 'red', marker: { lab: 'other', object: 'red' }, links: [], routes: [] };
    o.root.links.push({
      netns: null,
      ifindex: 9,
      ifname: 'br-lan',
      kind: 'bridge',
      alias: 'netloom:demo-x:lan',
      marker: { lab: 'demo-x', object: 'lan' },
      adminUp: true,
      operstate: 'UP',
      mtu: 1500,
      addresses: [],
    });
    const s = status(lab, o, { observed: 1, applied: null }, AT);
    expect(s.objects.red).toMatchObject({ state: 'conflict' });
    expect(s.objects.red!.conditions[0]).toMatchObject({ type: 'Conflict', reason: 'NameTaken' });
    expect(s.objects.red!.conditions[0]!.message).toContain("lab 'other'");
    expect(s.objects.lan).toMatchObject({ state: 'conflict', ifindex: 9 });
  });

  it('a name held by another object of the same lab is drift (the next apply replaces it), not a conflict', () => {
    const o = emptyObserved();
    o.namespaces.red = { name: 'red', marker: { lab: 'demo', object: 'old-red' }, links: [], routes: [] };
    const s = status(lab, o, { observed: 1, applied: 1 }, AT);
    expect(s.objects.red).toMatchObject({ state: 'drifted' });
    expect(reasons(s, 'red')).toEqual(['MarkerDiffers']);
  });
});

/**
 * Issue #6 link kinds: macvlan (render, observe parsing, plan checks) and bridge VLAN filtering (render,
 * `bridge -j vlan show` parsing, incremental planning, status). Pure; the kernel tests do the rest.
 */
import { describe, expect, it } from 'vitest';
import { Lab, type LabInput } from '../../shared';
import { portVlans } from './desired';
import { applyBridgeVlans, parseNetns } from './observe';
import { plan } from './plan';
import { opArgvs, render } from './render';
import { emptyObserved, simulateAll } from './simulate';
import { status } from './status';
import type { ObservedLink } from './types';

const mvLab = (parent: string): Lab =>
  Lab.parse({
    version: 1,
    name: 'demo',
    nodes: [
      {
        id: 'red',
        kind: 'namespace',
        name: 'red',
        interfaces: [{ kind: 'macvlan', name: 'mv0', parent, mtu: 1400, addresses: ['10.0.0.1/24'] }],
      },
    ],
    links: [],
  } satisfies LabInput);

const rootLink = (ifindex: number, ifname: string): ObservedLink => ({
  netns: null,
  ifindex,
  ifname,
  kind: 'veth',
  marker: null,
  adminUp: true,
  operstate: 'UP',
  mtu: 1500,
  addresses: [],
});

describe('macvlan', () => {
  it('is added from the root straight into its namespace, then marked there', () => {
    const op = {
      kind: 'iface.create' as const,
      netns: 'red',
      ifname: 'mv0',
      marker: 'netloom:demo:red/mv0',
      spec: { kind: 'macvlan' as const, parent: 'eth0', mode: 'bridge' as const },
      mtu: 1400,
    };
    expect(opArgvs(op)).toEqual([
      [
        'ip',
        'link',
        'add',
        'link',
        'eth0',
        'name',
        'mv0',
        'netns',
        'red',
        'mtu',
        '1400',
        'type',
        'macvlan',
        'mode',
        'bridge',
      ],
      ['ip', '-n', 'red', 'link', 'set', 'dev', 'mv0', 'alias', 'netloom:demo:red/mv0'],
    ]);
    const [add, mark] = render(op);
    expect(add).toMatchObject({
      netns: null,
      reads: [
        { kind: 'link', ns: null, ifname: 'eth0' },
        { kind: 'netns', ns: 'red' },
      ],
      writes: [{ kind: 'link', ns: 'red', ifname: 'mv0' }],
    });
    expect(mark).toMatchObject({ netns: 'red', writes: [{ kind: 'link', ns: 'red', ifname: 'mv0' }] });
  });

  it('observe() reads mode and parent (`link` in the same namespace; index + nsid elsewhere)', () => {
    const text = (link: Record<string, unknown>) =>
      [
        JSON.stringify([
          { ifindex: 3, ifname: 'up0', flags: ['UP'], mtu: 1500, operstate: 'UP', link_type: 'ether' },
          {
            ifindex: 4,
            ifname: 'mvr',
            ...link,
            flags: [],
            mtu: 1500,
            operstate: 'DOWN',
            link_type: 'ether',
            linkinfo: { info_kind: 'macvlan', info_data: { mode: 'bridge', bcqueuelen: 1000 } },
          },
        ]),
        '[]',
        '[]',
        JSON.stringify([{ nsid: 0 }]),
      ].join('\n');
    const same = parseNetns(null, text({ link: 'up0' })).ns.links.find((l) => l.ifname === 'mvr');
    expect(same?.attachment).toEqual({ mode: 'bridge', parent: { netns: null, ifname: 'up0', ifindex: 3 } });
    // In a namespace, with the parent in the root: resolved by observe() across namespaces (null here).
    const other = parseNetns('red', text({ link_index: 3, link_netnsid: 0 }));
    expect(other.ns.links.find((l) => l.ifname === 'mvr')?.attachment).toEqual({ mode: 'bridge', parent: null });
  });

  it('is refused without the capability, and needs its parent in the root namespace', () => {
    const o = emptyObserved();
    o.root.links.push(rootLink(2, 'eth0'));
    expect(plan(mvLab('eth0'), o).errors).toMatchObject([{ code: 'Unsupported', path: 'nodes.0.interfaces.0.kind' }]);
    expect(plan(mvLab('eth9'), o, { macvlan: true }).errors).toMatchObject([
      { code: 'Conflict', path: 'nodes.0.interfaces.0.parent', message: expect.stringContaining("'eth9'") },
    ]);
    const p = plan(mvLab('eth0'), o, { macvlan: true });
    expect(p.errors).toEqual([]);
    const after = simulateAll(o, p.ops);
    expect(plan(mvLab('eth0'), after, { macvlan: true }).ops).toEqual([]);
    // The parent changes under it (recreated elsewhere): drift, and the next plan recreates it.
    const moved = structuredClone(after);
    moved.namespaces.red!.links.find((l) => l.ifname === 'mv0')!.attachment!.parent = {
      netns: null,
      ifname: 'eth1',
      ifindex: 9,
    };
    const s = status(mvLab('eth0'), moved, { observed: 1, applied: 1 }, '2026-01-01T00:00:00Z');
    expect(s.objects['red/mv0']).toMatchObject({ state: 'drifted' });
    expect(plan(mvLab('eth0'), moved, { macvlan: true }).ops.map((x) => x.kind)).toContain('link.delete');
  });
});

describe('bridge VLAN filtering', () => {
  it('renders `ip link … vlan_filtering` and `bridge vlan add|del` argv', () => {
    expect(opArgvs({ kind: 'bridge.setVlanFiltering', netns: null, ifname: 'br0', on: true })).toEqual([
      ['ip', 'link', 'set', 'dev', 'br0', 'type', 'bridge', 'vlan_filtering', '1'],
    ]);
    expect(opArgvs({ kind: 'bridge.vlanAdd', netns: 'sw', ifname: 'p1', vid: 10, pvid: true, untagged: true })).toEqual(
      [['bridge', '-n', 'sw', 'vlan', 'add', 'dev', 'p1', 'vid', '10', 'pvid', 'untagged']],
    );
    expect(opArgvs({ kind: 'bridge.vlanDel', netns: null, ifname: 'p1', vid: 1 })).toEqual([
      ['bridge', 'vlan', 'del', 'dev', 'p1', 'vid', '1'],
    ]);
  });

  it('reads `bridge -j vlan show` for the ports of our filtering bridges (ranges expanded)', () => {
    const ns = emptyObserved().root;
    ns.links.push(
      { ...rootLink(2, 'br0'), kind: 'bridge', vlanFiltering: true, marker: { lab: 'x', object: 'b' } },
      { ...rootLink(3, 'p1'), master: 'br0' },
      { ...rootLink(4, 'p2'), master: 'br0' },
      { ...rootLink(5, 'q1'), master: 'other' },
    );
    applyBridgeVlans(
      ns,
      JSON.stringify([
        { ifname: 'br0', vlans: [{ vlan: 1, flags: ['PVID', 'Egress Untagged'] }] },
        { ifname: 'p1', vlans: [{ vlan: 20 }, { vlan: 10, flags: ['PVID', 'Egress Untagged'] }] },
        { ifname: 'p2', vlans: [{ vlan: 30, vlanEnd: 32 }] },
        { ifname: 'q1', vlans: [{ vlan: 1, flags: ['PVID'] }] },
      ]),
    );
    const by = (n: string) => ns.links.find((l) => l.ifname === n)?.vlans;
    expect(by('br0')).toBeUndefined();
    expect(by('p1')).toEqual([
      { vid: 10, pvid: true, untagged: true },
      { vid: 20, pvid: false, untagged: false },
    ]);
    expect(by('p2')?.map((e) => e.vid)).toEqual([30, 31, 32]);
    expect(by('q1')).toBeUndefined();
  });

  it('a port spec → its VLANs (pvid default 1 untagged; tagged ones without flags; no duplicates)', () => {
    expect(portVlans(undefined)).toEqual([{ vid: 1, pvid: true, untagged: true }]);
    expect(portVlans({ pvid: 10, untagged: false, tagged: [20, 10, 5] })).toEqual([
      { vid: 5, pvid: false, untagged: false },
      { vid: 10, pvid: true, untagged: false },
      { vid: 20, pvid: false, untagged: false },
    ]);
  });
});

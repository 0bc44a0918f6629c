/**
 * containerlab constructs, one hand-written topology each (fixtures/): the inheritance chain, every link
 * form, exec lines that build inside a node, network modes, renames; refusals name their construct.
 */
import { describe, expect, it } from 'vitest';
import { type Lab, validate } from '../../shared';
import { ImportRefused, importTopology } from './index';
import { fixture } from './testing';

const load = (f: string) => {
  const r = importTopology(fixture(f), { filename: f });
  expect(validate(r.lab).ok).toBe(true);
  return r;
};
const node = (lab: Lab, id: string) => lab.nodes.find((n) => n.id === id);
const ns = (lab: Lab, id: string) => {
  const n = node(lab, id);
  if (n?.kind !== 'namespace') throw new Error(`${id}: not a namespace`);
  return n;
};
const link = (lab: Lab, id: string) => lab.links.find((l) => l.id === id)!;
const notes = (r: { items: { notes: { text: string }[] }[] }) =>
  r.items.flatMap((i) => i.notes.map((n) => n.text)).join('\n');
const refusal = (text: string) => {
  try {
    importTopology(text, {});
  } catch (e) {
    if (e instanceof ImportRefused) return e;
    throw e;
  }
  throw new Error('not refused');
};

describe('inheritance: defaults → kinds → groups → node', () => {
  const { lab, report } = load('inheritance.clab.yml');
  it('exec lines run defaults, kind, group, node in that order', () => {
    expect(link(lab, 'a-b').endpoints[0].addresses).toEqual(['10.0.0.2/24', '10.0.0.3/24']);
    expect(link(lab, 'a-b').endpoints[1].addresses).toEqual([]);
  });
  it('scalars take the nearest level; a group can give the kind', () => {
    const item = (s: string) => notes({ items: report.items.filter((i) => i.source === s) });
    expect(item('b')).toMatch(/node-image/);
    expect(item('a')).toMatch(/kind-image/);
    expect(item('c')).toMatch(/placeholder: kind "nokia_srlinux"/);
    expect(item('c')).toMatch(/default-image/);
  });
  it('the lab name follows the rules; the file name becomes the title', () => {
    expect(lab.name).toBe('inheritance-lab');
    expect(lab.title).toBe('Inheritance_Lab');
  });
});

describe('link forms', () => {
  const { lab, report } = load('links.clab.yml');
  it('brief with ipv4/ipv6 lists ("" for none) and containerlab\'s default MTU 9500', () => {
    expect(link(lab, 'n1-n2').endpoints).toMatchObject([
      { ifname: 'e1', addresses: ['10.1.0.1/24'], mtu: 9500 },
      { ifname: 'e1', addresses: ['10.1.0.2/24', '2001:db8:1::2/64'], mtu: 9500 },
    ]);
  });
  it('extended veth: per-end mac, ipv4/ipv6, mtu (1500 = the default, left out)', () => {
    const [a, b] = link(lab, 'n1-n2-2').endpoints;
    expect(a).toMatchObject({ mac: '02:00:00:00:00:01', addresses: ['10.2.0.1/24'] });
    expect(a.mtu).toBeUndefined();
    expect(b).toMatchObject({ mtu: 1400, addresses: ['2001:db8:2::2/64'] });
  });
  it('host:IF and type: host end in the root namespace; a bridge end is a port', () => {
    expect(link(lab, 'n1-host').endpoints[1]).toMatchObject({ node: 'host', ifname: 'n1-e3' });
    expect(link(lab, 'n2-host').endpoints[1]).toMatchObject({ node: 'host', ifname: 'n2-e3' });
    expect(link(lab, 'n1-br').endpoints[1]).toMatchObject({ node: 'br', ifname: 'n1-e4' });
  });
  it('macvlan:PARENT and type: macvlan (mode approximated), vxlan (udp-port), vxlan-stitch (14789), dummy → tap', () => {
    expect(ns(lab, 'n1').interfaces).toEqual([
      { kind: 'macvlan', name: 'mv0', addresses: [], parent: 'eth0', mode: 'bridge' },
      { kind: 'vxlan', name: 'vx1', addresses: ['10.9.0.1/24'], vni: 77, remote: '192.0.2.10', dstPort: 4789 },
    ]);
    expect(ns(lab, 'n2').interfaces).toEqual([
      { kind: 'macvlan', name: 'mv1', addresses: [], parent: 'eth0', mode: 'bridge' },
      { kind: 'vxlan', name: 'vx2', addresses: [], vni: 78, remote: '192.0.2.11', dstPort: 14789 },
      { kind: 'tap', name: 'dum0', addresses: ['10.8.0.1/32'] },
    ]);
    expect(notes(report)).toMatch(/mode passthru becomes mode bridge/);
  });
  it('mgmt-net joins a placeholder "mgmt" namespace bridge; an unknown node drops its link, saying why', () => {
    expect(node(lab, 'mgmt-br')).toMatchObject({ kind: 'bridge', namespace: 'mgmt' });
    expect(link(lab, 'n2-mgmt').endpoints[1].node).toBe('mgmt-br');
    const dropped = report.items.find((i) => i.source === 'n1:e5 ↔ nowhere:e1')!;
    expect(dropped.status).toBe('dropped');
    expect(dropped.notes[0]!.text).toMatch(/"nowhere" is not a node/);
  });
});

describe('exec lines and node modes', () => {
  const { lab, report } = load('exec.clab.yml');
  it('a bridge built inside a node by `bash -c … && …`, its ports, VLAN and address', () => {
    expect(node(lab, 'sw-br0')).toMatchObject({
      kind: 'bridge',
      name: 'br0',
      namespace: 'sw',
      addresses: ['10.10.0.1/24'],
      vlanFiltering: true,
    });
    expect(link(lab, 'h1-sw').endpoints[1]).toMatchObject({ node: 'sw-br0', ifname: 'eth1', vlan: { pvid: 10 } });
    expect(link(lab, 'h2-sw').endpoints[1].node).toBe('sw-br0');
  });
  it('vxlan and VLAN interfaces, netem impairment, rp_filter, routes', () => {
    expect(ns(lab, 'sw').interfaces).toEqual([
      { kind: 'vxlan', name: 'vx0', addresses: [], vni: 5, remote: '192.0.2.1', dstPort: 4789 },
      { kind: 'vlan', name: 'eth3.7', addresses: [], parent: 'eth3', vlanId: 7 },
    ]);
    expect(link(lab, 'h1-sw').endpoints[0].impairment).toEqual({ delayMs: 20, lossPct: 1 });
    expect(ns(lab, 'h2').rpFilter).toBe(2);
    expect(ns(lab, 'h1').routes).toEqual([{ to: 'default', via: '10.10.0.1' }]);
  });
  it('forwarding: inferred for a gateway and for two subnets, an explicit 0 wins', () => {
    expect(ns(lab, 'sw').forwarding).toBe(true);
    expect(ns(lab, 'r').forwarding).toBe(true);
    expect(ns(lab, 'quiet').forwarding).toBe(false);
    expect(ns(lab, 'h1').forwarding).toBe(false);
  });
  it('renames are reported: an interface with "/", a node name with spaces', () => {
    expect(link(lab, 'r-quiet').endpoints[0].ifname).toBe('ethernet-1-1');
    expect(ns(lab, 'bad-name').name).toBe('bad-name');
    const text = notes(report);
    expect(text).toMatch(/"ethernet-1\/1" renamed "ethernet-1-1"/);
    expect(text).toMatch(/"bad name!" is not a valid namespace name/);
  });
  it('network-mode container:X merges into X; an outside container gets its own; host is the host', () => {
    expect(link(lab, 'h2-host').endpoints).toMatchObject([
      { node: 'h2', ifname: 'eth9', addresses: ['10.50.0.1/24'] },
      { node: 'host' },
    ]);
    expect(node(lab, 'side')).toBeUndefined();
    expect(ns(lab, 'outside')).toBeDefined();
  });
  it('ovs-bridge → Linux bridge with a warning; a router OS → placeholder namespace; startup-config dropped', () => {
    expect(node(lab, 'ovs')).toMatchObject({ kind: 'bridge', name: 'ovs' });
    const srl = report.items.find((i) => i.source === 'srl')!;
    expect(srl.status).toBe('approximated');
    expect(srl.notes.map((n) => n.text).join(' ')).toMatch(/placeholder.*|startup-config/);
  });
});

describe('refusals name the construct', () => {
  it('a Go template', () => {
    const e = refusal('name: x\ntopology:\n  nodes:\n    a: {kind: linux}\n    b: {kind: {{ .kind }}}\n');
    expect(e.construct).toBe('go-template');
    expect(e.line).toBe(5);
  });
  it('a duplicate key (strict YAML, as containerlab reads it)', () => {
    const e = refusal('name: x\ntopology:\n  nodes:\n    a: {kind: linux}\n    a: {kind: linux}\n');
    expect(e.construct).toBe('duplicate-key');
    expect(e.message).toMatch(/duplicate key/);
  });
  it('not a topology, broken YAML, an unclosed ${', () => {
    expect(refusal('just: a map\n').construct).toBe('not-containerlab');
    expect(refusal('name: [x\n').construct).toBe('yaml');
    expect(refusal('name: ${X\ntopology: {nodes: {}}\n').construct).toBe('env-variable');
  });
  it('a huge file', () => {
    expect(refusal(`name: x\n# ${'y'.repeat(2_100_000)}\n`).construct).toBe('size');
  });
  it('an alias bomb is bounded', () => {
    const bomb = [
      'a: &a [x,x,x,x,x,x,x,x,x,x]',
      ...Array.from(
        { length: 8 },
        (_, i) =>
          `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10)
            .fill(`*${String.fromCharCode(97 + i)}`)
            .join(',')}]`,
      ),
      'topology: {nodes: {}}',
    ].join('\n');
    expect(refusal(bomb).construct).toMatch(/^max(Nodes|Aliases)$/);
  });
});

describe('env substitution', () => {
  it("uses the given environment, never the server's", () => {
    const text =
      'name: x\ntopology:\n  nodes:\n    l1: {kind: linux}\n  links:\n    - endpoints: ["l1:eth1", "macvlan:${NIC:=ens3}"]\n';
    const withEnv = importTopology(text, { env: { NIC: 'enp1s0' } }).lab;
    const without = importTopology(text, {}).lab;
    expect(ns(withEnv, 'l1').interfaces?.[0]).toMatchObject({ parent: 'enp1s0' });
    expect(ns(without, 'l1').interfaces?.[0]).toMatchObject({ parent: 'ens3' });
  });
});

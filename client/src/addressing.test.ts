import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { AttachedInterface, Lab } from '../../shared/lab';
import { vxlanTunnels } from '../../shared/tunnels';
import { validate } from '../../shared/validate';
import {
  freeSubnet,
  ifnamesNear,
  overlaps,
  parseCidr4,
  proposeAttached,
  proposeIfname,
  proposeLink,
  proposeNode,
  subnetsInLab,
  suggestRoutes,
} from './addressing';
import { makeBridge, makeEndpoint, makeLab, makeNamespace, makeVeth, makeVethPair } from './testing/factories';

describe('addressing', () => {
  it('parses CIDRs and detects overlap', () => {
    const a = parseCidr4('10.0.1.7/24')!;
    expect(a.prefix).toBe(24);
    expect(overlaps(a, parseCidr4('10.0.1.128/25')!)).toBe(true);
    expect(overlaps(a, parseCidr4('10.0.2.1/24')!)).toBe(false);
    expect(parseCidr4('fd00::1/64')).toBeNull();
  });

  it('reads addresses by the rules validation uses (shared/net.ts)', () => {
    expect(parseCidr4('255.255.255.255/32')).toEqual({ addr: 0xffffffff, base: 0xffffffff, prefix: 32 });
    expect(parseCidr4('0.0.0.0/0')).toEqual({ addr: 0, base: 0, prefix: 0 });
    expect(overlaps(parseCidr4('192.168.0.1/0')!, parseCidr4('10.0.0.1/8')!)).toBe(true);
    expect(overlaps(parseCidr4('200.0.0.1/1')!, parseCidr4('10.0.0.1/8')!)).toBe(false);
    // Ambiguous to inet_aton (octal) or not an address: validation rejects them, so proposals ignore them.
    for (const bad of ['010.0.0.1/24', '10.0.0.1/024', '10.0.0.1', '10.0.0.256/24', '10.0.0.1/33'])
      expect(parseCidr4(bad)).toBeNull();
  });

  it('proposes a /30 for a point-to-point veth that overlaps nothing', () => {
    const lab = makeVethPair(); // uses 10.0.0.0/30
    const l = proposeLink(lab, 'red', 'blue');
    expect(l.endpoints[0].addresses).toEqual(['10.0.0.5/30']);
    expect(l.endpoints[1].addresses).toEqual(['10.0.0.6/30']);
    expect(l.endpoints[0].ifname).toBe('red-eth1');
    expect(l.endpoints[1].ifname).toBe('blue-eth1');
  });

  it('gives a bridge LAN a fresh /24 and then the next free host in it', () => {
    let lab = makeLab({ nodes: [makeNamespace('a'), makeNamespace('b'), makeBridge('br', 'br0')] });
    const l1 = proposeLink(lab, 'a', 'br');
    expect(l1.endpoints[0].addresses).toEqual(['10.0.1.1/24']);
    expect(l1.endpoints[1].addresses).toEqual([]);
    expect(l1.endpoints[1].ifname).toBe('br0-p1');
    lab = { ...lab, links: [l1] };
    const l2 = proposeLink(lab, 'br', 'b');
    expect(l2.endpoints[1].addresses).toEqual(['10.0.1.2/24']);
    expect(l2.endpoints[0].ifname).toBe('br0-p2');
  });

  it('never overlaps anything in the lab, across many links', () => {
    let lab = makeLab({ nodes: [makeBridge('br1', 'br0'), makeBridge('br2', 'br1')] });
    for (let i = 0; i < 12; i++) lab = { ...lab, nodes: [...lab.nodes, makeNamespace(`n${i}`)] };
    for (let i = 0; i < 12; i++) {
      const other = i % 3 === 0 ? 'br1' : i % 3 === 1 ? 'br2' : `n${(i + 1) % 12}`;
      lab = { ...lab, links: [...lab.links, proposeLink(lab, `n${i}`, other)] };
    }
    const seen = new Set<string>();
    for (const l of lab.links)
      for (const e of l.endpoints)
        for (const a of e.addresses) {
          expect(seen.has(a.split('/')[0]!)).toBe(false);
          seen.add(a.split('/')[0]!);
        }
    // Distinct LANs never overlap; point-to-point /30s never overlap a LAN.
    const nets = subnetsInLab(lab);
    const distinct = [...new Map(nets.map((n) => [`${n.base}/${n.prefix}`, n])).values()];
    for (let i = 0; i < distinct.length; i++)
      for (let j = i + 1; j < distinct.length; j++) expect(overlaps(distinct[i]!, distinct[j]!)).toBe(false);
    expect(validate(lab).ok).toBe(true);
  });

  it('names: red-eth0, red-eth1…; fits IFNAMSIZ', () => {
    const lab = makeLab({ nodes: [makeNamespace('r', 'averyveryverylongname')] });
    const n = lab.nodes[0]!;
    const name = proposeIfname(lab, n);
    expect(new TextEncoder().encode(name).length).toBeLessThanOrEqual(15);
    expect(name.endsWith('0')).toBe(true);
  });

  it('picks friendly unique namespace and bridge names', () => {
    const lab = makeVethPair();
    expect(proposeNode(lab, 'namespace')).toMatchObject({ kind: 'namespace', name: 'green' });
    expect(proposeNode(lab, 'bridge')).toMatchObject({ kind: 'bridge', name: 'br0' });
  });

  it('avoids names other labs and the host use (namespaces; interfaces of the root namespace)', () => {
    const lab = makeVethPair();
    const reserved = { namespaces: new Set(['green', 'yellow']), rootInterfaces: new Set(['br0', 'host-eth0']) };
    expect(proposeNode(lab, 'namespace', undefined, reserved)).toMatchObject({ name: 'purple' });
    expect(proposeNode(lab, 'bridge', undefined, reserved)).toMatchObject({ name: 'br1' });
    const withHost = makeLab({ nodes: [makeNamespace('red'), { id: 'h', kind: 'host' }] });
    const link = proposeLink(withHost, 'h', 'red', undefined, reserved);
    expect(link.endpoints.map((e) => e.ifname)).toEqual(['host-eth1', 'red-eth0']);
    // Inside a namespace the names are that namespace's own: nothing to avoid there.
    expect(
      proposeIfname(withHost, withHost.nodes[0]!, new Set(), { ...reserved, rootInterfaces: new Set(['red-eth0']) }),
    ).toBe('red-eth0');
  });

  it('knows which names share a network namespace', () => {
    const lab = makeLab({
      nodes: [makeNamespace('a'), makeBridge('b', 'br0', { namespace: 'a' } as never)],
      links: [makeVeth('l', makeEndpoint('a', 'a-eth0'), makeEndpoint('b', 'br0-p1'))],
    });
    expect([...ifnamesNear(lab, 'a')].sort()).toEqual(['a-eth0', 'br0', 'br0-p1']);
  });

  it('freeSubnet skips used space', () => {
    const lab = makeVethPair();
    expect(freeSubnet(lab, 24).base).toBe(parseCidr4('10.0.1.0/24')!.base);
  });

  it('suggests routes through a router', () => {
    const lab = makeLab({
      nodes: [makeNamespace('a'), makeNamespace('r', 'r', { forwarding: true } as never), makeNamespace('b')],
      links: [
        makeVeth('l1', makeEndpoint('a', 'a-eth0', ['10.0.0.1/30']), makeEndpoint('r', 'r-eth0', ['10.0.0.2/30'])),
        makeVeth('l2', makeEndpoint('r', 'r-eth1', ['10.0.0.5/30']), makeEndpoint('b', 'b-eth0', ['10.0.0.6/30'])),
      ],
    });
    expect(suggestRoutes(lab, 'r')).toEqual([
      { node: 'a', route: { to: '10.0.0.4/30', via: '10.0.0.2' } },
      { node: 'b', route: { to: '10.0.0.0/30', via: '10.0.0.5' } },
    ]);
  });
});

describe('VXLAN proposals (issue #15): the far site, one VNI', () => {
  const sites = (): Lab => {
    const text = readFileSync(fileURLToPath(new URL('../../examples/vxlan-sites.yaml', import.meta.url)), 'utf8');
    const r = validate(parse(text));
    if (!r.ok) throw new Error('vxlan-sites is invalid');
    // The two sites and the router, without their tunnels: what a teacher has before adding them.
    return { ...r.lab, nodes: r.lab.nodes.map((n) => (n.kind === 'namespace' ? { ...n, interfaces: [] } : n)) };
  };
  const add = (lab: Lab, id: string, x: AttachedInterface): Lab => ({
    ...lab,
    nodes: lab.nodes.map((n) =>
      n.id === id && n.kind === 'namespace' ? { ...n, interfaces: [...(n.interfaces ?? []), x] } : n,
    ),
  });

  it("points the remote at the far site's underlay address, not at the next router", () => {
    const x = proposeAttached(sites(), 'site-a', 'vxlan');
    expect(x).toMatchObject({ kind: 'vxlan', vni: 42, local: '172.16.1.1', remote: '172.16.2.1', dstPort: 4789 });
  });

  it('the far site answers with the same VNI and the ends swapped: one tunnel, no problem', () => {
    let lab = add(sites(), 'site-a', proposeAttached(sites(), 'site-a', 'vxlan'));
    const b = proposeAttached(lab, 'site-b', 'vxlan');
    expect(b).toMatchObject({ vni: 42, local: '172.16.2.1', remote: '172.16.1.1', dstPort: 4789 });
    lab = add(lab, 'site-b', b);
    expect(vxlanTunnels(lab).tunnels.map((t) => t.ok)).toEqual([true]);
    expect(validate(lab).issues).toEqual([]);
  });

  it('an unanswered VXLAN elsewhere (pointing at the router) is joined: its VNI and port, remote = its local', () => {
    const lab = add(sites(), 'site-a', {
      kind: 'vxlan',
      name: 'vx0',
      addresses: [],
      vni: 7,
      local: '172.16.1.1',
      remote: '172.16.1.254',
      dstPort: 8472,
    });
    expect(proposeAttached(lab, 'site-b', 'vxlan')).toMatchObject({
      vni: 7,
      dstPort: 8472,
      remote: '172.16.1.1',
      local: '172.16.2.1',
    });
  });
});

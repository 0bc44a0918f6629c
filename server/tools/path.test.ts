/** Path and reachability explanations from the design alone (pure): example labs plus one broken thing each. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { Lab } from '../../shared';
import { parseIp } from '../../shared/net';
import { makeBridge, makeLab, makeNamespace, makeVeth } from '../../shared/testing/factories';
import { buildTopology, trace } from './path';
import { cellProblem, explain, planMatrix } from './reachability';

const example = (file: string): Lab =>
  Lab.parse(parseYaml(readFileSync(new URL(`../../examples/${file}`, import.meta.url), 'utf8')));
const ip = (s: string) => parseIp(s)!;

describe('trace', () => {
  it('veth pair: ns1 → ns2 crosses the link', () => {
    const t = buildTopology(makeLab());
    const tr = trace(t, 'ns1', ip('10.0.0.2'));
    expect(tr.ok).toBe(true);
    expect(tr.objects).toEqual(['ns1', 'link1', 'ns2']);
    expect(tr.hops).toEqual([
      { node: 'ns1', out: 'eth0', l2: ['link1'] },
      { node: 'ns2', in: 'eth0', l2: [] },
    ]);
  });

  it('router example: left → router → right, both ways', () => {
    const t = buildTopology(example('router.yaml'));
    const ex = explain(t, 'left', ip('10.1.2.2'), 'right');
    expect(ex.expected).toBe(true);
    expect(ex.forward.objects).toEqual(['left', 'left-rtr', 'rtr', 'rtr-right', 'right']);
    expect(ex.forward.hops[0]).toMatchObject({ node: 'left', out: 'eth0', via: '10.1.1.254' });
    expect(ex.reverse?.objects).toEqual(['right', 'rtr-right', 'rtr', 'left-rtr', 'left']);
  });

  it('bridge LAN: the packet crosses both ports and the bridge', () => {
    const t = buildTopology(example('bridge-lan.yaml'));
    const pc2 = t.byPlace.get('pc2')![0]!.addrs[0]!;
    const tr2 = trace(t, 'pc1', pc2);
    expect(tr2.ok).toBe(true);
    expect(tr2.objects).toEqual(['pc1', 'pc1-lan0', 'lan0', 'pc2-lan0', 'pc2']);
  });

  it('bridge inside a namespace: that namespace is crossed at L2 only', () => {
    const t = buildTopology(example('bridge-in-namespace.yaml'));
    const beta = t.byPlace.get('beta')![0]!.addrs[0]!;
    const tr = trace(t, 'alpha', beta);
    expect(tr.ok).toBe(true);
    expect(tr.objects).toEqual(['alpha', 'alpha-sw0', 'sw0', 'beta-sw0', 'beta']);
  });
});

describe('explain', () => {
  it('NoForwarding: the router has forwarding off', () => {
    const lab = example('router.yaml');
    const rtr = lab.nodes.find((n) => n.id === 'rtr');
    if (rtr?.kind === 'namespace') rtr.forwarding = false;
    const ex = explain(buildTopology(lab), 'left', ip('10.1.2.2'), 'right');
    expect(ex.expected).toBe(false);
    expect(ex.problem).toMatchObject({ reason: 'NoForwarding', object: 'rtr', direction: 'forward' });
  });

  it('NoRoute: no default route on the source', () => {
    const lab = example('router.yaml');
    const left = lab.nodes.find((n) => n.id === 'left');
    if (left?.kind === 'namespace') left.routes = [];
    const ex = explain(buildTopology(lab), 'left', ip('10.1.2.2'), 'right');
    expect(ex.problem).toMatchObject({ reason: 'NoRoute', object: 'left', direction: 'forward' });
  });

  it('reply without a route: the problem is on the way back', () => {
    const lab = example('router.yaml');
    const right = lab.nodes.find((n) => n.id === 'right');
    if (right?.kind === 'namespace') right.routes = [];
    const ex = explain(buildTopology(lab), 'left', ip('10.1.2.2'), 'right');
    expect(ex.forward.ok).toBe(true);
    expect(ex.problem).toMatchObject({ reason: 'NoRoute', object: 'right', direction: 'reverse' });
  });

  it('LinkDown: an endpoint set down in the design', () => {
    const lab = makeLab();
    lab.links[0]!.endpoints[1].up = false;
    const ex = explain(buildTopology(lab), 'ns1', ip('10.0.0.2'), 'ns2');
    expect(ex.problem).toMatchObject({ reason: 'LinkDown', object: 'link1#1' });
  });

  it('LinkDown: operstate reported by the host', () => {
    const ex = explain(buildTopology(makeLab(), { 'link1#0': 'LOWERLAYERDOWN' }), 'ns1', ip('10.0.0.2'), 'ns2');
    expect(ex.problem).toMatchObject({ reason: 'LinkDown', object: 'link1#0' });
    expect(ex.problem?.message).toContain('LOWERLAYERDOWN');
  });

  it('LinkDown on the source end is found even though its connected route is gone', () => {
    const lab = makeLab();
    lab.links[0]!.endpoints[0].up = false;
    const ex = explain(buildTopology(lab), 'ns1', ip('10.0.0.2'), 'ns2');
    expect(ex.problem).toMatchObject({ reason: 'LinkDown', object: 'link1#0' });
  });

  it('DifferentSubnetNoGateway: same wire, different subnets', () => {
    const lab = makeLab({
      links: [
        makeVeth(
          { node: 'ns1', ifname: 'eth0', addresses: ['10.0.0.1/24'] },
          { node: 'ns2', ifname: 'eth0', addresses: ['10.0.1.2/24'] },
          { id: 'link1' },
        ),
      ],
    });
    const ex = explain(buildTopology(lab), 'ns1', ip('10.0.1.2'), 'ns2');
    expect(ex.problem).toMatchObject({ reason: 'DifferentSubnetNoGateway', object: 'ns1' });
  });

  it('GatewayAbsent: the route points at an address nobody has', () => {
    const lab = makeLab({
      nodes: [
        makeNamespace({ id: 'ns1', routes: [{ to: '192.168.0.0/16', via: '10.0.0.9' }] }),
        makeNamespace({ id: 'ns2' }),
      ],
    });
    const ex = explain(buildTopology(lab), 'ns1', ip('192.168.1.1'));
    expect(ex.problem).toMatchObject({ reason: 'GatewayAbsent' });
  });

  it('AddressAbsent: the subnet is connected but nobody has the address', () => {
    const ex = explain(buildTopology(makeLab()), 'ns1', ip('10.0.0.77'));
    expect(ex.problem).toMatchObject({ reason: 'AddressAbsent' });
  });

  it('RoutingLoop: two forwarders pointing at each other', () => {
    const lab = makeLab({
      nodes: [
        makeNamespace({ id: 'ns1', forwarding: true, routes: [{ to: '172.16.0.0/12', via: '10.0.0.2' }] }),
        makeNamespace({ id: 'ns2', forwarding: true, routes: [{ to: '172.16.0.0/12', via: '10.0.0.1' }] }),
      ],
    });
    expect(explain(buildTopology(lab), 'ns1', ip('172.16.0.1')).problem).toMatchObject({ reason: 'RoutingLoop' });
  });

  it('IPv6 over a root bridge', () => {
    const lab = makeLab({
      nodes: [makeNamespace({ id: 'a' }), makeNamespace({ id: 'b' }), makeBridge({ id: 'br0' })],
      links: [
        makeVeth({ node: 'a', ifname: 'eth0', addresses: ['fd00::1/64'] }, { node: 'br0', ifname: 'a-br' }),
        makeVeth({ node: 'b', ifname: 'eth0', addresses: ['fd00::2/64'] }, { node: 'br0', ifname: 'b-br' }),
      ],
    });
    const ex = explain(buildTopology(lab), 'a', ip('fd00::2'), 'b');
    expect(ex.expected).toBe(true);
    expect(ex.forward.objects).toEqual(['a', 'a-br0', 'br0', 'b-br0', 'b']);
  });
});

describe('reachability matrix plan', () => {
  it('every ordered pair of namespaces with addresses, pinging the first IPv4 address', () => {
    const { nodes, pairs } = planMatrix(buildTopology(example('router.yaml')));
    expect(nodes).toEqual(['left', 'rtr', 'right']);
    expect(pairs).toHaveLength(6);
    expect(pairs.every((p) => p.explanation.expected)).toBe(true);
  });

  it('a failed ping the design predicted keeps its reason; an unexpected one says so', () => {
    const lab = makeLab();
    lab.links[0]!.endpoints[1].up = false;
    const { pairs } = planMatrix(buildTopology(lab));
    expect(cellProblem(pairs[0]!, false)?.reason).toBe('LinkDown');
    const ok = planMatrix(buildTopology(makeLab())).pairs[0]!;
    expect(cellProblem(ok, true)).toBeUndefined();
    expect(cellProblem(ok, false)?.reason).toBe('Unknown');
  });
});

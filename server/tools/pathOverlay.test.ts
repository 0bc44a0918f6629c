/** Path and reachability over a VXLAN overlay (issue #15): the tunnel is a wire, carried by the underlay. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { Lab } from '../../shared';
import { parseIp } from '../../shared/net';
import { buildTopology, trace } from './path';
import { explain, planMatrix } from './reachability';

const sites = (): Lab =>
  Lab.parse(parseYaml(readFileSync(new URL('../../examples/vxlan-sites.yaml', import.meta.url), 'utf8')));
const ip = (s: string) => parseIp(s)!;
const TUNNEL = 'vxlan:site-a/vx0~site-b/vx0';

function edit(lab: Lab, id: string, patch: Record<string, unknown>): Lab {
  return {
    ...lab,
    nodes: lab.nodes.map((n) => (n.id === id ? ({ ...n, ...patch } as typeof n) : n)),
  };
}

describe('VXLAN overlay path', () => {
  it('site-a → 10.200.0.2 leaves by vx0 and arrives: the overlay hop carries the underlay hops via wan', () => {
    const ex = explain(buildTopology(sites()), 'site-a', ip('10.200.0.2'), 'site-b');
    expect(ex.problem).toBeUndefined();
    expect(ex.expected).toBe(true);
    expect(ex.forward.hops).toEqual([
      {
        node: 'site-a',
        out: 'vx0',
        l2: [TUNNEL],
        tunnel: {
          id: TUNNEL,
          kind: 'vxlan',
          vni: 100,
          remote: '172.16.2.1',
          underlay: [
            { node: 'site-a', out: 'eth0', via: '172.16.1.254', l2: ['site-a-wan'] },
            { node: 'wan', in: 'to-site-a', out: 'to-site-b', l2: ['wan-site-b'] },
            { node: 'site-b', in: 'eth0', l2: [] },
          ],
        },
      },
      { node: 'site-b', in: 'vx0', l2: [] },
    ]);
    // Highlighting: the tunnel and the underlay it rides on.
    expect(ex.forward.objects).toEqual(['site-a', TUNNEL, 'site-a-wan', 'wan', 'wan-site-b', 'site-b']);
    expect(ex.reverse?.hops[0]?.tunnel?.remote).toBe('172.16.1.1');
  });

  it('the matrix predicts every pair reachable (underlay addresses), as the pings find', () => {
    const { pairs } = planMatrix(buildTopology(sites()));
    expect(pairs.map((p) => [p.from, p.to, p.explanation.expected])).toEqual([
      ['site-a', 'wan', true],
      ['site-a', 'site-b', true],
      ['wan', 'site-a', true],
      ['wan', 'site-b', true],
      ['site-b', 'site-a', true],
      ['site-b', 'wan', true],
    ]);
  });

  it('a VNI mismatch breaks the overlay: no wire between the ends (AddressAbsent is then the truth)', () => {
    const lab = sites();
    const b = lab.nodes.find((n) => n.id === 'site-b');
    if (b?.kind !== 'namespace') throw new Error('no site-b');
    const broken = edit(lab, 'site-b', { interfaces: b.interfaces!.map((x) => ({ ...x, vni: 101 })) });
    const tr = trace(buildTopology(broken), 'site-a', ip('10.200.0.2'));
    expect(tr.ok).toBe(false);
    expect(tr.problem?.reason).toBe('AddressAbsent');
  });

  it('an underlay without forwarding: the overlay fails, naming the tunnel and the underlay reason', () => {
    const tr = trace(buildTopology(edit(sites(), 'wan', { forwarding: false })), 'site-a', ip('10.200.0.2'));
    expect(tr.ok).toBe(false);
    expect(tr.problem?.reason).toBe('NoForwarding');
    expect(tr.problem?.message).toContain(
      'the VXLAN tunnel vx0 of namespace "site-a" cannot reach its remote 172.16.2.1',
    );
  });

  it('an underlay link down makes the overlay LinkDown (explained by the interface on the underlay)', () => {
    const t = buildTopology(sites(), { 'wan-site-b#1': 'DOWN' });
    const ex = explain(t, 'site-a', ip('10.200.0.2'), 'site-b');
    expect(ex.expected).toBe(false);
    expect(ex.problem).toMatchObject({ reason: 'LinkDown', object: 'wan-site-b#1' });
  });
});

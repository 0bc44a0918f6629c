/** Impairments (issue #6): bounded numbers at their JSON path, and rules for settings that go together. */
import { describe, expect, it } from 'vitest';
import type { Impairment } from './lab';
import { makeLab, makeVeth } from './testing/factories';
import { validate } from './validate';

const withImpairment = (impairment: unknown, extra: Record<string, unknown> = {}) =>
  makeLab({
    links: [
      makeVeth(
        {
          node: 'ns1',
          ifname: 'eth0',
          addresses: ['10.0.0.1/24'],
          impairment: impairment as Impairment,
          ...extra,
        },
        { node: 'ns2', ifname: 'eth0', addresses: ['10.0.0.2/24'] },
        { id: 'link1' },
      ),
    ],
  });
const issuesOf = (input: unknown) => validate(input).issues.filter((i) => i.code !== 'MtuMismatch');
const at = (...f: (string | number)[]) => ['links', 0, 'endpoints', 0, 'impairment', ...f];

describe('impairments', () => {
  it('accepts a rate limit and netem settings (netem is refused later, at plan time, by capability)', () => {
    expect(validate(withImpairment({ rateKbit: 1000 })).ok).toBe(true);
    expect(validate(withImpairment({ rateKbit: 1000, burstKb: 64, latencyMs: 100 })).ok).toBe(true);
    expect(
      validate(withImpairment({ delayMs: 20, jitterMs: 5, lossPct: 0.5, duplicatePct: 1, corruptPct: 100 })).ok,
    ).toBe(true);
  });

  it.each([
    ['rateKbit', -1000],
    ['rateKbit', 0],
    ['rateKbit', 7],
    ['rateKbit', 1.5],
    ['rateKbit', 1e12],
    ['rateKbit', Number.NaN],
    ['rateKbit', Number.POSITIVE_INFINITY],
    ['rateKbit', '1mbit'],
    ['burstKb', 1],
    ['burstKb', 1e9],
    ['latencyMs', 0],
    ['delayMs', -1],
    ['delayMs', 60_001],
    ['jitterMs', 0.5],
    ['lossPct', 100.01],
    ['lossPct', -0.1],
    ['duplicatePct', 101],
    ['corruptPct', Number.NaN],
  ])('rejects %s = %s at its path', (field, value) => {
    const r = validate(withImpairment({ rateKbit: 1000, [field]: value }));
    expect(r.ok).toBe(false);
    const hit = r.issues.find((i) => JSON.stringify(i.path) === JSON.stringify(at(field)));
    expect(hit, JSON.stringify(r.issues)).toBeDefined();
    expect(hit!.object).toBe('link1#0');
  });

  it('rejects unknown fields inside an impairment', () => {
    const r = validate(withImpairment({ rateKbit: 1000, rate: '1mbit' }));
    expect(r.ok).toBe(false);
    expect(
      r.issues.some((i) => i.code === 'UnknownField' && JSON.stringify(i.path) === JSON.stringify(at('rate'))),
    ).toBe(true);
  });

  it('EmptyImpairment: an impairment that sets nothing', () => {
    expect(issuesOf(withImpairment({}))).toEqual([
      expect.objectContaining({ code: 'EmptyImpairment', path: at(), object: 'link1#0' }),
    ]);
  });

  it('ImpairmentNeedsRate: burst or latency without a rate', () => {
    const issues = issuesOf(withImpairment({ burstKb: 64, latencyMs: 10 }));
    expect(issues.map((i) => [i.code, i.path])).toEqual([
      ['ImpairmentNeedsRate', at('burstKb')],
      ['ImpairmentNeedsRate', at('latencyMs')],
    ]);
  });

  it('JitterNeedsDelay: jitter without a delay', () => {
    expect(issuesOf(withImpairment({ jitterMs: 5 }))).toEqual([
      expect.objectContaining({ code: 'JitterNeedsDelay', path: at('jitterMs'), object: 'link1#0' }),
    ]);
  });

  it('BurstBelowMtu: a bucket that cannot hold one packet of the interface MTU', () => {
    expect(issuesOf(withImpairment({ rateKbit: 1000, burstKb: 2 }, { mtu: 9000 }))).toEqual([
      expect.objectContaining({ code: 'BurstBelowMtu', path: at('burstKb') }),
    ]);
    expect(validate(withImpairment({ rateKbit: 1000, burstKb: 2 })).ok).toBe(true); // 2048 ≥ 1514
  });
});

describe('namespace sysctls', () => {
  it('rpFilter is 0, 1 or 2; proxyArp a boolean; both at their path', () => {
    const lab = (extra: object) =>
      makeLab({ nodes: [{ ...makeLab().nodes[0]!, ...extra } as never, makeLab().nodes[1]!] });
    expect(validate(lab({ rpFilter: 2, proxyArp: true })).ok).toBe(true);
    for (const bad of [{ rpFilter: 3 }, { rpFilter: '1' }, { rpFilter: -1 }, { proxyArp: 'yes' }]) {
      const r = validate(lab(bad));
      expect(r.ok).toBe(false);
      expect(r.issues[0]!.path).toEqual(['nodes', 0, Object.keys(bad)[0]!]);
      expect(r.issues[0]!.object).toBe('ns1');
    }
  });
});

describe('interfaces attached to a namespace (vxlan, tap, vlan)', () => {
  const lab = (interfaces: unknown[], extraNodes: unknown[] = []) =>
    makeLab({
      nodes: [{ ...makeLab().nodes[0]!, interfaces } as never, makeLab().nodes[1]!, ...(extraNodes as never[])],
    });
  const vx = { kind: 'vxlan', name: 'vx0', vni: 42, remote: '192.0.2.2' };
  const codes = (input: unknown) => validate(input).issues.map((i) => [i.code, i.path.join('.')]);

  it('accepts a unicast vxlan on a bridge of the same namespace, a tap, a vlan on an existing interface', () => {
    const r = validate(
      lab(
        [
          { ...vx, bridge: 'br' },
          { kind: 'tap', name: 'tap0' },
          { kind: 'vlan', name: 'eth0.10', parent: 'eth0', vlanId: 10 },
        ],
        [{ id: 'br', kind: 'bridge', name: 'br0', namespace: 'ns1' }],
      ),
    );
    expect(r.issues).toEqual([]);
  });

  it('bounds: VNI 1..16777215, VLAN id 1..4094, unknown kinds and fields rejected', () => {
    expect(validate(lab([{ ...vx, vni: 0 }])).ok).toBe(false);
    expect(validate(lab([{ ...vx, vni: 16777216 }])).ok).toBe(false);
    expect(validate(lab([{ kind: 'vlan', name: 'v', parent: 'eth0', vlanId: 4095 }])).ok).toBe(false);
    expect(validate(lab([{ kind: 'macvtap', name: 'm0' }])).ok).toBe(false);
    expect(validate(lab([{ ...vx, remote: '192.0.2.2; reboot' }])).ok).toBe(false);
  });

  it('cross-reference rules with codes and paths', () => {
    expect(codes(lab([{ ...vx, name: 'eth0' }]))).toContainEqual([
      'DuplicateInterfaceName',
      'nodes.0.interfaces.0.name',
    ]);
    expect(codes(lab([{ ...vx, bridge: 'ns2' }]))).toContainEqual(['NotABridge', 'nodes.0.interfaces.0.bridge']);
    expect(codes(lab([{ kind: 'vxlan', name: 'vx0', vni: 1 }]))).toContainEqual([
      'VxlanNeedsRemoteOrGroup',
      'nodes.0.interfaces.0',
    ]);
    expect(codes(lab([{ kind: 'vxlan', name: 'vx0', vni: 1, group: '10.0.0.9', dev: 'eth0' }]))).toContainEqual([
      'VxlanGroupNotMulticast',
      'nodes.0.interfaces.0.group',
    ]);
    expect(codes(lab([{ kind: 'vxlan', name: 'vx0', vni: 1, group: '239.1.1.1' }]))).toContainEqual([
      'VxlanGroupNeedsDev',
      'nodes.0.interfaces.0.dev',
    ]);
    expect(codes(lab([{ kind: 'vlan', name: 'v10', parent: 'nope', vlanId: 10 }]))).toContainEqual([
      'UnknownDevice',
      'nodes.0.interfaces.0.parent',
    ]);
  });

  it('two VXLANs of one namespace may not share VNI, port and family (the kernel refuses the second)', () => {
    const second = { ...vx, name: 'vx1' };
    expect(codes(lab([vx, second]))).toContainEqual(['DuplicateVni', 'nodes.0.interfaces.1.vni']);
    expect(codes(lab([vx, { ...second, vni: vx.vni + 1 }])).map((c) => c[0])).not.toContain('DuplicateVni');
    expect(codes(lab([vx, { ...second, dstPort: 8472 }])).map((c) => c[0])).not.toContain('DuplicateVni');
  });
});

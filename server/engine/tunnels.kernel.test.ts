/**
 * GRE / IPIP / ip6tnl / GENEVE on the kernel, in a sandbox, through the engine's real capability probe:
 * where the kernel has the kind, apply creates the tunnel (marked, addressed, up) and destroy removes it
 * leaving the sandbox as it was; where it lacks it (this CI kernel lacks all four), the plan is refused
 * with Unsupported naming the interface and the missing kernel support, and nothing changes on the host.
 */
import { expect, it } from 'vitest';
import { Lab } from '../../shared';
import { openEngine } from './engine';
import { describeKernel, kernelDriver, withSandbox } from './testing/kernel';
import { snapshot } from './testing/snapshot';

const KINDS = [
  { kind: 'gre', x: { kind: 'gre', remote: '192.0.2.2', local: '192.0.2.1' }, needs: /CONFIG_NET_IPGRE/ },
  { kind: 'ipip', x: { kind: 'ipip', remote: '192.0.2.2', local: '192.0.2.1' }, needs: /CONFIG_NET_IPIP/ },
  { kind: 'ip6tnl', x: { kind: 'ip6tnl', remote: 'fd00::2', local: 'fd00::1' }, needs: /CONFIG_IPV6_TUNNEL/ },
  { kind: 'geneve', x: { kind: 'geneve', vni: 7, remote: '192.0.2.2' }, needs: /CONFIG_GENEVE/ },
] as const;

const lab = (x: object) =>
  Lab.parse({
    version: 1,
    name: 'tunnels',
    nodes: [
      {
        id: 'a',
        kind: 'namespace',
        name: 'tun-a',
        interfaces: [{ name: 't0', addresses: ['10.9.0.1/30'], ...x }],
      },
      { id: 'b', kind: 'namespace', name: 'tun-b' },
    ],
    // The underlay: a tunnel's `local` must be an address of its namespace (validate, issue #13 item 11).
    links: [
      {
        id: 'under',
        kind: 'veth',
        endpoints: [
          { node: 'a', ifname: 'u0', addresses: ['192.0.2.1/24', 'fd00::1/64'] },
          { node: 'b', ifname: 'u0', addresses: ['192.0.2.2/24', 'fd00::2/64'] },
        ],
      },
    ],
  });

describeKernel('point-to-point tunnel kinds', () => {
  for (const k of KINDS)
    it(`${k.kind}: created where the kernel has it, refused at plan time with nothing changed where not`, () =>
      withSandbox(async (sb, stateDir) => {
        const engine = await openEngine({ stateDir, runner: sb.runner, driver: kernelDriver() });
        try {
          const l = lab(k.x);
          const before = await snapshot(sb.runner);
          if (engine.capabilities()[k.kind] !== true) {
            const p = await engine.plan(l);
            expect(p.operations).toEqual([]);
            expect(p.errors).toEqual([
              expect.objectContaining({ code: 'Unsupported', path: 'nodes.0.interfaces.0.kind', object: 'a/t0' }),
            ]);
            expect(p.errors[0]!.message).toMatch(k.needs);
            expect(await engine.apply(l)).toMatchObject({ ok: false, ran: 0, error: { code: 'Unsupported' } });
            expect(await snapshot(sb.runner)).toEqual(before);
            return;
          }
          expect((await engine.apply(l)).error).toBeUndefined();
          const r = await sb.runner.run(['ip', '-n', 'tun-a', '-d', '-j', 'link', 'show', 'dev', 't0']);
          expect(JSON.parse(r.stdout)[0]).toMatchObject({ ifalias: 'netloom:tunnels:a/t0' });
          expect((await engine.destroy('tunnels')).ok).toBe(true);
          expect(await snapshot(sb.runner)).toEqual(before);
        } finally {
          await engine.close();
        }
      }));
});

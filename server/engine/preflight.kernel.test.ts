/**
 * Pre-flight wired into plan (issue #13 "Also"): its warnings ride in the plan. (A bridge past its port
 * limit, the one error a lab alone can reach, is refused earlier by validate().)
 */
import { expect, it } from 'vitest';
import { Lab } from '../../shared';
import { openEngine } from './engine';
import { MANY_NAMESPACES } from './preflight';
import { describeKernel, kernelDriver, withSandbox } from './testing/kernel';

const star = (namespaces: number, bridge: boolean) =>
  Lab.parse({
    version: 1,
    name: 'big',
    nodes: [
      ...(bridge ? [{ id: 'sw', kind: 'bridge', name: 'sw' }] : []),
      ...Array.from({ length: namespaces }, (_, i) => ({ id: `n${i}`, kind: 'namespace', name: `n${i}` })),
    ],
    links: bridge
      ? Array.from({ length: namespaces }, (_, i) => ({
          id: `l${i}`,
          kind: 'veth',
          endpoints: [
            { node: `n${i}`, ifname: 'eth0' },
            { node: 'sw', ifname: `p${i}` },
          ],
        }))
      : [],
  });

describeKernel('pre-flight in plan and apply', () => {
  it('a lab past the namespace count carries a ManyNamespaces warning in its plan', () =>
    withSandbox(async (sb, stateDir) => {
      const engine = await openEngine({ stateDir, runner: sb.runner, driver: kernelDriver(), skipProbe: true });
      try {
        const p = await engine.plan(star(MANY_NAMESPACES + 1, false));
        expect(p.errors).toEqual([]);
        expect(p.warnings?.map((w) => w.code)).toContain('ManyNamespaces');
        expect(p.warnings?.every((w) => w.severity === 'warning')).toBe(true);
      } finally {
        await engine.close();
      }
    }));
});

/**
 * Pre-flight wired into plan and apply (issue #13 "Also"): its warnings ride in the plan, its errors refuse
 * plan and apply before anything changes.
 */
import { expect, it } from 'vitest';
import { Lab } from '../../shared';
import { openEngine } from './engine';
import { MANY_NAMESPACES } from './preflight';
import { describeKernel, kernelDriver, withSandbox } from './testing/kernel';
import { snapshot } from './testing/snapshot';

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

  it('a bridge past its port limit is refused by plan and by apply, nothing created', () =>
    withSandbox(async (sb, stateDir) => {
      const engine = await openEngine({ stateDir, runner: sb.runner, driver: kernelDriver(), skipProbe: true });
      try {
        const lab = star(1024, true);
        const before = await snapshot(sb.runner);
        const p = await engine.plan(lab);
        expect(p.operations).toEqual([]);
        expect(p.errors.map((e) => e.code)).toContain('BridgePortLimit');
        const a = await engine.apply(lab);
        expect(a.ok).toBe(false);
        expect(a.ran).toBe(0);
        expect(a.error?.code).toBe('Unsupported');
        expect(a.error?.message).toMatch(/1023/);
        expect(await snapshot(sb.runner)).toEqual(before);
      } finally {
        await engine.close();
      }
    }));
});

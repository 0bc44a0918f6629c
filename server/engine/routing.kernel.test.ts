/**
 * Routing on the router example (issue 6): ping across the router works; removing one host's default route
 * breaks it with exactly one operation; re-adding it restores it with one; forwarding off then on again
 * likewise; an IPv6 route is planned and applied the same way. Both drivers (NETLOOM_TEST_DRIVER).
 */
import { expect, it } from 'vitest';
import { type Lab, type LabInput, validate } from '../../shared';
import type { CommandRunner } from './contract';
import { openEngine } from './engine';
import { describeKernel, exampleLabs, kernelDriver, withSandbox } from './testing/kernel';

const labs = await exampleLabs().catch(() => []);

function parse(input: LabInput): Lab {
  const v = validate(input);
  if (!v.ok) throw new Error(JSON.stringify(v.issues));
  return v.lab;
}

async function pings(runner: CommandRunner, from: string, to: string): Promise<boolean> {
  const r = await runner.run(['ip', 'netns', 'exec', from, 'ping', '-c1', '-W1', to], { timeoutMs: 5000 });
  return r.code === 0;
}

/** A copy of the router lab with `edit` applied to its node `id`. */
function edited(base: Lab, id: string, edit: (n: Record<string, unknown>) => void): Lab {
  const copy = structuredClone(base) as unknown as { nodes: Record<string, unknown>[] };
  edit(copy.nodes.find((n) => n.id === id)!);
  return parse(copy as unknown as LabInput);
}

describeKernel('routing on the router example', () => {
  it('route removed → no ping (1 op); re-added → ping (1 op); forwarding off/on likewise; IPv6 routes too', () =>
    withSandbox(async (sb, stateDir) => {
      const input = labs.find((l) => l.lab.name === 'router')?.lab;
      if (!input) throw new Error('examples/router.yaml is missing');
      const router = parse(input);
      const engine = await openEngine({ stateDir, runner: sb.runner, driver: kernelDriver(), skipProbe: true });
      try {
        expect((await engine.apply(router)).error).toBeUndefined();
        expect(await pings(sb.runner, 'left', '10.1.2.2')).toBe(true);

        const noRoute = edited(router, 'left', (n) => {
          n.routes = [];
        });
        const p = await engine.plan(noRoute);
        expect(p.operations.map((o) => o.kind)).toEqual(['route.del']);
        const del = await engine.apply(noRoute);
        expect(del.error).toBeUndefined();
        expect(del.ran).toBe(1);
        expect(await pings(sb.runner, 'left', '10.1.2.2')).toBe(false);
        // The router itself is still reachable on left's own subnet.
        expect(await pings(sb.runner, 'left', '10.1.1.254')).toBe(true);

        const back = await engine.apply(router);
        expect(back.ran).toBe(1);
        expect(await pings(sb.runner, 'left', '10.1.2.2')).toBe(true);

        const noForwarding = edited(router, 'rtr', (n) => {
          n.forwarding = false;
        });
        const off = await engine.apply(noForwarding);
        expect(off.error).toBeUndefined();
        expect(off.ran).toBeGreaterThan(0);
        expect(await pings(sb.runner, 'left', '10.1.2.2')).toBe(false);
        expect(await pings(sb.runner, 'left', '10.1.1.254')).toBe(true);
        expect((await engine.apply(router)).error).toBeUndefined();
        expect(await pings(sb.runner, 'left', '10.1.2.2')).toBe(true);

        // IPv6: addresses on both legs and a route to the far subnet via the router, nothing else replanned.
        const v6 = structuredClone(router) as unknown as {
          nodes: { id: string; routes?: unknown[] }[];
          links: { id: string; endpoints: { addresses: string[] }[] }[];
        };
        const link = (id: string) => v6.links.find((l) => l.id === id)!;
        link('left-rtr').endpoints[0]!.addresses.push('fd00:1::2/64');
        link('left-rtr').endpoints[1]!.addresses.push('fd00:1::1/64');
        link('rtr-right').endpoints[0]!.addresses.push('fd00:2::1/64');
        link('rtr-right').endpoints[1]!.addresses.push('fd00:2::2/64');
        v6.nodes.find((n) => n.id === 'left')!.routes!.push({ to: 'fd00:2::/64', via: 'fd00:1::1' });
        v6.nodes.find((n) => n.id === 'right')!.routes!.push({ to: 'fd00:1::/64', via: 'fd00:2::1' });
        const dual = parse(v6 as unknown as LabInput);
        const kinds = (await engine.plan(dual)).operations.map((o) => o.kind).sort();
        expect(kinds.filter((k) => k !== 'addr.add' && k !== 'route.add')).toEqual([]);
        expect(kinds.filter((k) => k === 'route.add')).toHaveLength(2);
        expect((await engine.apply(dual)).error).toBeUndefined();
        // IPv6 DAD may delay the first packets: retry a few times (a condition, not a sleep).
        let ok = false;
        for (let i = 0; i < 10 && !ok; i++) ok = await pings(sb.runner, 'left', 'fd00:2::2');
        expect(ok).toBe(true);
        expect((await engine.apply(dual)).ran).toBe(0);
        expect((await engine.destroy('router')).error).toBeUndefined();
      } finally {
        await engine.close();
      }
    }));
});

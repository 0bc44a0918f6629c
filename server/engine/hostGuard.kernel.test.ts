/**
 * The host guard on the kernel (issue #13 item 2): each sandbox gets a default route of its own, via a veth
 * it owns (`up0` in the sandbox's root towards namespace `gw`). Adoption of what carries it is refused unless
 * the host node allows it; once adopted, destroy leaves it; a rollback at recovery leaves it too.
 */
import { expect, it } from 'vitest';
import { Lab } from '../../shared';
import { adopt } from '../discovery/adopt';
import { discover } from '../discovery/discover';
import { toLab } from '../discovery/toLab';
import type { CommandRunner } from './contract';
import { openEngine, SimulatedCrash } from './engine';
import { describeKernel, kernelDriver, withSandbox } from './testing/kernel';

async function sh(runner: CommandRunner, cmds: string[][]): Promise<void> {
  for (const argv of cmds) {
    const r = await runner.run(argv);
    if (r.code !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr}`);
  }
}

/** The sandbox's own uplink: root `up0` ⇄ `gw`'s `eth0`, and the root's default route through it. */
const UPLINK: string[][] = [
  ['ip', 'netns', 'add', 'gw'],
  ['ip', 'link', 'add', 'up0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', 'gw'],
  ['ip', 'addr', 'add', '10.99.0.1/24', 'dev', 'up0'],
  ['ip', 'link', 'set', 'up0', 'up'],
  ['ip', '-n', 'gw', 'addr', 'add', '10.99.0.2/24', 'dev', 'eth0'],
  ['ip', '-n', 'gw', 'link', 'set', 'eth0', 'up'],
  ['ip', 'route', 'add', 'default', 'via', '10.99.0.2', 'dev', 'up0'],
];

async function defaultRoute(runner: CommandRunner): Promise<string> {
  return (await runner.run(['ip', '-o', 'route', 'show', 'default'])).stdout.trim();
}
async function hasLink(runner: CommandRunner, ifname: string): Promise<boolean> {
  return (await runner.run(['ip', 'link', 'show', 'dev', ifname])).code === 0;
}

describeKernel('host guard on the kernel: the default-route interface survives', () => {
  it('adoption of it is refused unless the host node allows it; adopted, destroy still leaves it', () =>
    withSandbox(async (sb, stateDir) => {
      await sh(sb.runner, UPLINK);
      const route = await defaultRoute(sb.runner);
      expect(route).toContain('dev up0');
      const d = await discover(sb.runner);
      const dl = toLab(d, { labName: 'found' });
      const select = [...dl.lab.nodes.map((n) => n.id), ...dl.lab.links.map((l) => l.id)];
      const a = adopt(d, select, 'found', { discovered: dl });
      expect(a.refused).toEqual([]);
      expect(a.ops.some((o) => o.kind === 'link.setAlias' && o.netns === null && o.ifname === 'up0')).toBe(true);
      const engine = await openEngine({ stateDir, runner: sb.runner, driver: kernelDriver(), skipProbe: true });
      try {
        const refused = await engine.adopt(a.lab, a.ops);
        expect(refused.ok).toBe(false);
        expect(refused.ran).toBe(0);
        expect(refused.error?.code).toBe('Conflict');
        expect(refused.error?.message).toMatch(
          /'up0'.*carries the host's default route.*allowDefaultRouteInterface: true/,
        );
        // Nothing was marked.
        const aliases = (await sb.runner.run(['ip', '-j', 'link', 'show', 'dev', 'up0'])).stdout;
        expect(aliases).not.toContain('netloom:');

        // The host node allows it: adopted (journaled, locked), and the lab matches the host.
        const allowed = Lab.parse({
          ...a.lab,
          nodes: a.lab.nodes.map((n) => (n.kind === 'host' ? { ...n, allowDefaultRouteInterface: true } : n)),
        });
        const ok = await engine.adopt(allowed, a.ops);
        expect(ok.error).toBeUndefined();
        expect(ok.ran).toBe(a.ops.length);
        expect((await engine.plan(allowed)).operations).toEqual([]);

        // Destroy would delete gw (and up0 with its peer): refused with the reason, nothing deleted.
        const down = await engine.destroy('found');
        expect(down.ok).toBe(false);
        expect(down.error?.code).toBe('Conflict');
        expect(down.error?.message).toMatch(/'up0' carries the host's default route/);
        expect(await hasLink(sb.runner, 'up0')).toBe(true);
        expect(await defaultRoute(sb.runner)).toBe(route);
      } finally {
        await engine.close();
      }
    }));

  it('a rollback at recovery does not delete an interface that came to carry the default route', () =>
    withSandbox(async (sb, stateDir) => {
      const lab = Lab.parse({
        version: 1,
        name: 'uplink',
        nodes: [
          { id: 'host', kind: 'host', allowDefaultRouteInterface: true },
          { id: 'a', kind: 'namespace', name: 'a' },
        ],
        links: [
          {
            id: 'l1',
            kind: 'veth',
            endpoints: [
              { node: 'host', ifname: 'h0', addresses: ['10.98.0.1/24'] },
              { node: 'a', ifname: 'eth0', addresses: ['10.98.0.2/24'] },
            ],
          },
        ],
      });
      const probe = await openEngine({ stateDir, runner: sb.runner, driver: kernelDriver(), skipProbe: true });
      const total = (await probe.plan(lab)).operations.length;
      await probe.close();
      expect(total).toBeGreaterThan(1);
      const crashing = await openEngine({
        stateDir,
        runner: sb.runner,
        driver: kernelDriver(),
        skipProbe: true,
        hooks: {
          afterWave: async (_w, completed) => {
            if (completed < total) return;
            // The host's default route moves onto the lab's interface, then the process dies.
            await sh(sb.runner, [['ip', 'route', 'add', 'default', 'via', '10.98.0.2', 'dev', 'h0']]);
            throw new SimulatedCrash('crash after the last wave');
          },
        },
      });
      await expect(crashing.apply(lab)).rejects.toBeInstanceOf(SimulatedCrash);
      // A new process: recovery at open would roll the apply back — deleting h0 (and a) — and refuses to.
      const fresh = await openEngine({ stateDir, runner: sb.runner, driver: kernelDriver(), skipProbe: true });
      try {
        expect(await hasLink(sb.runner, 'h0')).toBe(true);
        expect(await defaultRoute(sb.runner)).toContain('dev h0');
        const blocked = await fresh.apply(lab);
        expect(blocked.error?.code).toBe('RecoveryRequired');
        expect(blocked.error?.message).toMatch(/'h0' carries the host's default route/);
        // Once a person moves the route away, recover rolls back as usual.
        await sh(sb.runner, [['ip', 'route', 'del', 'default']]);
        expect((await fresh.recover()).ok).toBe(true);
        expect(await hasLink(sb.runner, 'h0')).toBe(false);
      } finally {
        await fresh.close();
      }
    }));
});

/**
 * Per-interface admin state and namespace sysctls on the kernel (issue #6), each test in its own sandbox:
 * an endpoint set down plans only `link.setUp` and ping stops; set up again, ping resumes. rpFilter and
 * proxyArp are applied on `all` and `default`, changed incrementally, and destroy leaves the sandbox as before.
 */
import { expect, it } from 'vitest';
import { Lab, type LabInput } from '../../shared';
import type { CommandRunner } from './contract';
import { openEngine } from './engine';
import { describeKernel, kernelDriver, pingAvailable, withSandbox } from './testing/kernel';
import { linkIdentity, snapshot } from './testing/snapshot';

const canPing = pingAvailable();

const lab = (opts: { up?: boolean; rpFilter?: 0 | 1 | 2; proxyArp?: boolean } = {}): Lab =>
  Lab.parse({
    version: 1,
    name: 'settings',
    nodes: [
      {
        id: 'red',
        kind: 'namespace',
        name: 'nlt-red',
        ...(opts.rpFilter !== undefined && { rpFilter: opts.rpFilter }),
        ...(opts.proxyArp !== undefined && { proxyArp: opts.proxyArp }),
      },
      { id: 'blue', kind: 'namespace', name: 'nlt-blue' },
    ],
    links: [
      {
        id: 'l1',
        kind: 'veth',
        endpoints: [
          { node: 'red', ifname: 'red-eth0', addresses: ['10.0.0.1/24'], up: opts.up ?? true },
          { node: 'blue', ifname: 'blue-eth0', addresses: ['10.0.0.2/24'] },
        ],
      },
    ],
  } satisfies LabInput);

const ping = async (runner: CommandRunner): Promise<boolean> => {
  const r = await runner.run(['ip', 'netns', 'exec', 'nlt-blue', 'ping', '-c1', '-W1', '10.0.0.1'], {
    timeoutMs: 5000,
  });
  return r.code === 0;
};
const sysctl = async (runner: CommandRunner, key: string) =>
  (await runner.run(['ip', 'netns', 'exec', 'nlt-red', 'sysctl', '-n', key])).stdout.trim();

describeKernel('interface state and namespace sysctls on the kernel', () => {
  it('down plans only link.setUp and stops ping; up again resumes it; the interface keeps its identity', () =>
    withSandbox(async (sb, stateDir) => {
      const engine = await openEngine({ stateDir, runner: sb.runner, driver: kernelDriver(), skipProbe: true });
      const before = await snapshot(sb.runner);
      expect((await engine.apply(lab())).ok).toBe(true);
      const id = await linkIdentity(sb.runner, 'nlt-red', 'red-eth0');
      if (canPing) expect(await ping(sb.runner)).toBe(true);

      const down = await engine.plan(lab({ up: false }));
      expect(down.operations.map((o) => [o.kind, o.argv.join(' ')])).toEqual([
        ['link.setUp', 'ip -n nlt-red link set dev red-eth0 down'],
      ]);
      expect(await engine.apply(lab({ up: false }))).toMatchObject({ ok: true, ran: 1 });
      if (canPing) expect(await ping(sb.runner)).toBe(false);
      const st = await engine.status(lab(), { observed: 1, applied: 1 });
      expect(st.objects['l1#0']?.conditions.map((c) => c.reason)).toEqual(['AdminDown']);

      const up = await engine.plan(lab());
      expect(up.operations.map((o) => o.kind)).toEqual(['link.setUp']);
      expect(await engine.apply(lab())).toMatchObject({ ok: true, ran: 1 });
      if (canPing) {
        let ok = false;
        for (let i = 0; i < 3 && !ok; i++) ok = await ping(sb.runner);
        expect(ok).toBe(true);
      }
      expect(await linkIdentity(sb.runner, 'nlt-red', 'red-eth0')).toEqual(id);
      expect((await engine.destroy('settings')).ok).toBe(true);
      expect(await snapshot(sb.runner)).toEqual(before);
      await engine.close();
    }));

  it('rpFilter and proxyArp are applied on all + default, changed incrementally, drift is seen', () =>
    withSandbox(async (sb, stateDir) => {
      const engine = await openEngine({ stateDir, runner: sb.runner, driver: kernelDriver(), skipProbe: true });
      const before = await snapshot(sb.runner);
      const want = lab({ rpFilter: 2, proxyArp: true });
      expect((await engine.apply(want)).error).toBeUndefined();
      for (const scope of ['all', 'default']) {
        expect(await sysctl(sb.runner, `net.ipv4.conf.${scope}.rp_filter`)).toBe('2');
        expect(await sysctl(sb.runner, `net.ipv4.conf.${scope}.proxy_arp`)).toBe('1');
      }
      expect(await engine.apply(want)).toMatchObject({ ok: true, ran: 0 });

      const strict = lab({ rpFilter: 1, proxyArp: true });
      const p = await engine.plan(strict);
      expect(p.operations.map((o) => o.argv.slice(-1)[0])).toEqual([
        'net.ipv4.conf.all.rp_filter=1',
        'net.ipv4.conf.default.rp_filter=1',
      ]);
      expect(p.operations[0]!.inverseArgv?.slice(-1)).toEqual(['net.ipv4.conf.all.rp_filter=2']);
      expect(await engine.apply(strict)).toMatchObject({ ok: true, ran: 2 });
      expect(await sysctl(sb.runner, 'net.ipv4.conf.all.rp_filter')).toBe('1');

      await sb.runner.run(['ip', 'netns', 'exec', 'nlt-red', 'sysctl', '-q', '-w', 'net.ipv4.conf.all.proxy_arp=0']);
      const st = await engine.status(strict, { observed: 1, applied: 1 });
      expect(st.objects.red?.conditions.map((c) => c.reason)).toEqual(['SysctlDiffers']);
      expect(await engine.apply(strict)).toMatchObject({ ok: true, ran: 1 });

      expect((await engine.destroy('settings')).ok).toBe(true);
      expect(await snapshot(sb.runner)).toEqual(before);
      await engine.close();
    }));
});

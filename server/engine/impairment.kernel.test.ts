/**
 * Impairments on the kernel (issue #6), each test in its own sandbox: a tbf rate limit measurably limits a
 * burst between two namespaces, changes in place (ifindex kept), is seen when removed by hand and repaired;
 * netem settings are refused at plan time with nothing changed (this kernel has no netem).
 */
import { expect, it } from 'vitest';
import { Lab, type LabInput } from '../../shared';
import type { CommandRunner } from './contract';
import { openEngine } from './engine';
import { observe } from './observe';
import { describeKernel, kernelDriver, pingAvailable, withSandbox } from './testing/kernel';
import { snapshot } from './testing/snapshot';

const canPing = pingAvailable();

const lab = (impairment?: object): Lab =>
  Lab.parse({
    version: 1,
    name: 'shaped',
    nodes: [
      { id: 'red', kind: 'namespace', name: 'nlt-red' },
      { id: 'blue', kind: 'namespace', name: 'nlt-blue' },
    ],
    links: [
      {
        id: 'l1',
        kind: 'veth',
        endpoints: [
          { node: 'red', ifname: 'red-eth0', addresses: ['10.0.0.1/24'], ...(impairment && { impairment }) },
          { node: 'blue', ifname: 'blue-eth0', addresses: ['10.0.0.2/24'] },
        ],
      },
    ],
  } satisfies LabInput);

/** 50 pings of 1400 bytes sent back to back (preload): how many answers came back. */
async function burst(runner: CommandRunner): Promise<number> {
  const r = await runner.run(
    ['ip', 'netns', 'exec', 'nlt-red', 'ping', '-q', '-n', '-c', '50', '-l', '50', '-s', '1400', '-w', '3', '10.0.0.2'],
    { timeoutMs: 10_000 },
  );
  const m = /(\d+) received/.exec(r.stdout);
  if (!m) throw new Error(`unexpected ping output: ${r.stdout} ${r.stderr}`);
  return Number(m[1]);
}

async function tbfStats(runner: CommandRunner): Promise<{ kind: string; drops?: number; overlimits?: number }> {
  const r = await runner.run(['tc', '-n', 'nlt-red', '-s', '-j', 'qdisc', 'show', 'dev', 'red-eth0', 'root']);
  return (JSON.parse(r.stdout) as { kind: string; drops?: number; overlimits?: number }[])[0]!;
}

const redLink = async (runner: CommandRunner) =>
  (await observe(runner)).namespaces['nlt-red']!.links.find((l) => l.ifname === 'red-eth0')!;

describeKernel('impairments on the kernel', () => {
  it('a rate limit limits a burst, changes in place, is removed, and destroy leaves the sandbox as before', () =>
    withSandbox(async (sb, stateDir) => {
      const engine = await openEngine({ stateDir, runner: sb.runner, driver: kernelDriver() });
      expect(engine.capabilities()).toMatchObject({ tbf: true, netem: false });
      const before = await snapshot(sb.runner);

      // 800 kbit/s with a 16 KB bucket: 50 × 1.4 KB back to back cannot all pass.
      const limited = lab({ rateKbit: 800, burstKb: 16, latencyMs: 20 });
      expect((await engine.apply(limited)).error).toBeUndefined();
      const l = await redLink(sb.runner);
      expect(l.qdisc).toEqual({ kind: 'tbf', rateKbit: 800, burstBytes: 16384, latencyMs: 20 });
      // The kernel's own rounding reads back as "as designed": a re-apply runs nothing.
      expect(await engine.apply(limited)).toMatchObject({ ok: true, ran: 0 });
      const st = await engine.status(limited, { observed: 1, applied: 1 });
      expect(st.objects['l1#0']?.state).toBe('ready');

      if (canPing) {
        const got = await burst(sb.runner);
        expect(got).toBeGreaterThan(0);
        expect(got).toBeLessThan(40);
        const stats = await tbfStats(sb.runner);
        expect(stats.kind).toBe('tbf');
        expect((stats.drops ?? 0) + (stats.overlimits ?? 0)).toBeGreaterThan(0);
      }

      // A rate change is one in-place `tc qdisc replace`: same ifindex.
      const faster = lab({ rateKbit: 4000, burstKb: 64 });
      const p = await engine.plan(faster);
      expect(p.operations.map((o) => o.kind)).toEqual(['qdisc.replace']);
      expect(p.operations[0]!.argv.slice(0, 4)).toEqual(['tc', '-n', 'nlt-red', 'qdisc']);
      expect(await engine.apply(faster)).toMatchObject({ ok: true, ran: 1 });
      const l2 = await redLink(sb.runner);
      expect(l2.ifindex).toBe(l.ifindex);
      expect(l2.qdisc).toMatchObject({ kind: 'tbf', rateKbit: 4000 });

      // Removed by hand: status shows drift, a re-apply repairs only that.
      await sb.runner.run(['tc', '-n', 'nlt-red', 'qdisc', 'del', 'dev', 'red-eth0', 'root']);
      const drifted = await engine.status(faster, { observed: 1, applied: 1 });
      expect(drifted.objects['l1#0']).toMatchObject({ state: 'drifted' });
      expect(drifted.objects['l1#0']!.conditions.map((c) => c.reason)).toEqual(['ImpairmentMissing']);
      expect(await engine.apply(faster)).toMatchObject({ ok: true, ran: 1 });

      // Impairment removed from the design: back to the default qdisc, traffic passes.
      const plain = lab();
      expect((await engine.plan(plain)).operations.map((o) => o.kind)).toEqual(['qdisc.delete']);
      expect(await engine.apply(plain)).toMatchObject({ ok: true, ran: 1 });
      expect((await redLink(sb.runner)).qdisc).toBeUndefined();
      if (canPing) expect(await burst(sb.runner)).toBeGreaterThanOrEqual(45);

      expect((await engine.destroy('shaped')).ok).toBe(true);
      expect(await snapshot(sb.runner)).toEqual(before);
      await engine.close();
    }));

  it('netem settings are refused at plan time, naming the field, and nothing changes', () =>
    withSandbox(async (sb, stateDir) => {
      const engine = await openEngine({ stateDir, runner: sb.runner, driver: kernelDriver() });
      expect((await engine.apply(lab({ rateKbit: 1000 }))).ok).toBe(true);
      const before = await snapshot(sb.runner);
      const netem = lab({ rateKbit: 1000, delayMs: 20, lossPct: 1 });
      const p = await engine.plan(netem);
      expect(p.operations).toEqual([]);
      expect(p.errors).toEqual([
        {
          code: 'Unsupported',
          message: expect.stringContaining(
            "delay on 'red-eth0' needs the netem qdisc, which this kernel does not have",
          ),
          path: 'links.0.endpoints.0.impairment.delayMs',
          object: 'l1#0', // the canvas shows it on that end
        },
        expect.objectContaining({ code: 'Unsupported', path: 'links.0.endpoints.0.impairment.lossPct' }),
      ]);
      const out = await engine.apply(netem);
      expect(out).toMatchObject({ ok: false, ran: 0, error: { code: 'Unsupported', object: 'l1#0' } });
      expect(await snapshot(sb.runner)).toEqual(before);
      // Also from nothing: no namespace is created.
      expect((await engine.destroy('shaped')).ok).toBe(true);
      const empty = await snapshot(sb.runner);
      expect((await engine.apply(netem)).ok).toBe(false);
      expect(await snapshot(sb.runner)).toEqual(empty);
      await engine.close();
    }));
});

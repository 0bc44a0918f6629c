/**
 * Host NAT on the kernel (issue #6), in a sandbox: the sandbox's root namespace plays the host, with an
 * "outside" namespace (the fake internet) on its own veth and a default route to it. The outside has no
 * route back to the lab, so a lab namespace reaches it only when the host masquerades. Destroy leaves the
 * nft ruleset (including a foreign table) and ip_forward exactly as before.
 */
import { expect, it } from 'vitest';
import { Lab, type LabInput } from '../../shared';
import type { CommandRunner } from './contract';
import { openEngine } from './engine';
import { FaultyRunner } from './testing/faults';
import { describeKernel, kernelDriver, pingAvailable, withSandbox } from './testing/kernel';
import { snapshot } from './testing/snapshot';

const canPing = pingAvailable();

const lab = (nat: boolean): Lab =>
  Lab.parse({
    version: 1,
    name: 'uplink',
    nodes: [
      { id: 'host', kind: 'host', ...(nat && { nat: {} }) },
      {
        id: 'lan',
        kind: 'namespace',
        name: 'nlt-lan',
        routes: [{ to: 'default', via: '10.20.0.1' }],
      },
    ],
    links: [
      {
        id: 'up',
        kind: 'veth',
        endpoints: [
          { node: 'host', ifname: 'lab-up', addresses: ['10.20.0.1/24'] },
          { node: 'lan', ifname: 'lan0', addresses: ['10.20.0.2/24'] },
        ],
      },
    ],
  } satisfies LabInput);

async function must(runner: CommandRunner, argv: string[], stdin?: string) {
  const r = await runner.run(argv, { ...(stdin !== undefined && { stdin }) });
  if (r.code !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** The fake internet: namespace nlt-out (203.0.113.2) behind the host's up0 (203.0.113.1), default route. */
async function outside(runner: CommandRunner) {
  await must(runner, ['ip', 'netns', 'add', 'nlt-out']);
  await must(runner, ['ip', 'link', 'add', 'name', 'up0', 'type', 'veth', 'peer', 'name', 'out0', 'netns', 'nlt-out']);
  // No IPv6 on the fake uplink: its link-local addresses and routes would appear asynchronously.
  await must(runner, ['sysctl', '-q', '-w', 'net.ipv6.conf.up0.disable_ipv6=1']);
  await must(runner, ['ip', 'netns', 'exec', 'nlt-out', 'sysctl', '-q', '-w', 'net.ipv6.conf.out0.disable_ipv6=1']);
  await must(runner, ['ip', 'addr', 'add', '203.0.113.1/24', 'dev', 'up0']);
  await must(runner, ['ip', 'link', 'set', 'dev', 'up0', 'up']);
  await must(runner, ['ip', '-n', 'nlt-out', 'addr', 'add', '203.0.113.2/24', 'dev', 'out0']);
  await must(runner, ['ip', '-n', 'nlt-out', 'link', 'set', 'dev', 'out0', 'up']);
  await must(runner, ['ip', '-n', 'nlt-out', 'link', 'set', 'dev', 'lo', 'up']);
  await must(runner, ['ip', 'route', 'add', 'default', 'via', '203.0.113.2', 'dev', 'up0']);
  // A foreign table next to ours: must be left byte for byte.
  await must(
    runner,
    ['nft', '-f', '-'],
    'table inet foreign {\n  chain input { type filter hook input priority 0; policy accept; }\n}\n',
  );
  // Let carrier and IPv6 link-local addresses settle, so "before" snapshots are stable.
  let prev = JSON.stringify(await snapshot(runner));
  for (let i = 0; i < 50; i++) {
    await new Promise((r) => setTimeout(r, 200));
    const now = JSON.stringify(await snapshot(runner));
    if (now === prev && !now.includes('NO-CARRIER')) return;
    prev = now;
  }
}

const ruleset = (runner: CommandRunner) => must(runner, ['nft', 'list', 'ruleset']);
const ipForward = async (runner: CommandRunner) => (await must(runner, ['sysctl', '-n', 'net.ipv4.ip_forward'])).trim();

async function reachesOutside(runner: CommandRunner): Promise<boolean> {
  for (let i = 0; i < 2; i++) {
    const r = await runner.run(['ip', 'netns', 'exec', 'nlt-lan', 'ping', '-c1', '-W1', '203.0.113.2'], {
      timeoutMs: 5000,
    });
    if (r.code === 0) return true;
  }
  return false;
}

describeKernel('host NAT on the kernel', () => {
  it('masquerade lets the lab reach the outside; ip_forward is turned on and restored; destroy leaves nft as before', () =>
    withSandbox(async (sb, stateDir) => {
      await outside(sb.runner);
      const engine = await openEngine({ stateDir, runner: sb.runner, driver: kernelDriver() });
      expect(engine.capabilities().nftables).toBe(true);
      expect(await ipForward(sb.runner)).toBe('0');
      const before = await snapshot(sb.runner);
      const rulesBefore = await ruleset(sb.runner);

      const withNat = lab(true);
      const p = await engine.plan(withNat);
      expect(p.errors).toEqual([]);
      expect(p.operations.map((o) => o.kind)).toContain('sysctl.set');
      expect(p.operations.find((o) => o.kind === 'nat.apply')?.argv).toEqual(['nft', '-f', '-']);
      expect(p.script).toContain('table ip netloom_uplink {');
      expect((await engine.apply(withNat)).error).toBeUndefined();
      expect(await ipForward(sb.runner)).toBe('1');
      expect(await ruleset(sb.runner)).toContain('masquerade comment "netloom:uplink:host ipfwd=0"');
      expect(await engine.apply(withNat)).toMatchObject({ ok: true, ran: 0 });
      expect((await engine.status(withNat, { observed: 1, applied: 1 })).objects.host?.state).toBe('ready');
      if (canPing) expect(await reachesOutside(sb.runner)).toBe(true);

      expect((await engine.destroy('uplink')).ok).toBe(true);
      expect(await ipForward(sb.runner)).toBe('0');
      expect(await ruleset(sb.runner)).toBe(rulesBefore);
      expect(await snapshot(sb.runner)).toEqual(before);
      await engine.close();
    }));

  it('without NAT the outside cannot answer (no route back); NAT added then removed changes only the table', () =>
    withSandbox(async (sb, stateDir) => {
      await outside(sb.runner);
      // Forwarding already on (someone else's choice): Netloom must leave it on.
      await must(sb.runner, ['sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']);
      const engine = await openEngine({ stateDir, runner: sb.runner, driver: kernelDriver() });
      const rulesBefore = await ruleset(sb.runner);

      expect((await engine.apply(lab(false))).ok).toBe(true);
      if (canPing) expect(await reachesOutside(sb.runner)).toBe(false);

      const p = await engine.plan(lab(true));
      expect(p.operations.map((o) => o.kind)).toEqual(['nat.apply']);
      expect(await engine.apply(lab(true))).toMatchObject({ ok: true, ran: 1 });
      if (canPing) expect(await reachesOutside(sb.runner)).toBe(true);

      // Drift: the table deleted by hand is seen and repaired.
      await must(sb.runner, ['nft', 'delete', 'table', 'ip', 'netloom_uplink']);
      const st = await engine.status(lab(true), { observed: 1, applied: 1 });
      expect(st.objects.host?.conditions.map((c) => c.reason)).toEqual(['NatMissing']);
      expect(await engine.apply(lab(true))).toMatchObject({ ok: true, ran: 1 });

      expect((await engine.plan(lab(false))).operations.map((o) => o.kind)).toEqual(['nat.delete']);
      expect(await engine.apply(lab(false))).toMatchObject({ ok: true, ran: 1 });
      expect(await ipForward(sb.runner)).toBe('1');
      expect(await ruleset(sb.runner)).toBe(rulesBefore);
      expect((await engine.destroy('uplink')).ok).toBe(true);
      expect(await ruleset(sb.runner)).toBe(rulesBefore);
      await engine.close();
    }));

  it('a failure at command k, for every k, of a NAT + rate-limit lab rolls back to an identical sandbox', () =>
    withSandbox(async (sb, stateDir) => {
      await outside(sb.runner);
      const faulty = new FaultyRunner(sb.runner);
      const engine = await openEngine({ stateDir, runner: faulty, skipProbe: true });
      const full = lab(true);
      if (!process.env.NOFEAT) full.links[0]!.endpoints[1]!.impairment = { rateKbit: 2000 };
      if (process.env.NOFEAT) delete (full.nodes[0] as { nat?: unknown }).nat;
      const before = await snapshot(sb.runner);
      const rulesBefore = await ruleset(sb.runner);
      faulty.reset();
      expect((await engine.apply(full)).ok).toBe(true);
      const total = faulty.count;
      expect(faulty.log.some((a) => a[0] === 'nft')).toBe(true);
      expect(faulty.log.some((a) => a[0] === 'tc')).toBe(true);
      expect((await engine.destroy('uplink')).ok).toBe(true);
      expect(await snapshot(sb.runner)).toEqual(before);
      for (let k = 1; k <= total; k++) {
        faulty.reset();
        faulty.failAt = k;
        const out = await engine.apply(full);
        expect(out.error, `k=${k}`).toMatchObject({ code: 'HostCommandFailed', rolledBack: true });
        expect(await snapshot(sb.runner), `k=${k}`).toEqual(before);
        expect(await ruleset(sb.runner), `k=${k}`).toBe(rulesBefore);
        expect(await ipForward(sb.runner), `k=${k}`).toBe('0');
      }
      faulty.reset();
      expect((await engine.apply(full)).ok).toBe(true);
      expect((await engine.destroy('uplink')).ok).toBe(true);
      expect(await ruleset(sb.runner)).toBe(rulesBefore);
      await engine.close();
    }));

  it('a foreign table with our name is a conflict and nothing runs', () =>
    withSandbox(async (sb, stateDir) => {
      await must(sb.runner, ['nft', 'add', 'table', 'ip', 'netloom_uplink']);
      const engine = await openEngine({ stateDir, runner: sb.runner, driver: kernelDriver(), skipProbe: true });
      const before = await snapshot(sb.runner);
      const out = await engine.apply(lab(true));
      expect(out).toMatchObject({ ok: false, ran: 0, error: { code: 'Conflict' } });
      expect(await snapshot(sb.runner)).toEqual(before);
      expect((await engine.destroy('uplink')).ok).toBe(true);
      expect(await ruleset(sb.runner)).toContain('table ip netloom_uplink');
      await engine.close();
    }));
});

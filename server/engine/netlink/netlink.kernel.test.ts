/**
 * Kernel tests of the netlink driver, each in its own sandbox(es): the example labs built by the netlink
 * driver look exactly like those built by the ip-batch driver (observe() modulo ifindex/MAC/counters),
 * answer pings, and come down leaving the sandbox empty; errors carry the op and the errno; the engine
 * runs on it; a dead agent is restarted.
 */
import { expect, it } from 'vitest';
import { type Lab, type LabInput, validate } from '../../../shared';
import { optionalFeatures } from '../../testing/examples';
import { waitUntil } from '../../testing/wait';
import type { CommandRunner } from '../contract';
import { type Driver, IpBatchDriver } from '../driver';
import { openEngine } from '../engine';
import { observe } from '../observe';
import { plan } from '../plan';
import { planDestroy, planDestroyNat } from '../planDestroy';
import { describeKernel, exampleLabs, pingAvailable, withSandbox } from '../testing/kernel';
import { snapshot } from '../testing/snapshot';
import type { ObservedState, OpBody } from '../types';
import { loadNetlinkDriver, type NetlinkDriver, type NetlinkExecFailure, netlinkUnavailableReason } from './driver';

// Examples needing an optional kernel feature (refused by a plan without capabilities) are covered by
// server/examples.kernel.test.ts.
const labs = (await exampleLabs().catch(() => [])).filter((l) => optionalFeatures(l.lab).length === 0);
const parse = (input: LabInput): Lab => {
  const v = validate(input);
  if (!v.ok) throw new Error(`example is invalid: ${JSON.stringify(v.issues)}`);
  return v.lab;
};
const canPing = pingAvailable();

async function netlink(runner: CommandRunner): Promise<NetlinkDriver> {
  const d = await loadNetlinkDriver(runner);
  if (!d) throw new Error(`netlink driver unavailable: ${netlinkUnavailableReason()}`);
  return d;
}

/** observe() without what legitimately differs between two builds: ifindexes, random MACs, counters. */
function normalize(s: ObservedState): unknown {
  const ns = (n: ObservedState['root']) => ({
    name: n.name,
    marker: n.marker,
    forwarding: n.forwarding,
    links: n.links
      .map(({ ifindex: _i, mac: _m, counters: _c, operstate: _o, peer, addresses, ...rest }) => ({
        ...rest,
        addresses: [...addresses].sort(),
        peer: peer ? { netns: peer.netns, ifname: peer.ifname } : peer,
      }))
      .sort((a, b) => (a.ifname < b.ifname ? -1 : 1)),
    routes: [...n.routes].map((r) => JSON.stringify(r)).sort(),
  });
  return {
    root: ns(s.root),
    namespaces: Object.fromEntries(Object.entries(s.namespaces).map(([k, v]) => [k, ns(v)])),
  };
}

async function build(runner: CommandRunner, driver: Driver, lab: Lab): Promise<ObservedState> {
  const p = plan(lab, await observe(runner));
  expect(p.errors).toEqual([]);
  const r = await driver.execute(p.ops);
  if (!r.ok) throw new Error(`${driver.name}: ${JSON.stringify(r.failure)}`);
  return observe(runner);
}

async function ping(runner: CommandRunner, from: string, to: string): Promise<boolean> {
  for (let i = 0; i < 3; i++) {
    const r = await runner.run(['ip', 'netns', 'exec', from, 'ping', '-c1', '-W1', to], { timeoutMs: 5000 });
    if (r.code === 0) return true;
  }
  return false;
}

describeKernel('netlink driver on the kernel', () => {
  it('has example labs to compare', () => {
    expect(labs.length).toBeGreaterThan(0);
  });

  for (const { file, lab: input } of labs) {
    it(`${file}: same host as the ip-batch driver, then a clean teardown`, async () => {
      const lab = parse(input);
      await withSandbox(async (ref) => {
        const expected = normalize(await build(ref.runner, new IpBatchDriver(ref.runner), lab));
        await withSandbox(async (sb) => {
          const before = await snapshot(sb.runner);
          const d = await netlink(sb.runner);
          try {
            const got = await build(sb.runner, d, lab);
            expect(normalize(got)).toEqual(expected);
            // Converged: the planner has nothing left to do.
            expect(plan(lab, got).ops).toEqual([]);
            // As engine.destroy() does: the core teardown plus the host NAT's (a lab with NAT: nat-outside).
            const left = await observe(sb.runner);
            const down = await d.execute([...planDestroy(lab.name, left).ops, ...planDestroyNat(lab.name, left)]);
            expect(down.ok).toBe(true);
            expect(await snapshot(sb.runner)).toEqual(before);
          } finally {
            await d.close();
          }
        });
      });
    });
  }

  it.runIf(canPing)('router.yaml: pings cross the router (forwarding written inside the namespace)', async () => {
    const lab = parse(labs.find((l) => l.lab.name === 'router')!.lab);
    await withSandbox(async (sb) => {
      const d = await netlink(sb.runner);
      try {
        const s = await build(sb.runner, d, lab);
        expect(s.namespaces.rtr?.forwarding).toBe(true);
        expect(s.namespaces.left?.forwarding).toBe(false);
        expect(await ping(sb.runner, 'left', '10.1.1.254')).toBe(true);
        expect(await ping(sb.runner, 'left', '10.1.2.2')).toBe(true);
      } finally {
        await d.close();
      }
    });
  });

  it('veth between two namespaces + bridge + addresses + routes, by hand-written ops; ping works', async () => {
    await withSandbox(async (sb) => {
      const d = await netlink(sb.runner);
      try {
        const ops: OpBody[] = [
          { kind: 'netns.create', netns: 'a', marker: 'netloom:t:a' },
          { kind: 'netns.create', netns: 'b', marker: 'netloom:t:b' },
          { kind: 'bridge.create', netns: 'b', ifname: 'br0', marker: 'netloom:t:br', stp: false, mtu: 1400 },
          {
            kind: 'veth.create',
            a: { netns: 'a', ifname: 'eth0', marker: 'netloom:t:l#0', mtu: 1400, mac: '02:00:00:00:00:0a' },
            b: { netns: 'b', ifname: 'pa', marker: 'netloom:t:l#1', master: 'br0', mtu: 1400 },
          },
          { kind: 'addr.add', netns: 'a', ifname: 'eth0', cidr: '10.5.0.1/24' },
          { kind: 'addr.add', netns: 'a', ifname: 'eth0', cidr: 'fd05::1/64' },
          { kind: 'addr.add', netns: 'b', ifname: 'br0', cidr: '10.5.0.2/24' },
          { kind: 'link.setUp', netns: 'a', ifname: 'eth0', up: true },
          { kind: 'link.setUp', netns: 'b', ifname: 'pa', up: true },
          { kind: 'link.setUp', netns: 'b', ifname: 'br0', up: true },
          { kind: 'route.add', netns: 'a', route: { to: '10.9.0.0/16', via: '10.5.0.2' } },
          { kind: 'route.add', netns: 'a', route: { to: 'fd09::/64', dev: 'eth0', metric: 7 } },
        ];
        const res = await d.execute(ops);
        expect(res).toMatchObject({ ok: true });
        const s = await observe(sb.runner);
        const eth0 = s.namespaces.a!.links.find((l) => l.ifname === 'eth0')!;
        expect(eth0).toMatchObject({
          kind: 'veth',
          mtu: 1400,
          mac: '02:00:00:00:00:0a',
          marker: { lab: 't', object: 'l#0' },
          adminUp: true,
          peer: { netns: 'b', ifname: 'pa' },
        });
        expect([...eth0.addresses].sort()).toEqual(['10.5.0.1/24', 'fd05::1/64']);
        expect(s.namespaces.b!.links.find((l) => l.ifname === 'pa')).toMatchObject({
          master: 'br0',
          marker: { object: 'l#1' },
        });
        expect(s.namespaces.b!.links.find((l) => l.ifname === 'br0')).toMatchObject({
          kind: 'bridge',
          stp: false,
          mtu: 1400,
        });
        expect(s.namespaces.a!.marker).toEqual({ lab: 't', object: 'a' });
        expect(s.namespaces.a!.routes).toEqual(
          expect.arrayContaining([
            expect.objectContaining({ to: '10.9.0.0/16', via: '10.5.0.2', dev: 'eth0', protocol: 'boot' }),
            expect.objectContaining({ family: 6, to: 'fd09::/64', dev: 'eth0', metric: 7 }),
          ]),
        );
        if (canPing) expect(await ping(sb.runner, 'a', '10.5.0.2')).toBe(true);
        // Inverses: delete the routes, addresses, the veth, rename + remaster checks.
        const undo: OpBody[] = [
          { kind: 'route.del', netns: 'a', route: { to: '10.9.0.0/16', via: '10.5.0.2' } },
          { kind: 'route.del', netns: 'a', route: { to: 'fd09::/64', dev: 'eth0', metric: 7 } },
          { kind: 'addr.del', netns: 'a', ifname: 'eth0', cidr: '10.5.0.1/24' },
          { kind: 'link.setUp', netns: 'a', ifname: 'eth0', up: false },
          { kind: 'link.rename', netns: 'a', from: 'eth0', to: 'wan0' },
          { kind: 'link.setMtu', netns: 'a', ifname: 'wan0', mtu: 1300 },
          { kind: 'link.setMac', netns: 'a', ifname: 'wan0', mac: '02:00:00:00:00:0b' },
          { kind: 'link.setMaster', netns: 'b', ifname: 'pa', master: null },
          { kind: 'link.setAlias', netns: 'b', ifname: 'pa', alias: 'netloom:t:other#1' },
          { kind: 'bridge.setStp', netns: 'b', ifname: 'br0', on: true },
          { kind: 'netns.setForwarding', netns: 'b', on: true },
        ];
        expect(await d.execute(undo)).toMatchObject({ ok: true });
        const s2 = await observe(sb.runner);
        const wan0 = s2.namespaces.a!.links.find((l) => l.ifname === 'wan0')!;
        expect(wan0).toMatchObject({ ifindex: eth0.ifindex, mtu: 1300, mac: '02:00:00:00:00:0b', adminUp: false });
        expect(wan0.addresses).toEqual([]); // going down flushes IPv6 addresses (kernel behaviour)
        expect(s2.namespaces.a!.routes.filter((r) => r.protocol !== 'kernel')).toEqual([]);
        const pa = s2.namespaces.b!.links.find((l) => l.ifname === 'pa')!;
        expect(pa.master).toBeUndefined();
        expect(pa.marker).toEqual({ lab: 't', object: 'other#1' });
        expect(s2.namespaces.b!.links.find((l) => l.ifname === 'br0')!.stp).toBe(true);
        expect(s2.namespaces.b!.forwarding).toBe(true);
        expect(
          await d.execute([
            { kind: 'link.delete', netns: 'a', ifname: 'wan0' },
            { kind: 'netns.delete', netns: 'a' },
            { kind: 'netns.delete', netns: 'b' },
          ]),
        ).toMatchObject({ ok: true });
        const left = await sb.runner.run(['ip', '-o', 'link', 'show']);
        expect(left.stdout.trim().split('\n')).toHaveLength(1);
        expect((await sb.runner.run(['ip', 'netns', 'list'])).stdout.trim()).toBe('');
      } finally {
        await d.close();
      }
    });
  });

  it('errors name the op and the errno: EEXIST for an existing name, ENODEV for a missing device', async () => {
    await withSandbox(async (sb) => {
      const d = await netlink(sb.runner);
      try {
        await sb.runner.run(['ip', 'netns', 'add', 'taken']);
        await sb.runner.run(['ip', 'link', 'add', 'name', 'br9', 'type', 'bridge']);
        const r1 = await d.execute([
          { kind: 'netns.create', netns: 'fresh', marker: 'netloom:t:fresh' },
          { kind: 'netns.create', netns: 'taken', marker: 'netloom:t:taken' },
        ]);
        expect(r1.ok).toBe(false);
        if (r1.ok) return;
        const f1 = r1.failure as NetlinkExecFailure;
        expect(f1).toMatchObject({ op: 1, errno: 'EEXIST', code: 17, argv: ['ip', 'netns', 'add', 'taken'] });
        expect(f1.attempted).toContain(1);
        // The foreign namespace was not touched (its lo carries no marker).
        const lo = (await observe(sb.runner)).namespaces.taken!.links.find((l) => l.ifname === 'lo')!;
        expect(lo.alias).toBeUndefined();

        const r2 = await d.execute([
          { kind: 'bridge.create', netns: null, ifname: 'br1', marker: 'netloom:t:br1' },
          { kind: 'bridge.create', netns: null, ifname: 'br9', marker: 'netloom:t:br9' },
        ]);
        expect(r2).toMatchObject({ ok: false, failure: { op: 1, errno: 'EEXIST', code: 17 } });

        const r3 = await d.execute([{ kind: 'addr.add', netns: null, ifname: 'nope0', cidr: '10.0.0.1/24' }]);
        expect(r3).toMatchObject({ ok: false, failure: { op: 0, errno: 'ENODEV' } });

        const r4 = await d.execute([{ kind: 'link.setUp', netns: 'fresh', ifname: 'nope0', up: true }]);
        expect(r4).toMatchObject({ ok: false, failure: { op: 0, errno: 'ENODEV', code: 19 } });
        expect((r4 as { failure: { stderr: string } }).failure.stderr).toMatch(/^netlink: ENODEV/);
      } finally {
        await d.close();
      }
    });
  });

  it("takes ifindexes from the caller's observation only when the run creates, deletes and renames nothing", async () => {
    await withSandbox(async (sb) => {
      const d = await netlink(sb.runner);
      try {
        expect((await sb.runner.run(['ip', 'link', 'add', 'name', 'br1', 'type', 'bridge'])).code).toBe(0);
        const real = (await observe(sb.runner)).root.links.find((l) => l.ifname === 'br1')!.ifindex;
        const asked: string[] = [];
        const hooks = (ifindex: number) => ({
          ifindexOf: (_n: unknown, ifname: string) => {
            asked.push(ifname);
            return ifindex;
          },
        });
        // Modify-only: the observed index is used, with no lookup of its own (a wrong one proves it).
        const wrong = await d.execute(
          [{ kind: 'addr.add', netns: null, ifname: 'br1', cidr: '10.9.0.1/24' }],
          hooks(9999),
        );
        expect(wrong).toMatchObject({ ok: false, failure: { op: 0, errno: 'ENODEV' } });
        expect(asked).toEqual(['br1']);
        const right = await d.execute(
          [{ kind: 'addr.add', netns: null, ifname: 'br1', cidr: '10.9.0.1/24' }],
          hooks(real),
        );
        expect(right).toMatchObject({ ok: true });
        // A run that also creates something asks the kernel: the observation may no longer name the same thing.
        asked.length = 0;
        const mixed = await d.execute(
          [
            { kind: 'bridge.create', netns: null, ifname: 'br2', marker: 'netloom:t:br2' },
            { kind: 'addr.add', netns: null, ifname: 'br1', cidr: '10.9.1.1/24' },
          ],
          hooks(9999),
        );
        expect(mixed).toMatchObject({ ok: true });
        expect(asked).toEqual([]);
        const br1 = (await observe(sb.runner)).root.links.find((l) => l.ifname === 'br1')!;
        expect([...br1.addresses].sort()).toEqual(['10.9.0.1/24', '10.9.1.1/24']);
      } finally {
        await d.close();
      }
    });
  });

  it('keeps no namespace alive after an execute: one deleted by hand is freed, its veth peer goes', async () => {
    await withSandbox(async (sb) => {
      // As the engine runs it: the last wave itself tells the agent to drop its fds.
      const d = (await loadNetlinkDriver(sb.runner))!;
      try {
        const r = await d.execute([
          { kind: 'netns.create', netns: 'held', marker: 'netloom:t:held' },
          {
            kind: 'veth.create',
            a: { netns: null, ifname: 'held0', marker: 'netloom:t:l#0' },
            b: { netns: 'held', ifname: 'eth0', marker: 'netloom:t:l#1' },
          },
          { kind: 'addr.add', netns: 'held', ifname: 'eth0', cidr: '10.3.0.2/24' },
        ]);
        expect(r).toMatchObject({ ok: true });
        const before = await observe(sb.runner);
        expect(before.root.links.some((l) => l.ifname === 'held0')).toBe(true);
        expect(before.namespaces.held?.links.find((l) => l.ifname === 'eth0')?.addresses).toEqual(['10.3.0.2/24']);
        expect((await sb.runner.run(['ip', 'netns', 'del', 'held'])).code).toBe(0);
        // Freed only when nothing holds it: a socket or fd left open in the agent would keep held0 forever.
        let gone = false;
        for (let i = 0; i < 250 && !gone; i++) {
          gone = !(await observe(sb.runner)).root.links.some((l) => l.ifname === 'held0');
          if (!gone) await new Promise((res) => setTimeout(res, 20));
        }
        expect(gone).toBe(true);
      } finally {
        await d.close();
      }
    });
  });

  it('the engine applies, re-applies to nothing and destroys through the netlink driver', async () => {
    const lab = parse(labs.find((l) => l.lab.name === 'router')!.lab);
    await withSandbox(async (sb, stateDir) => {
      const before = await snapshot(sb.runner);
      const d = await netlink(sb.runner);
      try {
        const engine = await openEngine({ stateDir, runner: sb.runner, skipProbe: true, driverImpl: d });
        const up = await engine.apply(lab);
        expect(up).toMatchObject({ ok: true });
        expect(up.ran).toBeGreaterThan(0);
        expect(await engine.apply(lab)).toMatchObject({ ok: true, ran: 0 });
        expect(await engine.destroy(lab.name)).toMatchObject({ ok: true });
        await engine.close();
        expect(await snapshot(sb.runner)).toEqual(before);
      } finally {
        await d.close();
      }
    });
  });

  it('restarts a dead agent', async () => {
    await withSandbox(async (sb) => {
      const d = await netlink(sb.runner);
      try {
        const pid = d.agentPid!;
        expect(pid).toBeGreaterThan(0);
        process.kill(pid, 'SIGKILL');
        // Until the driver has seen the exit (a condition, not a fixed time: CI machines are loaded).
        await waitUntil(() => d.agentPid === undefined, 10_000, 'the driver to see its agent die');
        const r = await d.execute([{ kind: 'netns.create', netns: 'again', marker: 'netloom:t:again' }]);
        expect(r).toMatchObject({ ok: true });
        expect(d.agentPid).not.toBe(pid);
      } finally {
        await d.close();
      }
    });
  });
});

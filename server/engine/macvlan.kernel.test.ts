/**
 * macvlan on the kernel (issue #6), in a sandbox whose root namespace stands in for the host: a parent
 * interface `up0` is made by hand (a veth end, up with its peer — this kernel has no `dummy` device), so it
 * is a FOREIGN object. Two namespaces each get a macvlan on it (mode bridge) with addresses in one subnet and
 * ping each other through the parent; re-apply plans nothing; a changed parent recreates; destroy removes
 * both macvlans and namespaces and leaves up0 exactly as it was. Run on the ip-batch driver and on the
 * netlink driver (feature ops through its ip-batch fallback, observation over netlink).
 */
import { expect, it } from 'vitest';
import { type Lab, type LabInput, validate } from '../../shared';
import type { CommandRunner } from './contract';
import { openEngine } from './engine';
import { loadNetlinkDriver, netlinkUnavailableReason } from './netlink/driver';
import { observeNetlink } from './netlink/observe';
import { observe } from './observe';
import { FaultyRunner } from './testing/faults';
import { describeKernel, kernelDriver, pingAvailable, withSandbox } from './testing/kernel';
import { snapshot } from './testing/snapshot';
import type { ObservedState } from './types';

const canPing = pingAvailable();

function input(parent = 'up0'): LabInput {
  return {
    version: 1,
    name: 'mvlab',
    nodes: [
      {
        id: 'red',
        kind: 'namespace',
        name: 'nlt-red',
        interfaces: [{ kind: 'macvlan', name: 'mv0', parent, addresses: ['10.60.0.1/24'] }],
      },
      {
        id: 'blue',
        kind: 'namespace',
        name: 'nlt-blue',
        interfaces: [{ kind: 'macvlan', name: 'mv0', parent, mtu: 1400, addresses: ['10.60.0.2/24'] }],
      },
    ],
    links: [],
  };
}
const lab = (parent?: string): Lab => {
  const v = validate(input(parent));
  if (!v.ok) throw new Error(JSON.stringify(v.issues));
  return v.lab;
};

async function run(runner: CommandRunner, ...argv: string[]) {
  const r = await runner.run(argv);
  if (r.code !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr}`);
}

/**
 * A foreign parent in the sandbox's root namespace (a veth pair, both ends up, so it has a carrier). No IPv6
 * link-local addresses (addrgenmode none): they would appear asynchronously and make snapshots race.
 */
async function makeParent(runner: CommandRunner, name: string) {
  await run(runner, 'ip', 'link', 'add', name, 'type', 'veth', 'peer', 'name', `${name}p`);
  for (const n of [name, `${name}p`]) {
    await run(runner, 'ip', 'link', 'set', 'dev', n, 'addrgenmode', 'none');
    await run(runner, 'ip', 'link', 'set', 'dev', n, 'up');
  }
}

async function ping(runner: CommandRunner): Promise<boolean> {
  for (let i = 0; i < 5; i++) {
    const r = await runner.run(['ip', 'netns', 'exec', 'nlt-red', 'ping', '-c1', '-W1', '10.60.0.2'], {
      timeoutMs: 5000,
    });
    if (r.code === 0) return true;
  }
  return false;
}

function noCounters(s: ObservedState): ObservedState {
  const c = structuredClone(s);
  for (const ns of [c.root, ...Object.values(c.namespaces)]) for (const l of ns.links) delete l.counters;
  return c;
}

describeKernel('macvlan on the kernel', () => {
  for (const which of ['ip-batch', 'netlink'] as const) {
    it(`two namespaces on one parent ping each other; no-op re-apply; parent change recreates; destroy leaves the parent (${which})`, () =>
      withSandbox(async (sb, stateDir) => {
        await makeParent(sb.runner, 'up0');
        await makeParent(sb.runner, 'up1');
        const nl = which === 'netlink' ? await loadNetlinkDriver(sb.runner) : null;
        if (which === 'netlink' && !nl) throw new Error(`netlink driver unavailable: ${netlinkUnavailableReason()}`);
        try {
          const engine = await openEngine({
            stateDir,
            runner: sb.runner,
            driver: which === 'netlink' ? 'netlink' : kernelDriver(),
            ...(nl && { driverImpl: nl }),
          });
          expect(engine.capabilities()).toMatchObject({ macvlan: true });
          const before = await snapshot(sb.runner);

          // A parent that is not there: refused at plan time, naming the field; nothing runs.
          const missing = await engine.plan(lab('eth9'));
          expect(missing.operations).toEqual([]);
          expect(missing.errors).toEqual([
            expect.objectContaining({ code: 'Conflict', path: 'nodes.0.interfaces.0.parent' }),
            expect.objectContaining({ code: 'Conflict', path: 'nodes.1.interfaces.0.parent' }),
          ]);
          expect(await engine.apply(lab('eth9'))).toMatchObject({ ok: false, ran: 0 });
          expect(await snapshot(sb.runner)).toEqual(before);

          const up = await engine.apply(lab());
          expect(up.error).toBeUndefined();
          const obs = await observe(sb.runner);
          const mv = (ns: string) => obs.namespaces[ns]!.links.find((l) => l.ifname === 'mv0');
          expect(mv('nlt-red')).toMatchObject({
            kind: 'macvlan',
            marker: { lab: 'mvlab', object: 'red/mv0' },
            attachment: { mode: 'bridge', parent: { netns: null, ifname: 'up0' } },
            addresses: ['10.60.0.1/24'],
            adminUp: true,
          });
          expect(mv('nlt-blue')).toMatchObject({ mtu: 1400, attachment: { parent: { netns: null, ifname: 'up0' } } });
          // The netlink observer reads the same.
          expect(noCounters(await observeNetlink(sb.runner))).toEqual(noCounters(obs));
          if (canPing) expect(await ping(sb.runner)).toBe(true);

          expect(await engine.apply(lab())).toMatchObject({ ok: true, ran: 0 });
          const st = await engine.status(lab(), { observed: 1, applied: 1 });
          expect(st.objects['red/mv0']?.state).toBe('ready');
          expect(st.objects['blue/mv0']?.state).toBe('ready');

          // Another parent: both macvlans are recreated on it.
          const p2 = await engine.plan(lab('up1'));
          expect(p2.operations.map((o) => `${o.kind} ${o.object}`).filter((x) => !/setUp|addr/.test(x))).toEqual([
            'link.delete blue/mv0',
            'link.delete red/mv0',
            'iface.create red/mv0',
            'iface.create blue/mv0',
          ]);
          expect((await engine.apply(lab('up1'))).ok).toBe(true);
          expect((await observe(sb.runner)).namespaces['nlt-red']!.links.find((l) => l.ifname === 'mv0')).toMatchObject(
            {
              attachment: { parent: { netns: null, ifname: 'up1' } },
            },
          );
          if (canPing) expect(await ping(sb.runner)).toBe(true);
          expect(await engine.apply(lab('up1'))).toMatchObject({ ok: true, ran: 0 });

          expect((await engine.destroy('mvlab')).ok).toBe(true);
          // Namespaces and macvlans gone; up0/up1 (foreign) untouched.
          expect(await snapshot(sb.runner)).toEqual(before);
          await engine.close();
        } finally {
          await nl?.close();
        }
      }));
  }

  it('a failure at command k, for every k, rolls back to an identical sandbox (the parent stays)', () =>
    withSandbox(async (sb, stateDir) => {
      await makeParent(sb.runner, 'up0');
      const faulty = new FaultyRunner(sb.runner);
      const engine = await openEngine({ stateDir, runner: faulty, driver: 'ip-batch' });
      expect(engine.capabilities()).toMatchObject({ macvlan: true });
      const before = await snapshot(sb.runner);
      faulty.reset();
      expect((await engine.apply(lab())).ok).toBe(true);
      const total = faulty.count;
      expect(total).toBeGreaterThan(5);
      expect((await engine.destroy('mvlab')).ok).toBe(true);
      expect(await snapshot(sb.runner)).toEqual(before);
      for (let k = 1; k <= total; k++) {
        faulty.reset();
        faulty.failAt = k;
        const out = await engine.apply(lab());
        expect(out.ok, `k=${k}`).toBe(false);
        expect(out.error, `k=${k}`).toMatchObject({ code: 'HostCommandFailed', rolledBack: true });
        expect(await snapshot(sb.runner), `k=${k}`).toEqual(before);
      }
      await engine.close();
    }));
});

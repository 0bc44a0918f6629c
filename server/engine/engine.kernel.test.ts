/**
 * Kernel tests of the engine: every test in its own sandbox. Example labs go up, answer pings, re-apply to
 * nothing, take an edit incrementally, and come down leaving the sandbox exactly as it was. Faults at every
 * command, crashes at every wave, foreign collisions, two labs side by side, 50 destroy/re-apply cycles.
 */
import { expect, it } from 'vitest';
import { type Lab, type LabInput, validate } from '../../shared';
import { optionalFeatures } from '../testing/examples';
import type { CommandRunner } from './contract';
import { openEngine, SimulatedCrash } from './engine';
import { observe } from './observe';
import { shellText } from './render';
import { FaultyRunner } from './testing/faults';
import { describeKernel, exampleLabs, kernelDriver, pingAvailable, withSandbox } from './testing/kernel';
import { linkIdentity, settledSnapshot, snapshot } from './testing/snapshot';

// Examples needing an optional kernel feature run in server/examples.kernel.test.ts, against probed capabilities
// (the engines here skip the probe).
const labs = (await exampleLabs().catch(() => [])).filter((l) => optionalFeatures(l.lab).length === 0);
const parse = (input: LabInput): Lab => {
  const v = validate(input);
  if (!v.ok) throw new Error(`example is invalid: ${JSON.stringify(v.issues)}`);
  return v.lab;
};
const byName = (name: string) => parse(labs.find((l) => l.lab.name === name)!.lab);

/** Every (namespace, address) pair on the same subnet as an address of another namespace: should ping. */
function pingTargets(lab: Lab): { from: string; to: string }[] {
  const ns = new Map(lab.nodes.filter((n) => n.kind === 'namespace').map((n) => [n.id, n.name] as const));
  const bridgeNs = new Map(lab.nodes.filter((n) => n.kind === 'bridge').map((n) => [n.id, n] as const));
  const addrs: { ns: string; addr: string }[] = [];
  for (const l of lab.links)
    for (const e of l.endpoints) {
      const name = ns.get(e.node);
      if (name && !bridgeNs.has(e.node))
        for (const a of e.addresses) if (!a.includes(':')) addrs.push({ ns: name, addr: a });
    }
  const hasDefault = new Set(
    lab.nodes
      .filter((n) => n.kind === 'namespace' && n.routes.some((r) => r.to === 'default'))
      .map((n) => (n as { name: string }).name),
  );
  const net = (a: string) => a.split('.').slice(0, 3).join('.'); // the examples use /24s
  const out: { from: string; to: string }[] = [];
  for (const a of addrs)
    for (const b of addrs)
      if (a.ns !== b.ns && (net(a.addr) === net(b.addr) || (hasDefault.has(a.ns) && hasDefault.has(b.ns))))
        out.push({ from: a.ns, to: b.addr.split('/')[0]! });
  return out;
}

async function ping(runner: CommandRunner, from: string, to: string): Promise<boolean> {
  for (let i = 0; i < 3; i++) {
    const r = await runner.run(['ip', 'netns', 'exec', from, 'ping', '-c1', '-W1', to], { timeoutMs: 5000 });
    if (r.code === 0) return true;
  }
  return false;
}

const canPing = pingAvailable();

describeKernel('engine on the kernel: example labs', () => {
  it('has example labs to test', () => {
    expect(labs.length).toBeGreaterThanOrEqual(4);
  });

  for (const { file, lab: input } of labs) {
    it(`${file}: up → markers → ping → no-op → edit → down leaves the sandbox as before`, () =>
      withSandbox(async (sb, stateDir) => {
        const lab = parse(input);
        const engine = await openEngine({ stateDir, runner: sb.runner, driver: kernelDriver(), skipProbe: true });
        const before = await snapshot(sb.runner);

        const planned = await engine.plan(lab);
        const up = await engine.apply(lab);
        expect(up.error).toBeUndefined();
        expect(up.ok).toBe(true);
        expect(up.ran).toBeGreaterThan(0);
        // The outcome lists every command that ran, exactly those of the plan (its waves may reorder them).
        const lines = (argv: string[]) =>
          argv
            .join('\0')
            .split('\0&&\0')
            .map((a) => shellText(a.split('\0')));
        expect([...(up.commands ?? [])].sort()).toEqual(planned.operations.flatMap((o) => lines(o.argv)).sort());

        // Every object exists with its marker.
        const obs = await observe(sb.runner);
        for (const n of lab.nodes)
          if (n.kind === 'namespace') expect(obs.namespaces[n.name]?.marker).toEqual({ lab: lab.name, object: n.id });
        const allLinks = [obs.root, ...Object.values(obs.namespaces)].flatMap((n) => n.links);
        for (const l of lab.links)
          for (const e of [0, 1])
            expect(allLinks.some((x) => x.marker?.lab === lab.name && x.marker.object === `${l.id}#${e}`)).toBe(true);

        if (canPing)
          for (const t of pingTargets(lab))
            expect(await ping(sb.runner, t.from, t.to), `${t.from} → ${t.to}`).toBe(true);

        const again = await engine.apply(lab);
        expect(again).toMatchObject({ ok: true, ran: 0 });
        expect(await engine.appliedLab(lab.name)).toEqual(lab);

        // Edit: one more address on one endpoint plans exactly that, and nothing else changes identity.
        const idsBefore = new Map<string, number>();
        for (const l of allLinks) if (l.marker?.lab === lab.name) idsBefore.set(`${l.netns}/${l.ifname}`, l.ifindex);
        const edited = structuredClone(lab);
        edited.links[0]!.endpoints[0]!.addresses.push('fd00:beef::1/64');
        const plan = await engine.plan(edited);
        expect(plan.errors).toEqual([]);
        expect(plan.operations.map((o) => o.kind)).toEqual(['addr.add']);
        const edit = await engine.apply(edited);
        expect(edit.ran).toBe(1);
        expect(edit.commands).toEqual(lines(plan.operations[0]!.argv));
        const obs2 = await observe(sb.runner);
        for (const l of [obs2.root, ...Object.values(obs2.namespaces)].flatMap((n) => n.links))
          if (l.marker?.lab === lab.name) expect(l.ifindex).toBe(idsBefore.get(`${l.netns}/${l.ifname}`));

        const down = await engine.destroy(lab.name);
        expect(down.ok).toBe(true);
        expect(await snapshot(sb.runner)).toEqual(before);
        expect(await engine.appliedLab(lab.name)).toBeNull();
        await engine.close();
      }));
  }
});

describeKernel('engine on the kernel: faults', () => {
  it('a failure at command k, for every k, rolls back to an identical sandbox', () =>
    withSandbox(async (sb, stateDir) => {
      const lab = byName('router');
      const faulty = new FaultyRunner(sb.runner);
      const engine = await openEngine({ stateDir, runner: faulty, skipProbe: true });
      const before = await snapshot(sb.runner);
      // Count the changing commands of a clean apply, then take it down.
      faulty.reset();
      expect((await engine.apply(lab)).ok).toBe(true);
      const total = faulty.count;
      expect(total).toBeGreaterThan(10);
      expect((await engine.destroy(lab.name)).ok).toBe(true);
      expect(await snapshot(sb.runner)).toEqual(before);
      for (let k = 1; k <= total; k++) {
        faulty.reset();
        faulty.failAt = k;
        const out = await engine.apply(lab);
        expect(out.ok, `k=${k}`).toBe(false);
        expect(out.error, `k=${k}`).toMatchObject({ code: 'HostCommandFailed', rolledBack: true });
        expect(out.error?.argv?.length, `k=${k}`).toBeGreaterThan(0);
        expect(await snapshot(sb.runner), `k=${k}`).toEqual(before);
      }
      faulty.reset();
      expect((await engine.apply(lab)).ok).toBe(true);
      expect((await engine.destroy(lab.name)).ok).toBe(true);
    }));

  it('a crash after every wave is rolled back when the engine opens again, leaving no orphan', () =>
    withSandbox(async (sb, stateDir) => {
      const lab = byName('bridge-lan');
      const before = await snapshot(sb.runner);
      let waves = 0;
      {
        const probe = await openEngine({
          stateDir,
          runner: sb.runner,
          driver: kernelDriver(),
          skipProbe: true,
          hooks: {
            afterWave: (k) => {
              waves = k + 1;
            },
          },
        });
        expect((await probe.apply(lab)).ok).toBe(true);
        expect((await probe.destroy(lab.name)).ok).toBe(true);
      }
      expect(waves).toBeGreaterThan(1);
      for (let k = 0; k < waves; k++) {
        const crashing = await openEngine({
          stateDir,
          runner: sb.runner,
          driver: kernelDriver(),
          skipProbe: true,
          hooks: {
            afterWave: (w) => {
              if (w === k) throw new SimulatedCrash(`crash after wave ${k}`);
            },
          },
        });
        await expect(crashing.apply(lab)).rejects.toBeInstanceOf(SimulatedCrash);
        // A new process: recovery at open rolls the interrupted apply back.
        const fresh = await openEngine({ stateDir, runner: sb.runner, driver: kernelDriver(), skipProbe: true });
        expect(await snapshot(sb.runner), `crash after wave ${k}`).toEqual(before);
        // And nothing stands in the way of the next apply ("File exists").
        expect((await fresh.apply(lab)).ok).toBe(true);
        expect((await fresh.destroy(lab.name)).ok).toBe(true);
      }
      expect(await snapshot(sb.runner)).toEqual(before);
    }));

  it('a rollback that fails is reported, blocks applies until recover()', () =>
    withSandbox(async (sb, stateDir) => {
      const lab = byName('veth-pair');
      const faulty = new FaultyRunner(sb.runner);
      const engine = await openEngine({ stateDir, runner: faulty, skipProbe: true });
      const before = await snapshot(sb.runner);
      faulty.failAt = 6;
      faulty.failAllAfter = true;
      const out = await engine.apply(lab);
      expect(out.error).toMatchObject({ code: 'RollbackFailed', rolledBack: false });
      faulty.reset();
      expect((await engine.apply(lab)).error?.code).toBe('RecoveryRequired');
      const rec = await engine.recover();
      expect(rec.ok).toBe(true);
      expect(await snapshot(sb.runner)).toEqual(before);
      expect((await engine.apply(lab)).ok).toBe(true);
      expect((await engine.destroy(lab.name)).ok).toBe(true);
    }));

  it('a hung command is killed by the timeout and rolled back', () =>
    withSandbox(async (sb, stateDir) => {
      const lab = byName('veth-pair');
      const faulty = new FaultyRunner(sb.runner);
      const engine = await openEngine({ stateDir, runner: faulty, skipProbe: true, commandTimeoutMs: 1000 });
      const before = await snapshot(sb.runner);
      faulty.failAt = 3;
      faulty.hang = true;
      const out = await engine.apply(lab);
      expect(out.error).toMatchObject({ code: 'HostCommandFailed', rolledBack: true });
      expect(await snapshot(sb.runner)).toEqual(before);
    }));

  it('an unreadable journal deletes nothing', () =>
    withSandbox(async (sb, stateDir) => {
      const lab = byName('veth-pair');
      const engine = await openEngine({ stateDir, runner: sb.runner, driver: kernelDriver(), skipProbe: true });
      expect((await engine.apply(lab)).ok).toBe(true);
      const applied = await settledSnapshot(sb.runner);
      const { writeFile } = await import('node:fs/promises');
      for (const bad of ['', '{"kind":"apply","ops":', 'null']) {
        await writeFile(`${stateDir}/journal.json`, bad);
        await openEngine({ stateDir, runner: sb.runner, driver: kernelDriver(), skipProbe: true });
        expect(await settledSnapshot(sb.runner)).toEqual(applied);
      }
      expect((await engine.destroy(lab.name)).ok).toBe(true);
    }));

  it('a lock held by a dead process is taken over; a live holder is never robbed', () =>
    withSandbox(async (sb, stateDir) => {
      const { writeFile } = await import('node:fs/promises');
      const { acquireLock, processStartTime } = await import('./lock');
      // A pid that exists no more (our own pid with another start time reads as dead).
      await writeFile(`${stateDir}/lock`, JSON.stringify({ pid: process.pid, start: 'not-a-start-time' }));
      const engine = await openEngine({
        stateDir,
        runner: sb.runner,
        driver: kernelDriver(),
        skipProbe: true,
        lockTimeoutMs: 500,
      });
      expect((await engine.apply(byName('veth-pair'))).ok).toBe(true);
      // A live holder (this very process) blocks another writer until the timeout.
      await writeFile(`${stateDir}/lock`, JSON.stringify({ pid: process.pid, start: processStartTime(process.pid) }));
      await expect(acquireLock(stateDir, 200)).rejects.toThrow(/another Netloom process/);
      const { rm } = await import('node:fs/promises');
      await rm(`${stateDir}/lock`);
      expect((await engine.destroy('veth-pair')).ok).toBe(true);
    }));
});

describeKernel('engine on the kernel: host safety', () => {
  it('a foreign namespace and a foreign interface with colliding names are refused and left untouched', () =>
    withSandbox(async (sb, stateDir) => {
      const r = (...a: string[]) => sb.runner.run(a);
      expect((await r('ip', 'netns', 'add', 'red')).code).toBe(0);
      expect((await r('ip', '-n', 'red', 'link', 'add', 'veth-red', 'type', 'bridge')).code).toBe(0);
      expect((await r('ip', '-n', 'red', 'addr', 'add', '192.0.2.7/24', 'dev', 'veth-red')).code).toBe(0);
      expect((await r('ip', 'link', 'add', 'lan0', 'type', 'bridge')).code).toBe(0);
      expect((await r('ip', 'addr', 'add', '198.51.100.1/24', 'dev', 'lan0')).code).toBe(0);
      const idRed = await linkIdentity(sb.runner, 'red', 'veth-red');
      const idLan = await linkIdentity(sb.runner, null, 'lan0');
      const before = await snapshot(sb.runner);
      const engine = await openEngine({ stateDir, runner: sb.runner, driver: kernelDriver(), skipProbe: true });
      for (const name of ['veth-pair', 'bridge-lan']) {
        const out = await engine.apply(byName(name));
        expect(out.error?.code, name).toBe('Conflict');
        expect((await engine.plan(byName(name))).errors.length).toBeGreaterThan(0);
        expect((await engine.destroy(name)).ok).toBe(true);
      }
      expect(await snapshot(sb.runner)).toEqual(before);
      expect(await linkIdentity(sb.runner, 'red', 'veth-red')).toEqual(idRed);
      expect(await linkIdentity(sb.runner, null, 'lan0')).toEqual(idLan);
    }));

  it('two labs side by side: destroying one leaves the other (and foreign objects) identical', () =>
    withSandbox(async (sb, stateDir) => {
      await sb.runner.run(['ip', 'link', 'add', 'foreign0', 'type', 'bridge']);
      const engine = await openEngine({ stateDir, runner: sb.runner, driver: kernelDriver(), skipProbe: true });
      expect((await engine.apply(byName('router'))).ok).toBe(true);
      const routerOnly = await settledSnapshot(sb.runner);
      expect((await engine.apply(byName('bridge-lan'))).ok).toBe(true);
      expect((await engine.apply(byName('router'))).ran).toBe(0);
      expect((await engine.destroy('bridge-lan')).ok).toBe(true);
      expect(await settledSnapshot(sb.runner)).toEqual(routerOnly);
      expect((await engine.destroy('router')).ok).toBe(true);
    }));

  it('drift by hand is repaired by re-applying only what changed', () =>
    withSandbox(async (sb, stateDir) => {
      const lab = byName('bridge-lan');
      const engine = await openEngine({ stateDir, runner: sb.runner, driver: kernelDriver(), skipProbe: true });
      expect((await engine.apply(lab)).ok).toBe(true);
      const keep = await linkIdentity(sb.runner, 'pc2', 'eth0');
      expect((await sb.runner.run(['ip', '-n', 'pc1', 'link', 'del', 'eth0'])).code).toBe(0);
      const out = await engine.apply(lab);
      expect(out.ok).toBe(true);
      expect(out.ran).toBeGreaterThan(0);
      expect(await linkIdentity(sb.runner, 'pc2', 'eth0')).toEqual(keep);
      expect((await engine.apply(lab)).ran).toBe(0);
      expect((await engine.destroy(lab.name)).ok).toBe(true);
    }));

  it(
    'destroy then re-apply the same lab 50 times: never "File exists"',
    () =>
      withSandbox(async (sb, stateDir) => {
        const lab = byName('bridge-lan');
        const engine = await openEngine({ stateDir, runner: sb.runner, driver: kernelDriver(), skipProbe: true });
        const before = await snapshot(sb.runner);
        for (let i = 0; i < 50; i++) {
          const up = await engine.apply(lab);
          expect(up.error, `round ${i}`).toBeUndefined();
          const down = await engine.destroy(lab.name);
          expect(down.error, `round ${i}`).toBeUndefined();
        }
        expect(await snapshot(sb.runner)).toEqual(before);
      }),
    120_000,
  );

  it('concurrent applies are serialized', () =>
    withSandbox(async (sb, stateDir) => {
      const engine = await openEngine({ stateDir, runner: sb.runner, driver: kernelDriver(), skipProbe: true });
      const outs = await Promise.all([
        engine.apply(byName('router')),
        engine.apply(byName('bridge-lan')),
        engine.apply(byName('router')),
      ]);
      expect(outs.map((o) => o.ok)).toEqual([true, true, true]);
      expect(outs[2]!.ran).toBe(0);
      expect((await engine.destroy('router')).ok).toBe(true);
      expect((await engine.destroy('bridge-lan')).ok).toBe(true);
    }));
});

describeKernel('engine on the kernel: real processes', () => {
  it(
    'kill -9 of another process at every wave boundary: the next engine recovers, zero orphans',
    () =>
      withSandbox(async (sb, stateDir) => {
        const { spawn } = await import('node:child_process');
        const { writeFile } = await import('node:fs/promises');
        const { join } = await import('node:path');
        const lab = byName('router');
        const labFile = join(stateDir, 'lab.json');
        await writeFile(labFile, JSON.stringify(lab));
        const before = await snapshot(sb.runner);
        const child = join(import.meta.dirname, 'testing', 'crashChild.ts');
        const runChild = (killAt: number) =>
          new Promise<{ killed: boolean; waves: number }>((resolve, reject) => {
            const p = spawn(process.execPath, ['--import', 'tsx', child, String(sb.pid), stateDir, labFile], {
              stdio: ['pipe', 'pipe', 'inherit'],
            });
            let buf = '';
            let waves = 0;
            p.stdout.on('data', (b: Buffer) => {
              buf += b.toString();
              let nl = buf.indexOf('\n');
              while (nl >= 0) {
                const line = buf.slice(0, nl);
                buf = buf.slice(nl + 1);
                if (line.startsWith('wave ')) {
                  waves++;
                  if (waves - 1 === killAt) p.kill('SIGKILL');
                  else p.stdin.write('go\n');
                }
                nl = buf.indexOf('\n');
              }
            });
            p.on('error', reject);
            p.on('exit', (_code, signal) => resolve({ killed: signal === 'SIGKILL', waves }));
          });
        const total = (await runChild(-1)).waves;
        expect(total).toBeGreaterThan(1);
        const engine = await openEngine({ stateDir, runner: sb.runner, driver: kernelDriver(), skipProbe: true });
        expect((await engine.destroy(lab.name)).ok).toBe(true);
        for (let k = 0; k < total; k++) {
          const r = await runChild(k);
          expect(r.killed, `kill at wave ${k}`).toBe(true);
          // The dead child's lock is taken over and its journal rolled back by the next engine.
          const next = await openEngine({
            stateDir,
            runner: sb.runner,
            driver: kernelDriver(),
            skipProbe: true,
            lockTimeoutMs: 5000,
          });
          expect(await snapshot(sb.runner), `kill at wave ${k}`).toEqual(before);
          expect((await next.apply(lab)).ok).toBe(true);
          expect((await next.destroy(lab.name)).ok).toBe(true);
        }
      }),
    120_000,
  );

  it(
    'the CLI plans, applies, reports and removes a lab; an invalid file exits 2',
    () =>
      withSandbox(async (sb, stateDir) => {
        const { spawnSync } = await import('node:child_process');
        const { join } = await import('node:path');
        const { writeFile } = await import('node:fs/promises');
        const root = join(import.meta.dirname, '..', '..');
        const cli = (...args: string[]) =>
          spawnSync(process.execPath, [join(root, 'bin', 'netloom.js'), ...args], {
            cwd: root,
            encoding: 'utf8',
            env: { ...process.env, NETLOOM_SANDBOX_PID: String(sb.pid), NETLOOM_STATE_DIR: stateDir },
          });
        const before = await snapshot(sb.runner);
        const file = join(root, 'examples', 'veth-pair.yaml');
        const plan = cli('plan', file, '--json');
        expect(plan.status).toBe(0);
        expect(JSON.parse(plan.stdout).operations.length).toBeGreaterThan(0);
        expect(cli('plan', file, '--script').stdout).toMatch(/^#!\/bin\/sh/);
        const up = cli('up', file);
        expect(up.status, up.stderr).toBe(0);
        expect(up.stdout).toMatch(/ok — \d+ operations/);
        const st = cli('status', file, '--json');
        expect(st.status).toBe(0);
        expect(
          Object.values(JSON.parse(st.stdout).objects).every((o) => (o as { state: string }).state === 'ready'),
        ).toBe(true);
        expect(cli('gc').status).toBe(0);
        expect(cli('down', file).status).toBe(0);
        expect(await snapshot(sb.runner)).toEqual(before);
        const bad = join(stateDir, 'bad.yaml');
        await writeFile(bad, 'version: 1\nname: Bad Name\nnodes: []\nlinks: []\n');
        expect(cli('up', bad).status).toBe(2);
        expect(cli('recover').status).toBe(0);
      }),
    60_000,
  );

  it('detects the kernel features this machine has', () =>
    withSandbox(async (sb, stateDir) => {
      const engine = await openEngine({ stateDir, runner: sb.runner, driver: kernelDriver() });
      expect(engine.capabilities()).toMatchObject({ netns: true, veth: true, bridge: true });
      expect(Object.keys(engine.capabilities()).sort()).toEqual(
        [
          'bridge',
          'bridgeVlan',
          'htb',
          'macvlan',
          'netem',
          'netns',
          'nftables',
          'tbf',
          'veth',
          'vlan',
          'vxlan',
          'gre',
          'ipip',
          'ip6tnl',
          'geneve',
          'wireguard',
        ].sort(),
      );
      expect(engine.versions().iproute2).toMatch(/\d/);
    }));
});

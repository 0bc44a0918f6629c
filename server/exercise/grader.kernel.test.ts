/**
 * The grader on the real kernel (driver under test), each test in its own sandbox: live grading follows
 * hand-made `ip` changes (a goal turns green, then red again) through the engine's observation; the probe
 * kinds the lessons use little (service, path that must not cross, capture with nothing to see) give the
 * right verdicts; `netloom check` exits 1 / 0 / 2 and prints JSON.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import type { Exercise, GradeReport } from '../../shared';
import type { CommandRunner, Sandbox } from '../engine/contract';
import { openEngine } from '../engine/engine';
import { describeKernel, kernelDriver, withSandbox } from '../engine/testing/kernel';
import { silentLogger } from '../log';
import { LabStore } from '../store/labStore';
import { waitUntil } from '../testing/wait';
import { startExercise } from './commands';
import { checkExercise } from './files';
import { Grader } from './grader';

const run = promisify(execFile);
const BIN = fileURLToPath(new URL('../../bin/netloom.js', import.meta.url));
const PROBE = fileURLToPath(new URL('./probe.mjs', import.meta.url));

const must = async (runner: CommandRunner, ...cmds: string[][]) => {
  for (const argv of cmds) {
    const r = await runner.run(argv, { timeoutMs: 10_000 });
    if (r.code !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr}`);
  }
};

const exercise = (goals: unknown[], name = 'ex-k'): Exercise =>
  checkExercise({
    version: 1,
    title: 'Kernel test',
    instructions: '-',
    lab: {
      version: 1,
      name,
      nodes: [
        { id: 'red', kind: 'namespace', name: 'kred' },
        { id: 'rtr', kind: 'namespace', name: 'krtr', forwarding: true },
        { id: 'blue', kind: 'namespace', name: 'kblue', routes: [{ to: 'default', via: '10.9.2.254' }] },
      ],
      links: [
        {
          id: 'l1',
          kind: 'veth',
          endpoints: [
            { node: 'red', ifname: 'eth0', addresses: ['10.9.1.1/24'] },
            { node: 'rtr', ifname: 'r1', addresses: ['10.9.1.254/24'] },
          ],
        },
        {
          id: 'l2',
          kind: 'veth',
          endpoints: [
            { node: 'rtr', ifname: 'r2', addresses: ['10.9.2.254/24'] },
            { node: 'blue', ifname: 'eth0', addresses: ['10.9.2.2/24'] },
          ],
        },
      ],
    },
    goals,
  });

/** A TCP listener inside a namespace (probe.mjs listen), in its own process group; resolves once bound. */
async function listen(sb: Sandbox, netns: string, port: number): Promise<ChildProcess> {
  const argv = [
    ...sb.runner.prefix,
    'ip',
    'netns',
    'exec',
    netns,
    process.execPath,
    PROBE,
    'listen',
    'tcp',
    String(port),
  ];
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
  await new Promise<void>((ok, fail) => {
    child.stdout!.on('data', (b: Buffer) => b.toString().includes('listening') && ok());
    child.on('exit', (c) => fail(new Error(`listener exited with ${c}`)));
  });
  return child;
}

describeKernel(`grader on the kernel (${kernelDriver()} driver)`, () => {
  it('live: a hand-made ip change turns the goals green within ticks, and undoing it turns them red', () =>
    withSandbox(async (sb, stateDir) => {
      const engine = await openEngine({ stateDir, runner: sb.runner, driver: kernelDriver() });
      const store = await LabStore.open(stateDir, silentLogger());
      const grader = new Grader({ engine, runner: sb.runner, store, log: silentLogger() }, { intervalMs: 100 });
      try {
        const ex = exercise([
          {
            id: 'route',
            title: 'red routes via rtr',
            check: { kind: 'route', netns: 'kred', dst: '10.9.2.2', via: '10.9.1.254' },
          },
          { id: 'ping', title: 'red reaches blue', check: { kind: 'reach', from: 'kred', to: '10.9.2.2' } },
        ]);
        expect((await startExercise(engine, sb.runner, ex)).ok).toBe(true);
        await store.create(
          ex.lab,
          { version: 1, positions: {}, notes: [] },
          {
            file: 'k.yaml',
            exercise: ex,
            startedAt: new Date().toISOString(),
          },
        );
        const reports: GradeReport[] = [];
        const stop = grader.watch(ex.lab.name, (r) => r && reports.push(r));
        const latest = () => reports[reports.length - 1];
        await waitUntil(
          () => latest()?.goals.every((g) => g.met === false) ?? false,
          10_000,
          'both goals judged unmet',
        );

        const t0 = performance.now();
        await must(sb.runner, ['ip', '-n', 'kred', 'route', 'add', 'default', 'via', '10.9.1.254']);
        await waitUntil(() => latest()?.complete ?? false, 10_000, 'both goals met after the route was added');
        const ms = performance.now() - t0;
        expect(latest()?.goals[0]?.reason).toBe('kred sends 10.9.2.2 by default via 10.9.1.254 dev eth0');
        // Not a timing assertion (CI is loaded): the change showed up through ticks, not a full re-check cycle.
        expect(ms).toBeLessThan(10_000);

        await must(sb.runner, ['ip', '-n', 'kred', 'route', 'del', 'default']);
        await waitUntil(() => latest()?.goals.every((g) => g.met === false) ?? false, 10_000, 'both goals unmet again');
        stop();
        expect(grader.watched()).toEqual({});
      } finally {
        grader.close();
        await engine.close();
      }
    }));

  it('service, path and capture probes: answers, refusals and nothing seen', () =>
    withSandbox(async (sb, stateDir) => {
      const engine = await openEngine({ stateDir, runner: sb.runner, driver: kernelDriver() });
      const grader = new Grader({ engine, runner: sb.runner, log: silentLogger() });
      let listener: ChildProcess | undefined;
      try {
        const ex = exercise([
          { id: 'svc', title: 'web', check: { kind: 'service', from: 'kred', to: '10.9.2.2', port: 8080 } },
          {
            id: 'closed',
            title: 'closed',
            check: { kind: 'service', from: 'kred', to: '10.9.2.2', port: 8081, expect: false },
          },
          {
            id: 'udp',
            title: 'udp',
            check: { kind: 'service', from: 'kred', to: '10.9.2.2', port: 53, protocol: 'udp' },
          },
          { id: 'via', title: 'via rtr', check: { kind: 'path', from: 'kred', to: '10.9.2.2', via: 'krtr' } },
          {
            id: 'not-via',
            title: 'not via blue',
            check: { kind: 'path', from: 'kred', to: '10.9.2.2', via: 'kblue', expect: false },
          },
          {
            id: 'quiet',
            title: 'no tcp',
            check: { kind: 'capture', netns: 'kblue', dev: 'eth0', packet: 'tcp', port: 9, expect: false, windowS: 1 },
          },
          {
            id: 'no-dev',
            title: 'no device',
            check: { kind: 'capture', netns: 'kblue', dev: 'nope0', packet: 'icmp' },
          },
        ]);
        expect((await startExercise(engine, sb.runner, ex)).ok).toBe(true);
        await must(sb.runner, ['ip', '-n', 'kred', 'route', 'add', 'default', 'via', '10.9.1.254']);
        const closed = await grader.check(ex);
        const byId = (r: GradeReport) => Object.fromEntries(r.goals.map((g) => [g.id, [g.met, g.reason]]));
        expect(byId(closed)).toMatchObject({
          svc: [false, 'TCP 10.9.2.2:8080 from kred: connection refused'],
          closed: [true, 'TCP 10.9.2.2:8081 from kred: connection refused'],
          udp: [false, 'UDP 10.9.2.2:53 from kred: port unreachable'],
          via: [true, 'kred → 10.9.2.2: krtr → kblue'],
          'not-via': [true, 'kred → 10.9.2.2: krtr → kblue'],
          quiet: [true, 'no TCP on eth0 in kblue'],
          'no-dev': [false, 'there is no interface nope0 in kblue'],
        });
        listener = await listen(sb, 'kblue', 8080);
        const open = await grader.check(ex);
        expect(byId(open).svc).toEqual([true, 'TCP 10.9.2.2:8080 from kred answers']);
      } finally {
        try {
          if (listener?.pid) process.kill(-listener.pid, 'SIGKILL');
        } catch {
          // already gone
        }
        grader.close();
        await engine.close();
      }
    }));

  it('netloom check: exit 1 while goals fail, 0 once all are met, 2 for an invalid exercise; --json is the report', () =>
    withSandbox(async (sb, stateDir) => {
      const dir = await mkdtemp(join(tmpdir(), 'netloom-ex-'));
      try {
        const file = join(dir, 'ex.json');
        const ex = exercise(
          [{ id: 'fwd', title: 'blue forwards', check: { kind: 'forwarding', netns: 'kblue', on: true } }],
          'ex-cli',
        );
        await writeFile(file, JSON.stringify(ex));
        const env = {
          ...process.env,
          NETLOOM_SANDBOX_PID: String(sb.pid),
          NETLOOM_STATE_DIR: stateDir,
          NETLOOM_DRIVER: kernelDriver(),
        };
        const cli = (...args: string[]) =>
          run(process.execPath, [BIN, ...args], { env, timeout: 60_000 }).then(
            (r) => ({ code: 0, ...r }),
            (e: { code: number; stdout: string; stderr: string }) => e,
          );
        expect((await cli('exercise', 'start', file)).code).toBe(0);
        const failing = await cli('check', file, '--json');
        expect(failing.code).toBe(1);
        expect(JSON.parse(failing.stdout)).toMatchObject({ lab: 'ex-cli', complete: false, earned: 0, total: 1 });
        await must(sb.runner, ['ip', 'netns', 'exec', 'kblue', 'sysctl', '-w', 'net.ipv4.ip_forward=1']);
        const passing = await cli('check', file);
        expect(passing.code).toBe(0);
        expect(passing.stdout).toContain('1/1 points');
        expect(passing.stdout).toContain('IPv4 forwarding is on in kblue');
        await writeFile(file, JSON.stringify({ ...ex, goals: [] }));
        const invalid = await cli('check', file);
        expect(invalid.code).toBe(2);
        expect(invalid.stderr).toContain('goals');
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }));
});

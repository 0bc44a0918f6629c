/**
 * The wireguard-go supervisor on the kernel, in sandboxes: two namespaces ("a", "b") joined by an underlay
 * veth, each with a persistent TUN device `wg0` (the same name on purpose: each daemon has its own /run).
 * Start → observe → ping through the tunnel → stop; kill -9 of a daemon → ensure() restarts it on the same
 * device; a server killed by kill -9 → the next supervisor finds and stops its orphans (with or without a
 * pidfile), and nothing that lacks our exact marker is ever signalled.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import type { CommandRunner, Sandbox } from '../engine/contract';
import { describeKernel, withSandbox } from '../engine/testing/kernel';
import { waitUntil } from '../testing/wait';
import { detectWireguard } from './capability';
import { WireguardKeys } from './keys';
import { findMarked, readProc } from './procfs';
import { type Daemon, WireguardSupervisor, type WireguardTarget } from './supervisor';

const LAB = 'wgsup';
const target = (ns: 'a' | 'b'): WireguardTarget => ({
  lab: LAB,
  object: `${ns}/wg0`,
  netns: `wgs-${ns}`,
  ifname: 'wg0',
});
const UNDERLAY = { a: '192.0.2.1', b: '192.0.2.2' } as const;
const TUNNEL = { a: '10.99.0.1', b: '10.99.0.2' } as const;

async function sh(runner: CommandRunner, ...argv: string[]): Promise<string> {
  const r = await runner.run(argv, { timeoutMs: 20_000 });
  if (r.code !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** The two namespaces, the underlay veth and a persistent TUN `wg0` in each (what the engine will make). */
async function world(runner: CommandRunner): Promise<void> {
  for (const s of ['a', 'b'] as const) {
    const ns = `wgs-${s}`;
    await sh(runner, 'ip', 'netns', 'add', ns);
    await sh(runner, 'ip', '-n', ns, 'link', 'set', 'lo', 'up');
  }
  await sh(runner, 'ip', 'link', 'add', 'u-a', 'netns', 'wgs-a', 'type', 'veth', 'peer', 'u-b', 'netns', 'wgs-b');
  for (const s of ['a', 'b'] as const) {
    const ns = `wgs-${s}`;
    await sh(runner, 'ip', '-n', ns, 'addr', 'add', `${UNDERLAY[s]}/24`, 'dev', `u-${s}`);
    await sh(runner, 'ip', '-n', ns, 'link', 'set', `u-${s}`, 'up');
    await sh(runner, 'ip', '-n', ns, 'tuntap', 'add', 'dev', 'wg0', 'mode', 'tun');
    await sh(runner, 'ip', '-n', ns, 'addr', 'add', `${TUNNEL[s]}/24`, 'dev', 'wg0');
    await sh(runner, 'ip', '-n', ns, 'link', 'set', 'wg0', 'up');
  }
}

/** Site a knows b's endpoint; b waits to be reached. */
function configs(keys: WireguardKeys) {
  const ka = keys.get(LAB, 'a', 'wg0');
  const kb = keys.get(LAB, 'b', 'wg0');
  return {
    a: {
      privateKey: ka,
      listenPort: 51820,
      peers: [{ publicKey: kb.publicKey(), endpoint: `${UNDERLAY.b}:51820`, allowedIps: [`${TUNNEL.b}/32`] }],
    },
    b: { privateKey: kb, listenPort: 51820, peers: [{ publicKey: ka.publicKey(), allowedIps: [`${TUNNEL.a}/32`] }] },
  };
}

async function ping(runner: CommandRunner, from: 'a' | 'b', to: string, tries = 8): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    const r = await runner.run(['ip', 'netns', 'exec', `wgs-${from}`, 'ping', '-c1', '-W1', to], { timeoutMs: 5000 });
    if (r.code === 0) return true;
  }
  return false;
}

const alive = (d: Pick<Daemon, 'pid' | 'start'>) => readProc(d.pid)?.start === d.start;
const ifindex = async (runner: CommandRunner, s: 'a' | 'b') =>
  (
    JSON.parse(await sh(runner, 'ip', '-j', '-n', `wgs-${s}`, 'link', 'show', 'dev', 'wg0')) as { ifindex: number }[]
  )[0]!.ifindex;

/** A sandbox with world() in it, a supervisor and the two configs; every daemon is stopped afterwards. */
function withWorld(
  fn: (w: { sb: Sandbox; stateDir: string; sup: WireguardSupervisor; c: ReturnType<typeof configs> }) => Promise<void>,
) {
  return withSandbox(async (sb, stateDir) => {
    await world(sb.runner);
    const sup = WireguardSupervisor.open({ stateDir, runner: sb.runner });
    try {
      await fn({ sb, stateDir, sup, c: configs(WireguardKeys.open(stateDir)) });
    } finally {
      await sup.reconcile(() => false);
    }
  });
}

describeKernel('wireguard-go supervisor', () => {
  it('detects what this kernel offers: no wireguard module, so wireguard-go on TUN', () =>
    withSandbox(async (sb) => {
      // This CI kernel lacks CONFIG_WIREGUARD (the brief's machine); a kernel with it would pick 'kernel'.
      const kernelModule =
        (await sb.runner.run(['unshare', '--net', '--', 'ip', 'link', 'add', 'w', 'type', 'wireguard'])).code === 0;
      const cap = await detectWireguard(sb.runner);
      expect(cap).toMatchObject({ kernel: kernelModule, userspace: true, mode: kernelModule ? 'kernel' : 'userspace' });
      expect(cap.message).toBeUndefined();
      // Nothing was left behind by the probe.
      expect(await sh(sb.runner, 'ip', '-j', 'link', 'show')).not.toContain('nlp-');
    }));

  it('starts, observes and stops two daemons named wg0 side by side; a ping crosses the tunnel', () =>
    withWorld(async ({ sb, sup, c }) => {
      const da = await sup.start(target('a'), c.a);
      const db = await sup.start(target('b'), c.b);
      expect(da.pid).not.toBe(db.pid);
      expect(readProc(da.pid)).toMatchObject({ comm: 'wireguard-go', env: { NETLOOM_WG: sup.marker(target('a')) } });
      // Each has its own socket, in its own /run; the world's /run holds none of them.
      expect(sup.socketPath(da)).not.toBe(sup.socketPath(db));
      const ls = await sb.runner.run(['ls', '/run/wireguard']);
      expect(ls.stdout).not.toContain('wg0.sock');

      expect(await ping(sb.runner, 'a', TUNNEL.b)).toBe(true);
      expect(await ping(sb.runner, 'b', TUNNEL.a)).toBe(true);
      const sa = await sup.observe(target('a'));
      expect(sa).toMatchObject({
        publicKey: c.a.privateKey.publicKey(),
        listenPort: 51820,
        peers: [
          { publicKey: c.b.privateKey.publicKey(), endpoint: `${UNDERLAY.b}:51820`, allowedIps: [`${TUNNEL.b}/32`] },
        ],
      });
      expect(sa!.peers[0]!.lastHandshakeMs).toBeGreaterThan(Date.now() - 120_000);
      expect(sa!.peers[0]!.rxBytes).toBeGreaterThan(0);
      // b learnt a's endpoint from the handshake (it had none).
      expect((await sup.observe(target('b')))!.peers[0]!.endpoint).toBe(`${UNDERLAY.a}:51820`);
      // Our derived public key is the one wg derives.
      const wg = await sb.runner.run(['wg', 'pubkey'], { stdin: `${c.a.privateKey.reveal()}\n` });
      expect(wg.stdout.trim()).toBe(c.a.privateKey.publicKey());

      expect(
        sup
          .list()
          .map((d) => d.object)
          .sort(),
      ).toEqual(['a/wg0', 'b/wg0']);
      expect(await sup.stop(target('a'))).toBe(true);
      expect(alive(da)).toBe(false);
      expect(await sup.observe(target('a'))).toBeNull();
      expect(await sup.stop(target('a'))).toBe(false);
      // The persistent TUN device stays, with its address: only the engine deletes it.
      expect(await sh(sb.runner, 'ip', '-n', 'wgs-a', 'addr', 'show', 'dev', 'wg0')).toContain(`${TUNNEL.a}/24`);
      expect(alive(db)).toBe(true);
    }));

  it('a daemon killed by kill -9 is restarted by ensure() on the same device; unchanged configs are kept', () =>
    withWorld(async ({ sb, sup, c }) => {
      const first = await sup.ensure(target('a'), c.a, 1380);
      expect(first.action).toBe('started');
      await sup.ensure(target('b'), c.b);
      expect(await ping(sb.runner, 'a', TUNNEL.b)).toBe(true);
      expect((await sup.ensure(target('a'), c.a, 1380)).action).toBe('kept');
      const before = await ifindex(sb.runner, 'a');

      process.kill(first.daemon.pid, 'SIGKILL');
      await waitUntil(() => !alive(first.daemon), 10_000, 'the killed daemon to go');
      expect(await sup.observe(target('a'))).toBeNull();
      expect(await ping(sb.runner, 'a', TUNNEL.b, 1)).toBe(false);

      const again = await sup.ensure(target('a'), c.a, 1380);
      expect(again.action).toBe('started');
      expect(again.daemon.pid).not.toBe(first.daemon.pid);
      // Same device: ifindex, address and MTU survive (wireguard-go resets the MTU; ensure restores it).
      expect(await ifindex(sb.runner, 'a')).toBe(before);
      const link = await sh(sb.runner, 'ip', '-n', 'wgs-a', 'addr', 'show', 'dev', 'wg0');
      expect(link).toContain('mtu 1380');
      expect(link).toContain(`${TUNNEL.a}/24`);
      expect(await ping(sb.runner, 'a', TUNNEL.b)).toBe(true);

      const changed = { ...c.a, peers: [{ ...c.a.peers[0]!, allowedIps: [`${TUNNEL.b}/32`, '10.2.0.0/24'] }] };
      expect((await sup.ensure(target('a'), changed)).action).toBe('reconfigured');
      expect((await sup.observe(target('a')))!.peers[0]!.allowedIps.sort()).toEqual(['10.2.0.0/24', `${TUNNEL.b}/32`]);
    }));

  it('refuses a second daemon for one target and a start without a TUN device; a failed start leaves nothing', () =>
    withWorld(async ({ sb, stateDir, sup, c }) => {
      await sup.start(target('a'), c.a);
      await expect(sup.start(target('a'), c.a)).rejects.toMatchObject({ code: 'Conflict' });
      const none: WireguardTarget = { lab: LAB, object: 'a/wg9', netns: 'wgs-a', ifname: 'wg9' };
      await expect(sup.start(none, c.a)).rejects.toThrow(/no TUN device wg9 in namespace wgs-a/);
      // A daemon that dies at start: the error says so, and its holder is gone too.
      const broken = WireguardSupervisor.open({ stateDir, runner: sb.runner, program: 'false' });
      await expect(broken.start(target('b'), c.b)).rejects.toThrow(/exited at start/);
      expect(findMarked((m) => m.startsWith(`${sup.instance}:`)).map((p) => p.env.NETLOOM_WG)).toEqual([
        sup.marker(target('a')),
      ]);
      expect(sup.list().map((d) => d.object)).toEqual(['a/wg0']);
    }));

  it('after the owning server is killed by kill -9, the next one finds and stops its orphans — and only its own', () =>
    withSandbox(async (sb, stateDir) => {
      await world(sb.runner);
      const child = join(import.meta.dirname, 'testing', 'crashChild.ts');
      const run = (dir: string, targets: WireguardTarget[]) =>
        new Promise<{ proc: ChildProcess; pids: number[] }>((resolve, reject) => {
          const p = spawn(process.execPath, ['--import', 'tsx', child, String(sb.pid), dir, JSON.stringify(targets)], {
            stdio: ['ignore', 'pipe', 'inherit'],
          });
          let out = '';
          p.stdout.on('data', (b: Buffer) => {
            out += b.toString();
            const m = /started ([\d ]+)\n/.exec(out);
            if (m) resolve({ proc: p, pids: m[1]!.trim().split(' ').map(Number) });
          });
          p.on('exit', (code) => reject(new Error(`crash child exited (${code}) before starting: ${out}`)));
        });
      // Another server (another state dir, so another instance) runs a daemon for a lab of the same name.
      const otherDir = join(stateDir, 'other');
      const other = WireguardSupervisor.open({ stateDir: otherDir, runner: sb.runner });
      const keys = WireguardKeys.open(otherDir);
      const theirs = await other.start(target('b'), { privateKey: keys.get(LAB, 'b', 'wg0'), peers: [] });
      try {
        const owner = await run(stateDir, [target('a')]);
        const [orphan] = owner.pids as [number];
        owner.proc.kill('SIGKILL');
        await new Promise((r) => owner.proc.once('exit', r));
        // The daemon outlives its owner (a lab keeps running across a server restart)…
        const info = readProc(orphan);
        expect(info?.comm).toBe('wireguard-go');

        // …and its pidfile is lost too, as if the crash came before it was written: the /proc scan finds it.
        rmSync(join(stateDir, 'wireguard', 'run'), { recursive: true, force: true });
        const next = WireguardSupervisor.open({ stateDir, runner: sb.runner });
        expect(next.find(target('a'))).toMatchObject({ pid: orphan });
        // A pidfile of a target pointing at a live process that is not ours (the sandbox holder): never signalled.
        const fake: Daemon = { ...target('b'), pid: sb.pid, start: readProc(sb.pid)!.start };
        (next as unknown as { writeRecord(d: Daemon): void }).writeRecord(fake);
        expect(next.find(target('b'), false)).toBeNull();

        // A mount-namespace holder a crash left mid-start (marked, role holder): stopped too.
        const holder = spawn('sleep', ['60'], {
          detached: true,
          stdio: 'ignore',
          env: { PATH: process.env.PATH, NETLOOM_WG: next.marker(target('b')), NETLOOM_WG_ROLE: 'holder' },
        });
        await waitUntil(() => readProc(holder.pid!)?.comm === 'sleep', 5000, 'the holder to start');

        const { stopped, kept } = await next.reconcile(() => false);
        expect(stopped.map((d) => d.pid)).toEqual([orphan]);
        await waitUntil(() => holder.exitCode !== null || holder.signalCode !== null, 5000, 'the holder to end');
        expect(kept).toEqual([]);
        await waitUntil(() => readProc(orphan)?.start !== info!.start, 5000, 'the orphan to end');
        expect(readProc(sb.pid)).not.toBeNull();
        expect(alive(theirs)).toBe(true);
        expect(next.list()).toEqual([]);

        // A daemon of an applied lab is kept by the reconcile after a restart.
        const again = await run(stateDir, [target('a')]);
        again.proc.kill('SIGKILL');
        const after = WireguardSupervisor.open({ stateDir, runner: sb.runner });
        const r = await after.reconcile((d) => d.lab === LAB);
        expect(r.kept.map((d) => d.pid)).toEqual(again.pids);
        expect(r.stopped).toEqual([]);
        await after.stopLab(LAB);
        expect(after.list()).toEqual([]);
      } finally {
        await WireguardSupervisor.open({ stateDir, runner: sb.runner }).reconcile(() => false);
        await other.reconcile(() => false);
      }
    }));
});

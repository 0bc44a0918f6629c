/**
 * The WireGuard VPN example (examples/wireguard-vpn.yaml) from the real CLI, in a sandbox, on the test's
 * driver: `netloom up` brings it up (wireguard-go on TUN devices here: this kernel has no wireguard
 * module), host-a pings host-b across the internet router, a capture on the internet router's interface
 * sees only UDP to port 51820 (the pings travel encrypted: no ICMP), status shows both ends up with a
 * handshake and bytes, a killed daemon is restarted, `down` leaves no process and no object, and a CLI
 * killed by kill -9 in the middle of `up` leaves none after `netloom recover`.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { validate } from '../../shared';
import type { CommandRunner } from '../engine/contract';
import { openEngine } from '../engine/engine';
import { describeKernel, kernelDriver, withSandbox } from '../engine/testing/kernel';
import { snapshot } from '../engine/testing/snapshot';
import { waitUntil } from '../testing/wait';
import { findMarked } from './procfs';
import { WireguardSupervisor } from './supervisor';

const run = promisify(execFile);
const BIN = fileURLToPath(new URL('../../bin/netloom.js', import.meta.url));
const EXAMPLE = fileURLToPath(new URL('../../examples/wireguard-vpn.yaml', import.meta.url));

const ping = async (runner: CommandRunner, ns: string, to: string, tries = 10): Promise<boolean> => {
  for (let i = 0; i < tries; i++) {
    const r = await runner.run(['ip', 'netns', 'exec', ns, 'ping', '-c1', '-W1', to], { timeoutMs: 5000 });
    if (r.code === 0) return true;
  }
  return false;
};

/** Every process carrying this state dir's WireGuard marker. */
const ours = (instance: string) => findMarked((m) => m.startsWith(`${instance}:`));

describeKernel('the WireGuard VPN example, from the CLI', () => {
  it('comes up, carries site-to-site pings as encrypted UDP only, is observed and restarted, and comes down clean', () =>
    withSandbox(async (sb, stateDir) => {
      const env = {
        ...process.env,
        NETLOOM_SANDBOX_PID: String(sb.pid),
        NETLOOM_STATE_DIR: stateDir,
        NETLOOM_DRIVER: kernelDriver(),
      };
      const cli = (...args: string[]) =>
        run(process.execPath, [BIN, ...args], { env, timeout: 120_000 }).then(
          (r) => ({ code: 0, ...r }),
          (e: { code: number; stdout: string; stderr: string }) => e,
        );
      const instance = WireguardSupervisor.open({ stateDir, runner: sb.runner }).instance;
      const before = await snapshot(sb.runner);

      const plan = await cli('plan', EXAMPLE, '--script');
      expect(plan.code).toBe(0);
      // The plan script names the key files, never a key.
      expect(plan.stdout).toMatch(/wg set wg0 private-key \S+secrets\/wireguard-vpn\/router-a\/wg0\.key/);
      const up = await cli('up', EXAMPLE);
      expect(up.stderr + up.stdout).not.toMatch(/PrivateKey|private_key=/);
      expect(up.code, up.stderr).toBe(0);
      expect(
        ours(instance)
          .map((p) => p.env.NETLOOM_WG?.split(':').slice(1).join(':'))
          .sort(),
      ).toEqual(['wireguard-vpn:router-a/wg0', 'wireguard-vpn:router-b/wg0']);

      expect(await ping(sb.runner, 'host-a', '10.2.0.10'), 'host-a → host-b through the tunnel').toBe(true);
      // The internet itself cannot reach the private LANs.
      expect(await ping(sb.runner, 'internet', '10.2.0.10', 1)).toBe(false);

      // A capture on the internet router's side of site A: pings of host-a go by, only as UDP to 51820.
      const capture = sb.runner.run(
        [
          'ip',
          'netns',
          'exec',
          'internet',
          'timeout',
          '20',
          'tcpdump',
          '-nn',
          '-l',
          '-c',
          '6',
          '-i',
          'to-router-a',
          'ip',
        ],
        { timeoutMs: 30_000 },
      );
      let done = false;
      void capture.finally(() => {
        done = true;
      });
      while (!done) await ping(sb.runner, 'host-a', '10.2.0.10', 1);
      const seen = (await capture).stdout.trim().split('\n');
      expect(seen.length).toBe(6);
      for (const line of seen) {
        expect(line).toMatch(
          /^\S+ IP (198\.51\.100\.1\.51820 > 203\.0\.113\.1\.51820|203\.0\.113\.1\.51820 > 198\.51\.100\.1\.51820): /,
        );
        expect(line).not.toMatch(/ICMP/);
      }

      // Status: both ends run, have shaken hands and counted bytes; the CLI shows public keys only.
      const st = await cli('status', EXAMPLE, '--json');
      const status = JSON.parse(st.stdout) as {
        objects: Record<
          string,
          {
            state: string;
            wireguard?: {
              running: boolean;
              publicKey: string;
              peers: { lastHandshakeMs: number | null; rxBytes: number }[];
            };
          }
        >;
      };
      for (const id of ['router-a/wg0', 'router-b/wg0']) {
        const w = status.objects[id]!;
        expect(w.state).toBe('ready');
        expect(w.wireguard).toMatchObject({ running: true, publicKey: expect.stringMatching(/^[A-Za-z0-9+/]{43}=$/) });
        expect(w.wireguard!.peers[0]!.lastHandshakeMs).toBeGreaterThan(0);
        expect(w.wireguard!.peers[0]!.rxBytes).toBeGreaterThan(0);
      }
      expect(status.objects['router-a/wg0']!.wireguard!.publicKey).not.toBe(
        status.objects['router-b/wg0']!.wireguard!.publicKey,
      );

      // A daemon that dies (kill -9) is seen as down and restarted by the engine's status sampling.
      const lab = validate(parseYaml(readFileSync(EXAMPLE, 'utf8')));
      if (!lab.ok) throw new Error('the example is invalid');
      const engine = await openEngine({ stateDir, runner: sb.runner, driver: kernelDriver() });
      try {
        const victim = ours(instance).find((p) => p.env.NETLOOM_WG?.endsWith(':router-b/wg0'))!;
        process.kill(victim.pid, 'SIGKILL');
        await waitUntil(() => !ours(instance).some((p) => p.pid === victim.pid), 5000, 'the daemon to die');
        const down = await engine.status(lab.lab, { observed: 1, applied: 1 });
        expect(down.objects['router-b/wg0']).toMatchObject({
          state: 'drifted',
          wireguard: { running: false },
          conditions: expect.arrayContaining([expect.objectContaining({ reason: 'WireguardDown' })]),
        });
        await waitUntil(
          async () =>
            (await engine.status(lab.lab, { observed: 1, applied: 1 })).objects['router-b/wg0']?.wireguard?.running ===
            true,
          30_000,
          'the daemon to be restarted',
        );
        // The restarted end has no session: its first packet starts a handshake at once (site A's end would
        // only notice after WireGuard's 15 s without an answer).
        expect(await ping(sb.runner, 'host-b', '10.1.0.10'), 'the tunnel works again').toBe(true);
      } finally {
        await engine.close();
      }

      const keyDir = join(stateDir, 'secrets', 'wireguard-vpn');
      expect(existsSync(keyDir)).toBe(true);
      const applied = await openEngine({ stateDir, runner: sb.runner, driver: kernelDriver() });
      try {
        // Keys of an applied lab are kept: forgetting it is refused.
        await expect(applied.forgetLab('wireguard-vpn')).rejects.toThrow(/is applied/);
        expect(existsSync(keyDir)).toBe(true);
      } finally {
        await applied.close();
      }

      const dn = await cli('down', EXAMPLE);
      expect(dn.code, dn.stderr).toBe(0);
      expect(ours(instance)).toEqual([]);
      expect(await snapshot(sb.runner)).toEqual(before);
      // A lab that is deleted leaves no key behind (the API's DELETE and rename call forgetLab).
      const gone = await openEngine({ stateDir, runner: sb.runner, driver: kernelDriver() });
      try {
        await gone.forgetLab('wireguard-vpn');
      } finally {
        await gone.close();
      }
      expect(existsSync(keyDir)).toBe(false);
    }));

  it('a CLI killed by kill -9 in the middle of `up` leaves no process and no object after `netloom recover`', () =>
    withSandbox(async (sb, stateDir) => {
      const env = {
        ...process.env,
        NETLOOM_SANDBOX_PID: String(sb.pid),
        NETLOOM_STATE_DIR: stateDir,
        NETLOOM_DRIVER: kernelDriver(),
      };
      const instance = WireguardSupervisor.open({ stateDir, runner: sb.runner }).instance;
      const before = await snapshot(sb.runner);
      const child: ChildProcess = spawn(process.execPath, [BIN, 'up', EXAMPLE], { env, stdio: 'ignore' });
      const exited = new Promise<NodeJS.Signals | null>((r) => child.once('exit', (_c, sig) => r(sig)));
      // Mid-apply: the kernel objects are made and the first wireguard-go daemon is up.
      await waitUntil(() => ours(instance).some((p) => p.comm === 'wireguard-go'), 60_000, 'a daemon to start', 5);
      child.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');
      expect(ours(instance).length).toBeGreaterThan(0);

      const rec = await run(process.execPath, [BIN, 'recover'], { env, timeout: 120_000 });
      expect(rec.stderr).not.toMatch(/PrivateKey/);
      await waitUntil(() => ours(instance).length === 0, 10_000, 'every daemon to end');
      expect(await snapshot(sb.runner)).toEqual(before);
    }));
});

/**
 * A sandbox ends with everything Netloom started in it: our marked daemons (wireguard-go carries
 * NETLOOM_WG=…) live in the sandbox's lab namespaces and kept them — and themselves — alive after the holder
 * ended (seen: lesson and VPN runs left wireguard-go behind). An unmarked process is not ours: left alone.
 * Root only; in CI it fails, never skips.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { waitUntil } from '../testing/wait';
import { findMarked } from '../wireguard/procfs';
import { createSandbox } from './sandbox';
import { describeKernel } from './testing/kernel';

const alive = (pid: number) => existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z');

describeKernel('sandbox close', () => {
  it('ends our marked daemons in its namespaces, and nothing unmarked', { timeout: 60_000 }, async () => {
    const sb = await createSandbox();
    const marker = `test${process.pid}:lab:obj`;
    let plain: number | undefined;
    try {
      expect((await sb.runner.run(['ip', 'netns', 'add', 'held'])).code).toBe(0);
      // Detached into the sandbox's lab namespace, as the supervisor starts wireguard-go.
      const enter = [...sb.runner.prefix, 'ip', 'netns', 'exec', 'held'];
      spawn('setsid', ['-f', ...enter, 'env', `NETLOOM_WG=${marker}`, 'sleep', '1000'], { stdio: 'ignore' });
      const other = spawn('setsid', ['-f', ...enter, 'env', 'NOT_OURS=1', 'sleep', '1001'], { stdio: 'ignore' });
      await new Promise((r) => other.once('exit', r));
      await waitUntil(() => findMarked((m) => m === marker).length === 1, 20_000);
      const [daemon] = findMarked((m) => m === marker);
      await waitUntil(() => {
        plain = findPlain('sleep 1001');
        return plain !== undefined;
      }, 20_000);
      await sb.close();
      await waitUntil(() => !alive(daemon!.pid), 20_000);
      expect(alive(plain!)).toBe(true);
    } finally {
      await sb.close();
      if (plain !== undefined) process.kill(plain, 'SIGKILL');
    }
  });
});

/** The PID of the process whose command line is exactly `cmd` (one we started above). */
function findPlain(cmd: string): number | undefined {
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').join(' ').trim() === cmd) return Number(name);
    } catch {}
  }
  return undefined;
}

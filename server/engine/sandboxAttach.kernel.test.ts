/**
 * Attaching needs a real sandbox holder (issue #13 item 8), with real processes: a sandbox's holder passes;
 * a plain process in the host network, one in a private network namespace without the marker, and one with
 * a forged environment marker but no holder tmpfs are refused — by the check and by the CLI
 * (NETLOOM_SANDBOX_PID → exit 2, nothing read). Root only; in CI it fails, never skips.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { createSandbox } from './sandbox';
import { HOLDER_ENV, sandboxHolderProblem } from './sandboxAttach';
import { describeKernel } from './testing/kernel';

const started: ChildProcess[] = [];
/** A process we start (killed by its own PID afterwards); resolves once it runs `sleep`. */
async function startPlain(argv: string[], env: Record<string, string> = {}): Promise<number> {
  const child = spawn(argv[0]!, argv.slice(1), { stdio: 'ignore', env: { ...process.env, ...env } });
  started.push(child);
  const pid = child.pid!;
  // unshare execs sleep in the same process once the namespaces exist.
  for (let i = 0; i < 500; i++) {
    try {
      const { readFileSync } = await import('node:fs');
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('sleep')) return pid;
    } catch {}
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`${argv.join(' ')} did not start`);
}

describeKernel('attach only to a sandbox holder', () => {
  afterAll(() => {
    for (const c of started) c.kill('SIGKILL');
  });

  it('a real holder passes; plain, unmarked and forged processes are refused with the reason', async () => {
    const sb = await createSandbox();
    try {
      expect(sandboxHolderProblem(sb.pid)).toBeNull();
    } finally {
      await sb.close();
    }
    const host = await startPlain(['sleep', '300']);
    expect(sandboxHolderProblem(host)).toMatch(/own network namespace/);
    const unmarked = await startPlain(['unshare', '--net', '--mount', '--', 'sleep', '300']);
    expect(sandboxHolderProblem(unmarked)).toMatch(/no NETLOOM_SANDBOX_HOLDER marker/);
    const forged = await startPlain(['unshare', '--net', '--mount', '--', 'sleep', '300'], { [HOLDER_ENV]: '1' });
    expect(sandboxHolderProblem(forged)).toMatch(/no netloom-sandbox tmpfs on \/run\/netns/);

    const root = join(import.meta.dirname, '..', '..');
    for (const pid of [host, unmarked]) {
      const r = spawnSync(process.execPath, [join(root, 'bin', 'netloom.js'), 'discover', '--json'], {
        cwd: root,
        encoding: 'utf8',
        env: { ...process.env, NETLOOM_SANDBOX_PID: String(pid) },
      });
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`NETLOOM_SANDBOX_PID ${pid}: .*refusing to attach`));
      expect(r.stdout).toBe('');
    }
  });
});

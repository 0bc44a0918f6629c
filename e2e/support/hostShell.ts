/**
 * Changes the e2e server's sandbox by hand, the way a user's own scripts change a host: plain `ip` commands
 * (argv arrays, never a shell string) run inside the sandbox through nsenter. Never touches the real host.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);

function sandboxPid(): string {
  const port = process.env.E2E_PORT ?? '7420';
  const pid = readFileSync(`reports/e2e-sandbox-${port}.pid`, 'utf8').trim();
  if (!/^\d+$/.test(pid)) throw new Error(`bad sandbox pid file for port ${port}`);
  return pid;
}

/** Runs each argv inside the sandbox, in order; throws with stderr on the first failure. */
export async function inSandbox(...cmds: string[][]): Promise<void> {
  const pid = sandboxPid();
  for (const argv of cmds) {
    try {
      await run('nsenter', ['-t', pid, '-n', '-m', '--', ...argv], { timeout: 10_000 });
    } catch (e) {
      const err = e as { stderr?: string; message: string };
      throw new Error(`${argv.join(' ')}: ${err.stderr?.trim() || err.message}`);
    }
  }
}

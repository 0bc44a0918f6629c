/**
 * Sandbox: a throwaway world for tests, benchmarks and `serve --sandbox`. A holder process lives in a private
 * network + mount namespace (plus a user namespace when not root) with a tmpfs on /run/netns; every command
 * enters it with nsenter. Nothing created inside is visible on the host, and it all vanishes with the holder.
 * The holder is marked (HOLDER_ENV in its environment, the `netloom-sandbox` tmpfs) so attaching can tell it
 * from any other process (`sandboxAttach.ts`). Must not: spawn a shell, or touch the host's /run/netns.
 */
import { spawn } from 'node:child_process';
import type { CommandRunner, Sandbox } from './contract';
import { prefixedRunner } from './runner';
import { HOLDER_ENV } from './sandboxAttach';

/**
 * The holder, run by node inside the new namespaces. Fixed code, no user data: mounts a tmpfs on /run/netns
 * (so `ip netns add` inside never sees or touches the host's namespaces), sets lo up, prints "ready PID",
 * then blocks on stdin and exits on EOF — so the sandbox dies with its parent even after a kill -9.
 */
const HOLDER = `
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const must = (argv) => {
  const r = spawnSync(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0) { process.stderr.write(argv.join(' ') + ': ' + String(r.stderr || r.error) + '\\n'); process.exit(3); }
};
fs.mkdirSync('/run/netns', { recursive: true });
must(['mount', '-t', 'tmpfs', '-o', 'mode=0755', 'netloom-sandbox', '/run/netns']);
must(['ip', 'link', 'set', 'dev', 'lo', 'up']);
process.stdout.write('ready ' + process.pid + '\\n');
process.stdin.on('data', () => {});
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
`;

export interface SandboxOptions {
  /** Force user-namespace mode (default: only when not root). */
  userns?: boolean;
  /** How long to wait for the holder to come up. */
  startTimeoutMs?: number;
  /**
   * A private PID namespace too (classroom mode: a student's terminals see only their own processes). The
   * holder is its PID 1 with its own /proc, every command enters it (`nsenter -p`), and when the holder ends
   * the kernel kills whatever is left inside.
   */
  pidns?: boolean;
}

/** The first child of `pid` (unshare --fork's holder), as the host sees it. */
async function firstChild(pid: number): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const text = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8');
  const child = Number(text.trim().split(/\s+/)[0]);
  if (!Number.isInteger(child) || child < 2) throw new Error(`sandbox holder of unshare ${pid} not found`);
  return child;
}

export async function createSandbox(opts: SandboxOptions = {}): Promise<Sandbox> {
  const userns = opts.userns ?? process.getuid?.() !== 0;
  const unshareArgs = [
    ...(userns ? ['--user', '--map-root-user'] : []),
    '--net',
    '--mount',
    ...(opts.pidns ? ['--pid', '--mount-proc'] : []),
    '--propagation',
    'private',
    '--fork',
    '--',
    process.execPath,
    '-e',
    HOLDER,
  ];
  const child = spawn('unshare', unshareArgs, {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, LC_ALL: 'C', [HOLDER_ENV]: '1' },
  });
  // Never keep the parent alive just for the holder; EOF on its stdin ends it when we exit.
  child.unref();
  (child.stdout as unknown as { unref?: () => void }).unref?.();
  (child.stderr as unknown as { unref?: () => void }).unref?.();
  (child.stdin as unknown as { unref?: () => void }).unref?.();
  child.stdin.on('error', () => {});

  const reported = await new Promise<number>((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`sandbox holder did not start in time: ${err.trim()}`));
    }, opts.startTimeoutMs ?? 15_000);
    child.stderr.on('data', (b: Buffer) => {
      err += b.toString('utf8');
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`cannot start unshare: ${e.message}`));
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`sandbox holder exited (code ${code}): ${err.trim()}`));
    });
    const onData = (b: Buffer) => {
      out += b.toString('utf8');
      const m = /^ready (\d+)\n/.exec(out);
      if (m) {
        clearTimeout(timer);
        child.stdout.off('data', onData);
        resolve(Number(m[1]));
      }
    };
    child.stdout.on('data', onData);
  });
  child.removeAllListeners('exit');
  // In its own PID namespace the holder calls itself 1: ask the host which process it is.
  const pid = opts.pidns ? await firstChild(child.pid!) : reported;

  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  const runner: CommandRunner = prefixedRunner(
    [
      'nsenter',
      '-t',
      String(pid),
      '-n',
      '-m',
      ...(opts.pidns ? ['-p'] : []),
      ...(userns ? ['-U', '--preserve-credentials'] : []),
      '--',
    ],
    'sandbox',
  );
  let closing: Promise<void> | null = null;
  return {
    runner,
    pid,
    close() {
      closing ??= (async () => {
        child.stdin.end();
        const timer = setTimeout(() => {
          // Only the process we started (unshare) and the holder it forked; never by name.
          try {
            process.kill(pid, 'SIGKILL');
          } catch {}
          child.kill('SIGKILL');
        }, 3000);
        await exited;
        clearTimeout(timer);
      })();
      return closing;
    },
  };
}

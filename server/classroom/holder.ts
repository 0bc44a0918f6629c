/**
 * A student world's sandbox with a light holder: the same world as `createSandbox({ pidns: true })`
 * (server/engine/sandbox.ts: private network + mount + PID namespace, a `netloom-sandbox` tmpfs on /run/netns,
 * lo up, HOLDER_ENV in the holder's environment, gone when the holder ends), but the holder is `cat` instead
 * of a node process: it blocks on its stdin and exits on EOF — so the sandbox still dies with the server,
 * even after a kill -9 — and costs ~1 MB and a millisecond to start instead of ~40 MB and a node start-up
 * (30 of them were a third of the classroom's start time). The tmpfs and lo are set up from outside through
 * nsenter once `cat` runs (its exec comes after unshare's `--mount-proc`). argv arrays only, no shell.
 */
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { CommandRunner, Sandbox, ToolIdentity } from '../engine/contract';
import { prefixedRunner, type Spawner, spawnArgv } from '../engine/runner';
import { HOLDER_ENV } from '../engine/sandboxAttach';

export interface WorldSandboxOptions {
  /** Force user-namespace mode (default: only when not root). */
  userns?: boolean;
  /** How long to wait for the holder to come up. */
  startTimeoutMs?: number;
  /** Starts the world's commands (default: spawned by this process; classroom mode: its spawn relay). */
  spawner?: Spawner;
  /** Who the world's live tools run as (classroom mode: the student's own uid and process quota). */
  tools?: ToolIdentity;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The holder: unshare's child, once it has become `cat` (null: not yet). */
async function holderOf(unsharePid: number): Promise<number | null> {
  try {
    const kids = (await readFile(`/proc/${unsharePid}/task/${unsharePid}/children`, 'utf8')).trim();
    const pid = Number(kids.split(/\s+/)[0]);
    if (!Number.isInteger(pid) || pid < 2) return null;
    return (await readFile(`/proc/${pid}/comm`, 'utf8')).trim() === 'cat' ? pid : null;
  } catch {
    return null;
  }
}

export async function createWorldSandbox(opts: WorldSandboxOptions = {}): Promise<Sandbox> {
  const userns = opts.userns ?? process.getuid?.() !== 0;
  const child = spawn(
    'unshare',
    [
      ...(userns ? ['--user', '--map-root-user'] : []),
      '--net',
      '--mount',
      '--pid',
      '--mount-proc',
      '--propagation',
      'private',
      '--fork',
      '--',
      'cat',
    ],
    { stdio: ['pipe', 'ignore', 'pipe'], env: { ...process.env, LC_ALL: 'C', [HOLDER_ENV]: '1' } },
  );
  // Never keep the parent alive just for the holder; EOF on its stdin ends it when we exit.
  child.unref();
  (child.stderr as unknown as { unref?: () => void }).unref?.();
  (child.stdin as unknown as { unref?: () => void }).unref?.();
  child.stdin.on('error', () => {});
  let err = '';
  child.stderr.on('data', (b: Buffer) => {
    err += b.toString('utf8');
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let gone: string | null = null;
  child.once('error', (e) => {
    gone = `cannot start unshare: ${e.message}`;
  });
  void exited.then(() => {
    gone ??= `sandbox holder exited (code ${child.exitCode}): ${err.trim()}`;
  });
  const kill = (pid: number | null) => {
    // Only the process we started (unshare) and the holder it forked; never by name.
    if (pid)
      try {
        process.kill(pid, 'SIGKILL');
      } catch {}
    child.kill('SIGKILL');
  };

  const deadline = performance.now() + (opts.startTimeoutMs ?? 15_000);
  let pid: number | null = null;
  for (let wait = 1; pid === null; wait = Math.min(wait * 2, 20)) {
    if (gone) throw new Error(gone);
    if (performance.now() > deadline) {
      kill(null);
      throw new Error(`sandbox holder did not start in time: ${err.trim()}`);
    }
    if (child.pid) pid = await holderOf(child.pid);
    if (pid === null) await sleep(wait);
  }
  const enter = (ns: string[]) => [
    'nsenter',
    '-t',
    String(pid),
    ...ns,
    ...(userns ? ['-U', '--preserve-credentials'] : []),
  ];
  try {
    // The mount namespace is a copy of ours over the same filesystems: the mount point is made here.
    mkdirSync('/run/netns', { recursive: true });
    const spawner = opts.spawner ?? spawnArgv;
    const setup = await Promise.all([
      spawner([...enter(['-m']), '--', 'mount', '-t', 'tmpfs', '-o', 'mode=0755', 'netloom-sandbox', '/run/netns'], {
        timeoutMs: 10_000,
      }),
      spawner([...enter(['-n']), '--', 'ip', 'link', 'set', 'dev', 'lo', 'up'], { timeoutMs: 10_000 }),
    ]);
    const bad = setup.find((r) => r.code !== 0);
    if (bad) throw new Error(`sandbox setup failed: ${bad.stderr.trim()}`);
  } catch (e) {
    kill(pid);
    await exited;
    throw e;
  }

  const runner: CommandRunner = prefixedRunner(
    [...enter(['-n', '-m', '-p']), '--'],
    'sandbox',
    opts.spawner,
    opts.tools,
  );
  const holder = pid;
  let closing: Promise<void> | null = null;
  return {
    runner,
    pid: holder,
    close() {
      closing ??= (async () => {
        child.stdin.end();
        const timer = setTimeout(() => kill(holder), 3000);
        await exited;
        clearTimeout(timer);
      })();
      return closing;
    },
  };
}

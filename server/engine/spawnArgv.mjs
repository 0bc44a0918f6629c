// One program run from an argv array (never a shell): stdout/stderr collected, its own process group so a
// timeout kills every descendant (nsenter *and* the ip it runs). Plain JavaScript because two kinds of
// process use it: the server (through runner.ts, bundled) and the spawn relay (spawnRelay.mjs, run by node
// as is, without a TypeScript loader). Types: spawnArgv.d.mts.
import { spawn } from 'node:child_process';

/** Generous default: a big `ip -batch` (hundreds of namespaces) takes a few seconds on a busy machine. */
export const DEFAULT_TIMEOUT_MS = 120_000;
/** Exit code reported when the program could not be started (ENOENT, EACCES, …). */
export const SPAWN_FAILED = 127;
/** Exit code reported when the program was killed after its timeout. */
export const TIMED_OUT = 124;

/** SIGKILL to the process group of `child` (the group we made for it; never anything by name). */
export function killGroup(child) {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/**
 * Runs argv in its own process group; resolves {code, stdout, stderr}. `running`, when given, holds the
 * child while it runs (the relay kills what is left when the server goes).
 */
export function spawnArgv(argv, opts = {}, running) {
  return new Promise((resolve) => {
    const [file, ...args] = argv;
    if (!file) {
      resolve({ code: SPAWN_FAILED, stdout: '', stderr: 'empty argv' });
      return;
    }
    const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const child = spawn(file, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true, // own process group: the timeout kills nsenter *and* the ip it runs
      env: { ...process.env, LC_ALL: 'C' },
    });
    running?.add(child);
    const out = [];
    const err = [];
    let timedOut = false;
    let settled = false;
    const finish = (r) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      running?.delete(child);
      resolve(r);
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child);
    }, timeoutMs);
    child.stdout.on('data', (b) => out.push(b));
    child.stderr.on('data', (b) => err.push(b));
    child.on('error', (e) => finish({ code: SPAWN_FAILED, stdout: '', stderr: `${file}: ${e.message}` }));
    child.on('close', (code, signal) => {
      const stderr = Buffer.concat(err).toString('utf8');
      finish({
        code: timedOut ? TIMED_OUT : (code ?? (signal ? 128 : 1)),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: timedOut ? `${stderr}timed out after ${timeoutMs} ms` : stderr,
      });
    });
    // A child that exits without reading stdin makes write() fail with EPIPE: ignore, the exit code decides.
    child.stdin.on('error', () => {});
    child.stdin.end(opts.stdin ?? '');
  });
}

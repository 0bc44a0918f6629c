/**
 * Command runners: spawn one program with an argv array (never a shell), collect stdout/stderr, and kill the
 * whole process group on timeout. `hostRunner()` runs on this machine; sandbox runners prefix `nsenter …`.
 * Must not interpret output: callers decide on exit codes and re-reads.
 */
import { spawn } from 'node:child_process';
import type { Mode } from '../../shared';
import type { CommandRunner, RunOptions, RunResult, ToolIdentity } from './contract';

/** Generous default: a big `ip -batch` (hundreds of namespaces) takes a few seconds on a busy machine. */
export const DEFAULT_TIMEOUT_MS = 120_000;

/** Exit code reported when the program could not be started (ENOENT, EACCES, …). */
export const SPAWN_FAILED = 127;
/** Exit code reported when the program was killed after its timeout. */
export const TIMED_OUT = 124;

/** Runs argv (after `prefix`) in its own process group so a timeout can kill every descendant. */
export function spawnArgv(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const [file, ...args] = argv;
    if (!file) {
      resolve({ code: SPAWN_FAILED, stdout: '', stderr: 'empty argv' });
      return;
    }
    const child = spawn(file, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true, // own process group: the timeout kills nsenter *and* the ip it runs
      env: { ...process.env, LC_ALL: 'C' },
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    let settled = false;
    const finish = (r: RunResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }, opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => finish({ code: SPAWN_FAILED, stdout: '', stderr: `${file}: ${e.message}` }));
    child.on('close', (code, signal) => {
      const stderr = Buffer.concat(err).toString('utf8');
      finish({
        code: timedOut ? TIMED_OUT : (code ?? (signal ? 128 : 1)),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: timedOut ? `${stderr}timed out after ${opts.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms` : stderr,
      });
    });
    // A child that exits without reading stdin makes write() fail with EPIPE: ignore, the exit code decides.
    child.stdin.on('error', () => {});
    child.stdin.end(opts.stdin ?? '');
  });
}

/** How a runner starts a command: here (`spawnArgv`) or through a spawn relay (relay.ts). */
export type Spawner = (argv: readonly string[], opts?: RunOptions) => Promise<RunResult>;

/** A runner whose every command is `prefix ++ argv`. */
export function prefixedRunner(
  prefix: readonly string[],
  mode: Mode,
  spawner: Spawner = spawnArgv,
  tools?: ToolIdentity,
): CommandRunner {
  const frozen = Object.freeze([...prefix]);
  return {
    prefix: frozen,
    mode,
    run: (argv, opts) => spawner([...frozen, ...argv], opts),
    ...(tools && { tools }),
  };
}

/** Runs commands on this machine (host mode: real namespaces, visible to `ip netns` in the user's shell). */
export function hostRunner(): CommandRunner {
  return prefixedRunner([], 'host');
}

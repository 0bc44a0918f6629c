/**
 * The spawn relay (spawnRelay.mjs): one small child process that starts short-lived commands for the server,
 * with runner.ts's spawnArgv semantics (argv only, own process group, SIGKILL of the group on timeout).
 * Classroom mode routes every world's commands through one relay: a spawn blocks the spawning thread until
 * the child exec'd and costs in proportion to the parent's memory, so 30 worlds' pings and reads spawned
 * by the server itself kept its event loop busy while a class started. Started on first use; if it ends,
 * the commands in flight fail with SPAWN_FAILED and the next command starts a new one.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '../paths';
import type { RunOptions, RunResult } from './contract';
import { ndjsonReader } from './ndjson';
import { DEFAULT_TIMEOUT_MS, SPAWN_FAILED } from './runner';

/** A plain ES module run by node as its own process (never bundled): found in the sources' place. */
export const RELAY_PATH = join(REPO_ROOT, 'server', 'engine', 'spawnRelay.mjs');

/** Extra wait past a command's own timeout before the server gives up on the relay's answer. */
const GRACE_MS = 10_000;

interface Pending {
  resolve: (r: RunResult) => void;
  timer: NodeJS.Timeout;
}

export class SpawnRelay {
  private child: ChildProcessWithoutNullStreams | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;
  /** Relays started so far (a test seam: a crashed relay is replaced). */
  starts = 0;

  get pid(): number | undefined {
    return this.child?.pid;
  }

  run(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    if (this.closed) return Promise.resolve({ code: SPAWN_FAILED, stdout: '', stderr: 'spawn relay closed' });
    if (argv.length === 0) return Promise.resolve({ code: SPAWN_FAILED, stdout: '', stderr: 'empty argv' });
    const child = this.child ?? this.start();
    const id = this.nextId++;
    const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve({
          code: SPAWN_FAILED,
          stdout: '',
          stderr: `spawn relay did not answer within ${timeoutMs + GRACE_MS} ms`,
        });
      }, timeoutMs + GRACE_MS);
      timer.unref();
      this.pending.set(id, { resolve, timer });
      child.stdin.write(`${JSON.stringify({ id, argv, stdin: opts.stdin ?? '', timeoutMs })}\n`);
    });
  }

  /** Ends the relay (it kills what still runs); pending commands fail. */
  close(): void {
    this.closed = true;
    this.child?.stdin.end();
    this.fail('spawn relay closed');
  }

  private start(): ChildProcessWithoutNullStreams {
    const child = spawn(process.execPath, [RELAY_PATH], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    this.starts++;
    // Never keep the server alive for it; EOF on its stdin ends it when the server exits.
    child.unref();
    for (const s of [child.stdin, child.stdout, child.stderr]) (s as unknown as { unref?: () => void }).unref?.();
    child.stdin.on('error', () => {});
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => {
      stderr = (stderr + b.toString('utf8')).slice(-2000);
    });
    const gone = (why: string) => {
      if (this.child !== child) return;
      this.child = null;
      this.fail(why);
    };
    child.on('error', (e) => gone(`cannot start the spawn relay: ${e.message}`));
    child.on('exit', (code, sig) => gone(`spawn relay exited (${code ?? sig}) ${stderr.trim()}`.trim()));
    child.stdout.on(
      'data',
      ndjsonReader<Partial<RunResult> & { id?: number }>((msg) => {
        const p = msg.id !== undefined ? this.pending.get(msg.id) : undefined;
        if (!p) return;
        this.pending.delete(msg.id!);
        clearTimeout(p.timer);
        p.resolve({ code: msg.code ?? SPAWN_FAILED, stdout: msg.stdout ?? '', stderr: msg.stderr ?? '' });
      }),
    );
    return child;
  }

  private fail(why: string): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.resolve({ code: SPAWN_FAILED, stdout: '', stderr: why });
      this.pending.delete(id);
    }
  }
}

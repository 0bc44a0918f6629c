/**
 * TEST SUPPORT: fault injection. `FaultyRunner` wraps a runner and fails the k-th *changing* command
 * (each line of a non-JSON `ip -batch` counts as one command, as does any other non-reading program): the
 * lines before it really run, like a real batch that stops at its first failing line. Reads (`-j`) pass.
 */
import { readFileSync } from 'node:fs';
import type { CommandRunner, RunOptions, RunResult } from '../contract';

/** Batch lines that only read (`… show`, `netns identify`, `netns list-id`): never counted or failed. */
const isReadLine = (l: string) => /^(netns identify|netns list-id|\S+ show\b)/.test(l.trim());
const isRead = (argv: readonly string[]) => argv.includes('-V') || (argv.includes('-j') && !argv.includes('-batch'));

export class FaultyRunner implements CommandRunner {
  /** Changing commands seen so far (1-based count). */
  count = 0;
  /** Fail the command with this 1-based number (0 = never). */
  failAt = 0;
  /** After the first injected failure, fail every later changing command too (a broken host). */
  failAllAfter = false;
  /** Hang (until the timeout kills it) instead of failing. */
  hang = false;
  /** Every changing command, as argv (batch lines expanded with their `ip [-n NS]` prefix). */
  readonly log: string[][] = [];
  private tripped = false;

  constructor(private readonly inner: CommandRunner) {}

  get prefix(): readonly string[] {
    return this.inner.prefix;
  }
  get mode() {
    return this.inner.mode;
  }

  async run(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    if (argv[0] === 'xargs') return this.runFanout(argv, opts);
    if (isRead(argv)) return this.inner.run(argv, opts);
    const isBatch = argv.includes('-batch');
    const lines = isBatch ? (opts.stdin ?? '').split('\n').filter((l) => l.trim() !== '') : [null];
    const counted = (l: string | null) => l === null || !isReadLine(l);
    if (isBatch && !lines.some((l) => counted(l))) return this.inner.run(argv, opts);
    const head = isBatch ? argv.slice(0, argv.indexOf('-batch')) : [];
    for (let i = 0; i < lines.length; i++) {
      if (!counted(lines[i]!)) continue;
      this.count++;
      this.log.push(isBatch ? [...head, ...lines[i]!.split(' ')] : [...argv]);
      const fail = (this.failAt > 0 && this.count === this.failAt) || (this.failAllAfter && this.tripped);
      if (fail) {
        this.tripped = true;
        if (i > 0) {
          const ok = await this.inner.run(argv, { ...opts, stdin: `${lines.slice(0, i).join('\n')}\n` });
          if (ok.code !== 0) return ok;
        }
        if (this.hang) return this.inner.run(['sleep', '3600'], { timeoutMs: opts.timeoutMs ?? 500 });
        return {
          code: 1,
          stdout: '',
          stderr: `injected failure at command ${this.count}\nCommand failed -:${i + 1}\n`,
        };
      }
    }
    return this.inner.run(argv, opts);
  }

  /**
   * The driver's fan-out (`xargs -0 -n K -P 1 ip … -batch FILE`): expanded here into one `ip … -batch -` per
   * file, so every line is counted and can fail like any other. Reads pass through untouched.
   */
  private async runFanout(argv: readonly string[], opts: RunOptions): Promise<RunResult> {
    const args = (opts.stdin ?? '').split('\0').filter((a) => a !== '');
    const per = Number(argv[argv.indexOf('-n') + 1]);
    const files = args.filter((_, i) => args[i - 1] === '-batch');
    const readOnly = files.every((f) =>
      readFileSync(f, 'utf8')
        .split('\n')
        .every((l) => l.trim() === '' || isReadLine(l)),
    );
    if (readOnly) return this.inner.run(argv, opts);
    let stdout = '';
    let stderr = '';
    let code = 0;
    for (let i = 0; i < args.length; i += per) {
      const call = args.slice(i, i + per);
      const at = call.indexOf('-batch');
      const file = call[at + 1]!;
      const text = readFileSync(file, 'utf8');
      const r = await this.run(['ip', ...call.slice(0, at), '-batch', '-'], { ...opts, stdin: text });
      stdout += r.stdout;
      if (r.code !== 0) {
        code = 123;
        stderr += r.stderr.replace(/-:(\d+)/, (_m, n) => `${file}:${n}`);
      }
    }
    return { code, stdout, stderr };
  }

  reset(): void {
    this.count = 0;
    this.failAt = 0;
    this.failAllAfter = false;
    this.tripped = false;
    this.hang = false;
    this.log.length = 0;
  }
}

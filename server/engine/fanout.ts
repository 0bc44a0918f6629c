/**
 * Fan-out: run `ip -n NS <flags> -batch FILE` for many namespaces with few spawns. Spawning from Node costs
 * ~3 ms per process on a small machine (more than the `ip` work itself), so the batches are written to
 * files and handed to a few `xargs -0 -P 1 ip …` processes (no shell: xargs execs `ip` with an argv), each
 * shard with its own stdout pipe so outputs never interleave. Each batch starts with `netns identify`, so
 * its output is attributable to its namespace. Decisions use exit codes; stderr is for display only.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CommandRunner } from './contract';

export interface FanoutResult {
  /** Output per namespace (text after its `netns identify` line), for namespaces whose batch printed. */
  outputs: Map<string, string>;
  /** Shards that exited non-zero (some batch failed), with stderr. */
  failures: { code: number; stderr: string; namespaces: string[] }[];
  processes: number;
}

export const FANOUT_SHARDS = 4;

export async function fanout(
  runner: CommandRunner,
  batches: ReadonlyMap<string, string>,
  flags: readonly string[],
  opts: { shards?: number; timeoutMs?: number } = {},
): Promise<FanoutResult> {
  const names = [...batches.keys()];
  const outputs = new Map<string, string>();
  const failures: FanoutResult['failures'] = [];
  if (!names.length) return { outputs, failures, processes: 0 };
  const dir = await mkdtemp(join(tmpdir(), 'netloom-batch-'));
  try {
    const files = new Map<string, string>();
    await Promise.all(
      names.map(async (n, i) => {
        const f = join(dir, `${i}.batch`);
        files.set(n, f);
        await writeFile(f, `netns identify\n${batches.get(n)}`);
      }),
    );
    const shards = Math.max(1, Math.min(opts.shards ?? FANOUT_SHARDS, names.length));
    const groups: string[][] = Array.from({ length: shards }, () => []);
    names.forEach((n, i) => {
      groups[i % shards]!.push(n);
    });
    const perCall = 2 + flags.length + 2;
    await Promise.all(
      groups.map(async (group) => {
        const input = group.flatMap((n) => ['-n', n, ...flags, '-batch', files.get(n)!]).join('\0');
        const r = await runner.run(['xargs', '-0', '-n', String(perCall), '-P', '1', 'ip'], {
          stdin: `${input}\0`,
          timeoutMs: opts.timeoutMs ?? 120_000,
        });
        for (const [n, text] of splitByIdentify(r.stdout, new Set(group))) outputs.set(n, text);
        if (r.code !== 0) failures.push({ code: r.code, stderr: r.stderr, namespaces: group });
      }),
    );
    return { outputs, failures, processes: shards };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Splits concatenated outputs at the lines naming a namespace of `names` (printed by `netns identify`). */
export function splitByIdentify(stdout: string, names: ReadonlySet<string>): Map<string, string> {
  const out = new Map<string, string>();
  let current: string | null = null;
  let buf: string[] = [];
  for (const line of stdout.split('\n')) {
    // JSON output is one line per document; a bare line equal to a namespace name starts the next one.
    if (names.has(line) && !line.startsWith('[') && !line.startsWith('{')) {
      if (current !== null) out.set(current, buf.join('\n'));
      current = line;
      buf = [];
    } else buf.push(line);
  }
  if (current !== null) out.set(current, buf.join('\n'));
  return out;
}

/**
 * Drivers execute operations on the host. `IpBatchDriver` groups the commands of a dependency-ordered list of
 * operations into waves and runs ONE `ip -n NS -batch -` process per namespace per wave (namespaces of a
 * wave in parallel, bounded). It reports which operations completed after every wave so the engine can
 * journal them before the next wave starts. It never decides what to change: that is the planner's job.
 */

import { mapLimit } from '../util/mapLimit';
import type { CommandRunner } from './contract';
import { fanout } from './fanout';
import { type NetnsRead, OBSERVE_BATCH, OBSERVE_FLAGS, parseNetns, splitJson } from './observe';
import { batchSafe, type Cmd, cmdArgv, ipCommands } from './render';
import { type PlacedStep, schedule } from './schedule';
import { nsKey, stepNamespaces } from './steps';
import type { AnyOpBody, NetnsRef } from './types';

export interface ExecHooks {
  /** Called after each wave with the indices of operations that are now complete; awaited before the next. */
  onWaveDone?(completed: number[], wave: number, waves: number): Promise<void> | void;
  /**
   * The veth peers (outside `netns`) of the interfaces inside a namespace about to be deleted, if the caller
   * knows them from its observation; otherwise the driver reads them itself before deleting.
   */
  peersOf?(netns: string): { netns: NetnsRef; ifindex: number }[] | undefined;
  /**
   * The ifindex of an interface as the caller's observation (taken just before planning) saw it. A driver
   * may use it instead of asking the kernel, but only for operations that create, delete or rename nothing.
   */
  ifindexOf?(netns: NetnsRef, ifname: string): number | undefined;
  /** Called before each wave with the indices of operations it (partly) runs. */
  onWaveStart?(ops: number[], wave: number, waves: number, firstCommand: string[]): Promise<void> | void;
}

export interface ExecFailure {
  /** Index of the operation whose command failed (best effort, from the batch line number). */
  op: number;
  argv: string[];
  stderr: string;
  code: number;
  /** Operations that may have partly run (the failed wave's). */
  attempted: number[];
}

export type ExecResult =
  | {
      ok: true;
      processes: number;
      /**
       * Namespaces read back (decoded) by their own final batch after their last change (nothing else
       * touched them later or at the same time): the ip observer's re-observation skips reading these again.
       */
      observed?: Map<string, NetnsRead>;
    }
  | { ok: false; processes: number; failure: ExecFailure };

export interface Driver {
  readonly name: string;
  /** Runs every operation kind (steps.ts schedules them; the driver encodes and sends). */
  execute(ops: readonly AnyOpBody[], hooks?: ExecHooks): Promise<ExecResult>;
  /** Releases what the driver holds (agent process, sockets). */
  close?(): Promise<void>;
}

/** A scheduled step with its iproute2 commands. */
interface Placed extends PlacedStep {
  cmds: Cmd[];
}

/** Every step of `ops` in its wave (the one scheduler), with the commands the iproute2 encoder gives it. */
function placeCommands(ops: readonly AnyOpBody[]): { placed: Placed[]; waves: number } {
  const { placed, waves } = schedule(ops);
  const cmds = ops.map(ipCommands);
  return { placed: placed.map((p) => ({ ...p, cmds: cmds[p.op]![p.k] ?? [] })), waves };
}

/**
 * For each named namespace: the wave of its own last batch, when that batch is the last thing touching the
 * namespace and nothing else touches it in the same wave (so reading it there gives its final state).
 */
function finalOwnWave(placed: readonly Placed[]): Map<string, number> {
  const touches = placed.map((p) => stepNamespaces(p.step));
  const last = new Map<string, number>();
  placed.forEach((p, j) => {
    for (const n of touches[j]!) last.set(n, Math.max(last.get(n) ?? -1, p.wave));
  });
  const out = new Map<string, number>();
  for (const [n, w] of last) {
    const inWave = placed.filter((p, j) => p.wave === w && touches[j]!.has(n));
    const onlyOwn = inWave.every((p) => p.step.netns === n);
    const plain = inWave.every((p) => p.cmds.every((c) => c.type === 'ip' && batchSafe(c.args)));
    if (onlyOwn && plain && !inWave.some((p) => p.step.barrier)) out.set(n, w);
  }
  return out;
}

/** One process of a wave: a batch of `ip` lines, or one standalone command. */
interface Job {
  netns: NetnsRef;
  argv: string[];
  stdin?: string;
  /** Per line (or the single command): which op it belongs to and its standalone argv. */
  lines: { op: number; argv: string[] }[];
}

function jobsOf(items: Placed[]): Job[][] {
  // Group by exec namespace (order of first appearance); within a group, consecutive batchable lines
  // share one process, other commands run alone, in order.
  const groups = new Map<string, { netns: NetnsRef; cmds: { op: number; cmd: Cmd }[] }>();
  for (const p of items) {
    const k = nsKey(p.step.netns);
    const g = groups.get(k) ?? { netns: p.step.netns, cmds: [] };
    for (const cmd of p.cmds) g.cmds.push({ op: p.op, cmd });
    groups.set(k, g);
  }
  return [...groups.values()].map((g) => {
    const jobs: Job[] = [];
    let batch: { op: number; cmd: Cmd & { type: 'ip' } }[] = [];
    const flush = () => {
      if (!batch.length) return;
      const netns = g.netns;
      jobs.push({
        netns,
        argv: ['ip', ...(netns === null ? [] : ['-n', netns]), '-batch', '-'],
        stdin: `${batch.map((b) => b.cmd.args.join(' ')).join('\n')}\n`,
        lines: batch.map((b) => ({ op: b.op, argv: cmdArgv(b.cmd) })),
      });
      batch = [];
    };
    for (const c of g.cmds) {
      if (c.cmd.type === 'ip' && batchSafe(c.cmd.args)) batch.push({ op: c.op, cmd: c.cmd });
      else {
        flush();
        const argv = cmdArgv(c.cmd);
        const stdin = c.cmd.type === 'exec' ? c.cmd.stdin : undefined;
        jobs.push({ netns: g.netns, argv, ...(stdin !== undefined && { stdin }), lines: [{ op: c.op, argv }] });
      }
    }
    flush();
    return jobs;
  });
}

export interface IpBatchDriverOptions {
  /** Namespaces (batches) of one wave run in parallel up to this many. */
  concurrency?: number;
  /** How long to wait for a deleted namespace (and its veths' peers) to vanish. */
  netnsGoneTimeoutMs?: number;
  /** A command (or fan-out) running longer is killed with its process group and counts as failed. */
  commandTimeoutMs?: number;
}

export class IpBatchDriver implements Driver {
  readonly name = 'ip-batch';
  private readonly concurrency: number;
  private readonly goneTimeout: number;
  private readonly timeoutMs: number;

  constructor(
    private readonly runner: CommandRunner,
    opts: IpBatchDriverOptions = {},
  ) {
    this.concurrency = opts.concurrency ?? 8;
    this.goneTimeout = opts.netnsGoneTimeoutMs ?? 5000;
    this.timeoutMs = opts.commandTimeoutMs ?? 120_000;
  }

  async execute(ops: readonly AnyOpBody[], hooks: ExecHooks = {}): Promise<ExecResult> {
    const { placed, waves } = placeCommands(ops);
    const remaining = new Map<number, number>();
    for (const p of placed) remaining.set(p.op, (remaining.get(p.op) ?? 0) + 1);
    let processes = 0;
    const finalWave = finalOwnWave(placed);
    const observed = new Map<string, NetnsRead>();
    for (let w = 0; w < waves; w++) {
      const items = placed.filter((p) => p.wave === w);
      if (!items.length) continue;
      const opsInWave = [...new Set(items.map((p) => p.op))];
      const groups = jobsOf(items);
      await hooks.onWaveStart?.(opsInWave, w, waves, groups[0]?.[0]?.lines[0]?.argv ?? []);
      // Namespaces being deleted in this wave: remember their veths' peers to wait for them afterwards.
      const deleting = items.flatMap((p) => p.cmds.filter(isNetnsDel).map((c) => c.args[2]!));
      const known = deleting.map((n) => hooks.peersOf?.(n));
      const peers = [
        ...known.flatMap((k) => k ?? []),
        ...(await this.vethPeers(deleting.filter((_, i) => known[i] === undefined))),
      ];
      const failures: ExecFailure[] = [];
      // Named namespaces whose work is plain `ip` lines go through the fan-out (few spawns); the root
      // namespace and anything with standalone commands are spawned directly.
      const fanned = groups.filter(
        (jobs) =>
          jobs.length === 1 && jobs[0]!.netns !== null && jobs[0]!.stdin !== undefined && jobs[0]!.argv[0] === 'ip',
      );
      const direct = groups.filter((g) => !fanned.includes(g));
      const viaFanout = async () => {
        if (!fanned.length) return;
        // A namespace's last batch also reads it back (same process: no extra spawn for verify).
        const reading = new Set(fanned.map((j) => j[0]!.netns as string).filter((n) => finalWave.get(n) === w));
        const batches = new Map(
          fanned.map((jobs) => {
            const n = jobs[0]!.netns as string;
            return [n, `${jobs[0]!.stdin!}${reading.has(n) ? OBSERVE_BATCH : ''}`];
          }),
        );
        const r = await fanout(this.runner, batches, OBSERVE_FLAGS, { timeoutMs: this.timeoutMs });
        if (!r.failures.length)
          for (const n of reading) {
            const text = r.outputs.get(n);
            if (text === undefined) continue;
            try {
              observed.set(n, parseNetns(n, text));
            } catch {
              // garbled: the observer reads it again
            }
          }
        processes += r.processes;
        for (const f of r.failures) {
          // Display only: "…/<index>.batch:<line>" names the batch file and line (line 1 is `netns identify`).
          const m = /(\d+)\.batch:(\d+)/.exec(f.stderr);
          const job = (m && fanned[Number(m[1])]?.[0]) || fanned.find((j) => f.namespaces.includes(j[0]!.netns!))![0]!;
          const line = job.lines[m ? Math.max(0, Math.min(Number(m[2]) - 2, job.lines.length - 1)) : 0]!;
          failures.push({ op: line.op, argv: line.argv, stderr: f.stderr.trim(), code: f.code, attempted: opsInWave });
        }
      };
      await Promise.all([
        viaFanout(),
        mapLimit(direct, this.concurrency, async (jobs) => {
          for (const job of jobs) {
            processes++;
            const r = await this.runner.run(job.argv, {
              timeoutMs: this.timeoutMs,
              ...(job.stdin !== undefined && { stdin: job.stdin }),
            });
            if (r.code !== 0) {
              // Display only: iproute2 names the failing batch line ("Command failed -:N"). Decisions are made
              // on the exit code and on re-reading the host, never on this text.
              const m = /-:(\d+)\s*$/.exec(r.stderr.trim());
              const line = job.lines[m ? Math.min(Number(m[1]) - 1, job.lines.length - 1) : 0] ?? job.lines[0]!;
              failures.push({
                op: line.op,
                argv: line.argv,
                stderr: r.stderr.trim(),
                code: r.code,
                attempted: opsInWave,
              });
              return;
            }
          }
        }),
      ]);
      if (failures.length) {
        failures.sort((a, b) => a.op - b.op);
        return { ok: false, processes, failure: failures[0]! };
      }
      if (deleting.length) await this.waitGone(deleting, peers);
      const done: number[] = [];
      for (const p of items) {
        const left = remaining.get(p.op)! - 1;
        remaining.set(p.op, left);
        if (left === 0) done.push(p.op);
      }
      await hooks.onWaveDone?.(
        done.sort((a, b) => a - b),
        w,
        waves,
      );
    }
    return { ok: true, processes, observed };
  }

  /** Veth peers (outside the namespaces) of the interfaces inside them: they linger after `netns del`. */
  private async vethPeers(names: string[]): Promise<{ netns: NetnsRef; ifindex: number }[]> {
    if (!names.length) return [];
    const r = await fanout(this.runner, new Map(names.map((n) => [n, 'link show\nnetns list-id\n'])), ['-j', '-d']);
    return [...r.outputs.values()].flatMap((text) => {
      const [links = [], ids = []] = splitJson(text) as Record<string, unknown>[][];
      const byId = new Map(ids.map((e) => [e.nsid as number, e.name as string | undefined]));
      return (
        links
          // Veths only: the `link_index` of a link on a lower device is its parent, which stays.
          .filter(
            (l) =>
              typeof l.link_netnsid === 'number' &&
              typeof l.link_index === 'number' &&
              (l.linkinfo as { info_kind?: string } | undefined)?.info_kind === 'veth',
          )
          .map((l) => ({ netns: byId.get(l.link_netnsid as number) ?? null, ifindex: l.link_index as number }))
      );
    });
  }

  /** `ip netns del` returns before the kernel is done: poll until the names and the peers are gone. */
  private async waitGone(names: string[], peers: { netns: NetnsRef; ifindex: number }[]): Promise<void> {
    const deadline = Date.now() + this.goneTimeout;
    const wanted = new Set(names);
    while (Date.now() < deadline) {
      const r = await this.runner.run(['ip', '-j', 'netns', 'list']);
      const listed = ((splitJson(r.stdout)[0] ?? []) as { name?: string }[]).map((e) => e.name);
      const nsGone = r.code === 0 && !listed.some((n) => n !== undefined && wanted.has(n));
      let peersGone = true;
      if (nsGone && peers.length) {
        const byNs = new Map<string, Set<number>>();
        for (const p of peers) {
          if (p.netns !== null && wanted.has(p.netns)) continue;
          const k = nsKey(p.netns);
          byNs.set(k, (byNs.get(k) ?? new Set()).add(p.ifindex));
        }
        for (const [k, idx] of byNs) {
          const lr = await this.runner.run(['ip', ...(k === '' ? [] : ['-n', k.slice(1)]), '-j', 'link', 'show']);
          if (lr.code !== 0) continue; // that namespace is gone too
          const present = ((splitJson(lr.stdout)[0] ?? []) as { ifindex?: number }[]).some(
            (l) => l.ifindex !== undefined && idx.has(l.ifindex),
          );
          if (present) peersGone = false;
        }
      }
      if (nsGone && peersGone) return;
      await new Promise((res) => setTimeout(res, 20));
    }
  }
}

const isNetnsDel = (c: Cmd): c is Cmd & { type: 'ip' } =>
  c.type === 'ip' && c.netns === null && c.args[0] === 'netns' && c.args[1] === 'del';

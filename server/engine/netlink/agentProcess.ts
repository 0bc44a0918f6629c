/**
 * The netlink agent process (agent.mjs + the native addon), started INSIDE the runner's world and spoken to
 * over newline-delimited JSON. Shared by the NetlinkDriver (changes) and observeNetlink() (reads).
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '../../paths';
import { ndjsonReader } from '../ndjson';
import type { NetnsRef } from '../types';

/** A plain ES module run by node as its own process (never bundled): found in the sources' place. */
export const AGENT_PATH = join(REPO_ROOT, 'server', 'engine', 'netlink', 'agent.mjs');

export type Action =
  | { t: 'create'; ns: string }
  | { t: 'delete'; ns: string }
  | {
      t: 'nl';
      ns: NetnsRef;
      b64: string;
      fds?: { offset: number; netns: NetnsRef; fdOnly?: boolean }[];
      soft?: boolean;
    }
  | { t: 'write'; ns: NetnsRef; file: string; data: string }
  | { t: 'nsids'; asks: string[]; targets: string[]; pairs: number[]; threads?: number }
  /** Read-only dumps in our own netns over a fresh strict-checking socket (nsid tables, counters). */
  | { t: 'dumps'; b64: string; keep?: number[] }
  /** Start listening to notifications (rtnetlink of every netns with an nsid here; nftables here). */
  | { t: 'watch' }
  /** Stop listening (close the notification sockets). */
  | { t: 'unwatch' }
  /** Drain the notifications; list /run/netns with inode numbers. */
  | { t: 'events' }
  | {
      t: 'observe';
      b64: string;
      fds?: { offset: number; netns: NetnsRef }[];
      keep?: number[];
      threads?: number;
      /** Only these names under /run/netns (default: all). */
      only?: string[];
      /** false: do not read our own netns (its reply is null). */
      root?: boolean;
    };

/** What a wave of the driver sends (never an observation). */
export type WaveAction = Exclude<
  Action,
  { t: 'observe' } | { t: 'nsids' } | { t: 'dumps' } | { t: 'watch' } | { t: 'unwatch' } | { t: 'events' }
>;

export interface ActionResult {
  ok: boolean;
  errno?: number;
  b64?: string;
  /** `observe`: the namespaces under /run/netns, and per read (ours first, then each of them) its replies. */
  names?: string[];
  b64s?: (string | null)[];
  /** `observe`: time in the kernel/threads and in encoding the reply, ms. */
  ms?: [number, number];
  /** `nsids`: one id per pair (-1: none assigned; below: -errno). */
  ids?: number[];
  /** `events`: notifications were lost (anything may have changed). */
  overflow?: boolean;
  /** `events`: our own netns removed an nsid (a namespace it had one for is gone). */
  nsidsChanged?: boolean;
  /** `events`: the nsids (as our own netns names them) notifications came from; -1: our own netns. */
  nsids?: number[];
  /** `events`: nftables changed in our own netns. */
  nft?: boolean;
  /** `events`: namespace inode number per name of `names`. */
  inodes?: number[];
}

export class Agent {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (r: ActionResult[]) => void; reject: (e: Error) => void }>();
  dead: Error | null = null;

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {}

  get pid(): number | undefined {
    return this.child.pid;
  }

  static start(prefix: readonly string[], timeoutMs = 15_000): Promise<Agent> {
    const argv = [...prefix, process.execPath, AGENT_PATH];
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    const agent = new Agent(child);
    child.stdin.on('error', () => {});
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => {
      stderr = (stderr + b.toString('utf8')).slice(-2000);
    });
    return new Promise((resolve, reject) => {
      let started = false;
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error('netlink agent did not start in time'));
      }, timeoutMs);
      const fail = (why: string) => {
        agent.dead = new Error(why);
        for (const w of agent.waiting.values()) w.reject(agent.dead);
        agent.waiting.clear();
        if (!started) {
          clearTimeout(timer);
          reject(agent.dead);
        }
      };
      child.on('error', (e) => fail(`cannot start the netlink agent: ${e.message}`));
      child.on('exit', (code, sig) => fail(`netlink agent exited (${code ?? sig}): ${stderr.trim()}`));
      child.stdout.on(
        'data',
        ndjsonReader<{ ready?: boolean; error?: string; id?: number; results?: ActionResult[] }>((msg) => {
          if (!started && msg.ready !== undefined) {
            clearTimeout(timer);
            if (!msg.ready) {
              child.kill('SIGKILL');
              reject(new Error(msg.error ?? 'netlink agent failed'));
              return;
            }
            started = true;
            agent.idle();
            resolve(agent);
            return;
          }
          const w = msg.id !== undefined ? agent.waiting.get(msg.id) : undefined;
          if (w) {
            agent.waiting.delete(msg.id!);
            if (!agent.waiting.size) agent.idle();
            w.resolve(msg.results ?? []);
          }
        }),
      );
    });
  }

  /** Never keep the parent process alive just for an idle agent. */
  private idle() {
    this.child.unref();
    (this.child.stdout as unknown as { unref(): void }).unref();
    (this.child.stderr as unknown as { unref(): void }).unref();
  }
  private busy() {
    this.child.ref();
    (this.child.stdout as unknown as { ref(): void }).ref();
    (this.child.stderr as unknown as { ref(): void }).ref();
  }

  /** `close`: after the actions, drop every namespace fd (as closeAll does), in the same round trip. */
  request(body: { actions: Action[]; close?: boolean } | { cmd: 'closeAll' }): Promise<ActionResult[]> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    this.busy();
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.child.stdin.write(`${JSON.stringify({ id, ...body })}\n`);
    });
  }

  async close(): Promise<void> {
    if (this.dead) return;
    const exited = new Promise<void>((r) => this.child.once('exit', () => r()));
    this.child.stdin.end();
    const t = setTimeout(() => this.child.kill('SIGKILL'), 2000);
    await exited;
    clearTimeout(t);
  }
}

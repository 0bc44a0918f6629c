/**
 * Packet capture over WebSocket: tcpdump on one end of a veth (inside that end's namespace), its pcap stream
 * split into the global header and whole records, one binary frame each. Bounded: records are dropped (and
 * counted) while the client is more than 4 MiB behind. The server keeps nothing. tcpdump's process group is
 * killed when the socket closes. Filters: allowlisted characters, length limit, then a `tcpdump -d` compile.
 * Both run confined (`confine.ts`: own PID + mount namespace, only CAP_NET_ADMIN/CAP_NET_RAW, `nobody`).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import type { WebSocket } from 'ws';
import { type CaptureServerMessage, endpointKey, IfName, type Lab, MAX_CAPTURES, ToolCloseCode } from '../../shared';
import type { CommandRunner } from '../engine/contract';
import { AppError } from '../errors';
import type { Logger } from '../log';
import { confinedInNetns, type Who } from './confine';
import { PcapSplitter } from './pcapStream';
import { killGroup } from './procs';

/** Above this much unsent data, new records are dropped (and counted) instead of queued. */
export const CAPTURE_HIGH_WATER = 4 * 1024 * 1024;
const SNAPLEN = '262144';
const STATS_EVERY_MS = 1000;

export interface CaptureTarget {
  link: string;
  end: 0 | 1;
  ifname: string;
  /** Namespace of that end, or null for the host's root namespace (host node or root bridge). */
  netns: string | null;
  filter: string;
}

/** Where a link end lives: its interface name and namespace (a bridge port lives in the bridge's namespace). */
export function linkEnd(lab: Lab, linkId: string, end: 0 | 1): { ifname: string; netns: string | null } {
  const link = lab.links.find((l) => l.id === linkId);
  if (!link) throw new AppError('NotFound', `lab "${lab.name}" has no link "${linkId}"`);
  const ep = link.endpoints[end];
  const node = lab.nodes.find((n) => n.id === ep.node);
  if (!node) throw new AppError('NotFound', `endpoint ${endpointKey(linkId, end)} names no node`);
  if (!IfName.safeParse(ep.ifname).success) throw new AppError('InvalidRequest', 'invalid interface name');
  const nsOf = (id: string | undefined): string | null => {
    if (id === undefined) return null;
    const n = lab.nodes.find((x) => x.id === id);
    if (n?.kind !== 'namespace') throw new AppError('NotFound', `node "${id}" is not a namespace`);
    return n.name;
  };
  const netns = node.kind === 'namespace' ? node.name : node.kind === 'host' ? null : nsOf(node.namespace);
  return { ifname: ep.ifname, netns };
}

/**
 * tcpdump drops privileges to its own user after opening the interface; inside a user-namespace sandbox (we
 * are not root) that user is not mapped, so it stays "root" — which there is only our own uid.
 */
const privilegeArgs = (): string[] => (process.getuid?.() === 0 ? [] : ['-Z', 'root']);

/** The capture command inside the end's namespace (runner prefix goes in front). The filter follows `--`. */
export function captureArgv(t: Pick<CaptureTarget, 'ifname' | 'netns' | 'filter'>, who?: Who): string[] {
  const filter = t.filter.trim();
  return confinedInNetns(
    t.netns,
    [
      'tcpdump',
      '-i',
      t.ifname,
      '-U',
      '--immediate-mode',
      '-w',
      '-',
      '-s',
      SNAPLEN,
      ...privilegeArgs(),
      ...(filter ? ['--', filter] : []),
    ],
    who,
  );
}

/** The dry compile: `tcpdump -d` prints the BPF program, or fails on a bad filter. */
export function compileArgv(t: Pick<CaptureTarget, 'ifname' | 'netns' | 'filter'>, who?: Who): string[] {
  return confinedInNetns(t.netns, ['tcpdump', '-d', '-i', t.ifname, ...privilegeArgs(), '--', t.filter.trim()], who);
}

/** Checks a filter by compiling it inside the namespace; returns tcpdump's complaint, or null when it compiles. */
export async function checkFilter(
  runner: CommandRunner,
  t: Pick<CaptureTarget, 'ifname' | 'netns' | 'filter'>,
): Promise<string | null> {
  if (!t.filter.trim()) return null;
  const r = await runner.run(compileArgv(t, runner.tools), { timeoutMs: 10_000 });
  if (r.code === 0) return null;
  const line = r.stderr.split('\n').find((l) => l.trim()) ?? `tcpdump exited with ${r.code}`;
  return line.replace(/^tcpdump: /, '').slice(0, 300);
}

const send = (ws: WebSocket, m: CaptureServerMessage) => {
  if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(m));
};

export class Captures {
  private readonly live = new Map<number, ChildProcess>();

  constructor(
    private readonly runner: CommandRunner,
    private readonly log: Logger,
    private readonly max = MAX_CAPTURES,
  ) {}

  get count(): number {
    return this.live.size;
  }
  /** PIDs of the running tcpdump process groups (leaders). */
  pids(): number[] {
    return [...this.live.keys()];
  }

  /** Starts tcpdump for `t` and streams to `ws` until either side ends. The filter must be checked already. */
  start(ws: WebSocket, t: CaptureTarget): void {
    if (this.live.size >= this.max) {
      send(ws, { type: 'error', code: 'Conflict', message: `too many captures running (at most ${this.max})` });
      ws.close(ToolCloseCode.TooMany, 'too many captures');
      return;
    }
    const [file, ...args] = [...this.runner.prefix, ...captureArgv(t, this.runner.tools)];
    const child = spawn(file!, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // own process group: closing kills nsenter, ip netns exec and tcpdump alike
      env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' },
    });
    const pid = child.pid;
    let packets = 0;
    let dropped = 0;
    let ended = false;
    let started = false;
    let stderr = '';
    const splitter = new PcapSplitter();

    const markStarted = () => {
      if (started || ended) return;
      started = true;
      send(ws, {
        type: 'started',
        link: t.link,
        end: t.end,
        ifname: t.ifname,
        netns: t.netns,
        filter: t.filter.trim(),
      });
    };
    const stats = setInterval(() => send(ws, { type: 'stats', packets, dropped }), STATS_EVERY_MS);
    // tcpdump says "listening on …" once the interface is open; if that line never comes, say so anyway.
    const startFallback = setTimeout(markStarted, 1500);

    const stop = (reason: string, error?: string) => {
      if (ended) return;
      ended = true;
      clearInterval(stats);
      clearTimeout(startFallback);
      if (pid !== undefined) {
        this.live.delete(pid);
        killGroup(pid, 'SIGKILL');
      }
      if (error) send(ws, { type: 'error', code: 'HostCommandFailed', message: error });
      send(ws, { type: 'stopped', reason, packets, dropped });
      if (ws.readyState === ws.OPEN) ws.close(error ? ToolCloseCode.Failed : 1000, reason.slice(0, 100));
      this.log.info({ pid, link: t.link, end: t.end, packets, dropped, reason }, 'capture stopped');
    };

    if (pid === undefined) {
      child.on('error', (e) => stop('tcpdump did not start', e.message));
      return;
    }
    this.live.set(pid, child);
    this.log.info({ pid, link: t.link, end: t.end, netns: t.netns, ifname: t.ifname }, 'capture started');

    child.stdout!.on('data', (chunk: Buffer) => {
      if (ended) return;
      let pieces: ReturnType<PcapSplitter['push']>;
      try {
        pieces = splitter.push(chunk);
      } catch (e) {
        stop('bad data from tcpdump', e instanceof Error ? e.message : String(e));
        return;
      }
      for (const p of pieces) {
        if (ws.readyState !== ws.OPEN) return;
        if (p.kind === 'header') {
          markStarted();
          ws.send(p.bytes, { binary: true });
        } else if (ws.bufferedAmount > CAPTURE_HIGH_WATER) dropped++;
        else {
          packets++;
          ws.send(p.bytes, { binary: true });
        }
      }
    });
    child.stderr!.on('data', (b: Buffer) => {
      if (stderr.length < 4096) stderr += b.toString('utf8');
      if (stderr.includes('listening on')) markStarted();
    });
    child.on('error', (e) => stop('tcpdump failed', e.message));
    child.on('close', (code) => {
      if (ended) return;
      const line = stderr
        .split('\n')
        .filter((l) => l.trim() && !l.includes('listening on'))
        .pop();
      stop('tcpdump exited', `tcpdump exited with code ${code}${line ? `: ${line}` : ''}`);
    });
    ws.on('close', () => stop('socket closed'));
    ws.on('error', () => stop('socket error'));
  }

  closeAll(): void {
    for (const pid of this.live.keys()) killGroup(pid, 'SIGKILL');
    this.live.clear();
  }
}

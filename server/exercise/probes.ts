/**
 * The probe checks, run for real in the student's world through its runner: reach (ping), path (traceroute,
 * hops mapped to namespaces by the live observation), capture (tcpdump on one interface while a trigger ping
 * runs), service (a TCP connect / UDP exchange by probe.mjs), agree (the engine's status of the design).
 * argv arrays only; every long-lived child is its own process group, killed when its time is up.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import {
  type Check,
  DEFAULT_PORTS,
  HOST_PLACE,
  type Lab,
  type LabStatus,
  type PacketKind,
  type PingSummary,
} from '../../shared';
import { canonicalIp, parseIp } from '../../shared/net';
import type { CommandRunner } from '../engine/contract';
import type { ObservedState } from '../engine/types';
import { REPO_ROOT } from '../paths';
import { inNetns, parsePing } from '../tools/exec';
import { killGroup } from '../tools/procs';
import { ownerOf, placeOf, type Verdict } from './state';

export interface ProbeContext {
  runner: CommandRunner;
  /** The observation the probe was started on (place existence, hop owners). */
  observed: ObservedState;
  /** The student's design and its revisions (agree). */
  lab?: Lab;
  status?: (lab: Lab) => Promise<LabStatus>;
  /**
   * Runs probes that depend on ICMP errors (traceroute's "time exceeded"/"port unreachable", a UDP port's
   * "unreachable") one at a time: the kernel rate-limits ICMP errors per destination (a burst of a few, then
   * one a second), so two at once make each other lose answers.
   */
  oneAtATime?: <T>(fn: () => Promise<T>) => Promise<T>;
}

const alone = <T>(ctx: ProbeContext, fn: () => Promise<T>): Promise<T> => (ctx.oneAtATime ? ctx.oneAtATime(fn) : fn());

const PROBE_SCRIPT = join(REPO_ROOT, 'server', 'exercise', 'probe.mjs');
const netnsOf = (place: string): string | null => (place === HOST_PLACE ? null : place);
const where = (place: string) => (place === HOST_PLACE ? 'the host' : place);
const fam = (ip: string): '-4' | '-6' => (parseIp(ip)?.family === 6 ? '-6' : '-4');
const firstLine = (s: string) =>
  s
    .split('\n')
    .map((l) => l.trim())
    .find(Boolean)
    ?.replace(/^(ping|traceroute|tcpdump): /, '')
    .slice(0, 200) ?? '';

/** `ping` argv for a check (count, wait, payload size with "don't fragment"). */
export function pingArgv(to: string, o: { count: number; timeoutS: number; size?: number }): string[] {
  return [
    'ping',
    fam(to),
    '-n',
    '-c',
    String(o.count),
    '-i',
    '0.2',
    '-W',
    String(o.timeoutS),
    ...(o.size !== undefined ? ['-s', String(o.size), '-M', 'do'] : []),
    '--',
    to,
  ];
}

async function ping(
  runner: CommandRunner,
  from: string,
  to: string,
  o: { count: number; timeoutS: number; size?: number },
): Promise<{ summary: PingSummary | null; error: string }> {
  const r = await runner.run(inNetns(netnsOf(from), pingArgv(to, o)), {
    timeoutMs: (o.count * 0.2 + o.timeoutS + 3) * 1000,
  });
  return { summary: parsePing(r.stdout), error: firstLine(r.stderr) };
}

async function probeReach(c: Extract<Check, { kind: 'reach' }>, ctx: ProbeContext): Promise<Verdict> {
  if (!placeOf(ctx.observed, c.from)) return { met: false, reason: `there is no namespace ${c.from}` };
  // One echo first (a reachable host answers it at once), the rest only when it got no reply.
  const first = await ping(ctx.runner, c.from, c.to, { ...c, count: 1 });
  let { summary, error } = first;
  if (!summary?.received && c.count > 1) {
    ({ summary, error } = await ping(ctx.runner, c.from, c.to, { ...c, count: c.count - 1 }));
    if (summary && first.summary)
      summary = { ...summary, transmitted: summary.transmitted + first.summary.transmitted };
  }
  const got = summary?.received ?? 0;
  const size = c.size !== undefined ? ` (${c.size}-byte pings, don't fragment)` : '';
  const head = `${where(c.from)} → ${c.to}${size}`;
  const seen = got > 0 ? 'replies' : error ? error : `no reply${summary ? ` (${summary.transmitted} sent)` : ''}`;
  return { met: got > 0 === c.expect, reason: `${head}: ${seen}` };
}

/** traceroute's hop lines → the address that answered each hop (null: no answer). */
export function parseTraceroute(stdout: string): (string | null)[] {
  const hops: (string | null)[] = [];
  for (const line of stdout.split('\n')) {
    const m = /^\s*(\d+)\s+(\S+)/.exec(line);
    if (!m) continue;
    hops[Number(m[1]) - 1] = m[2] === '*' ? null : (canonicalIp(m[2]!) ?? null);
  }
  return Array.from(hops, (h) => h ?? null);
}

async function probePath(c: Extract<Check, { kind: 'path' }>, ctx: ProbeContext): Promise<Verdict> {
  if (!placeOf(ctx.observed, c.from)) return { met: false, reason: `there is no namespace ${c.from}` };
  // -N 4: a few probes at a time (the default 16 makes the far end answer a dozen probes at once, past the
  // ICMP rate limit); -m 10 hops and -w 1 s bound a broken path to about 3 s.
  const argv = ['traceroute', fam(c.to), '-n', '-q', '1', '-N', '4', '-w', '1', '-m', '10', '--', c.to];
  const r = await alone(ctx, () => ctx.runner.run(inNetns(netnsOf(c.from), argv), { timeoutMs: 20_000 }));
  if (r.code !== 0 && !r.stdout.trim()) return { met: false, reason: `traceroute failed: ${firstLine(r.stderr)}` };
  const hops = parseTraceroute(r.stdout);
  const target = canonicalIp(c.to);
  const reached = hops.length > 0 && hops[hops.length - 1] === target;
  const owners = hops.map((h) => (h === null ? '*' : (ownerOf(ctx.observed, h) ?? h)));
  const text = owners.map((o) => (o === HOST_PLACE ? 'host' : o)).join(' → ') || 'no hop answered';
  const crossed = hops.slice(0, -1).some((h) => h !== null && ownerOf(ctx.observed, h) === c.via);
  const head = `${where(c.from)} → ${c.to}: ${text}`;
  if (!reached) return { met: false, reason: `${head} (did not arrive)` };
  if (c.expect) return { met: crossed, reason: crossed ? head : `${head} (does not cross ${where(c.via)})` };
  return { met: !crossed, reason: crossed ? `${head} (crosses ${where(c.via)})` : head };
}

/** The tcpdump filter of a packet kind (+ port and addresses). Values are schema-checked numbers and IPs. */
export function captureFilter(c: {
  packet: PacketKind;
  port?: number | undefined;
  src?: string | undefined;
  dst?: string | undefined;
}): string {
  const port = c.port ?? (c.packet === 'vxlan' || c.packet === 'wireguard' ? DEFAULT_PORTS[c.packet] : undefined);
  const kind: Record<PacketKind, string> = {
    arp: 'arp',
    icmp: 'icmp',
    icmp6: 'icmp6',
    udp: port ? `udp port ${port}` : 'udp',
    tcp: port ? `tcp port ${port}` : 'tcp',
    vxlan: `udp port ${port}`,
    wireguard: `udp port ${port}`,
    any: '',
  };
  return [kind[c.packet], c.src ? `src host ${c.src}` : '', c.dst ? `dst host ${c.dst}` : '']
    .filter(Boolean)
    .join(' and ');
}

const PACKET_NAMES: Record<PacketKind, string> = {
  arp: 'ARP',
  icmp: 'ICMP',
  icmp6: 'ICMPv6',
  udp: 'UDP',
  tcp: 'TCP',
  vxlan: 'VXLAN',
  wireguard: 'WireGuard (UDP)',
  any: 'packet',
};

/**
 * tcpdump's line for a packet without what changes from one ping to the next (time, ICMP id/seq, lengths,
 * UDP source ports), so the reason stays the same while the host does.
 */
export function packetSummary(line: string): string {
  return line
    .replace(/^\d{2}:\d{2}:\d{2}\.\d+\s+/, '')
    .replace(/, id \d+, seq \d+/g, '')
    .replace(/, length \d+/g, '')
    .replace(/(\d+\.\d+\.\d+\.\d+)\.\d+ >/g, '$1 >')
    .slice(0, 160);
}

/**
 * tcpdump drops privileges to its own user after opening the interface; inside a user-namespace sandbox that
 * user is not mapped, so it stays "root" (as in tools/capture.ts).
 */
const privilegeArgs = (): string[] => (process.getuid?.() === 0 ? [] : ['-Z', 'root']);

interface Watched {
  /** Resolves when tcpdump says it listens (or after a grace period). */
  listening: Promise<void>;
  /** Resolves with the first packet line, or null when the process ended without one. */
  packet: Promise<string | null>;
  stop(): void;
  stderr(): string;
}

function startTcpdump(runner: CommandRunner, netns: string | null, dev: string, filter: string): Watched {
  const argv = inNetns(netns, [
    'tcpdump',
    '-i',
    dev,
    '-n',
    '-l',
    '-c',
    '1',
    ...privilegeArgs(),
    ...(filter ? ['--', filter] : []),
  ]);
  const [file, ...args] = [...runner.prefix, ...argv];
  const child = spawn(file!, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // own process group: stop() kills nsenter, ip netns exec and tcpdump alike
    env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' },
  });
  let err = '';
  let out = '';
  let onListen: () => void = () => {};
  const listening = new Promise<void>((r) => {
    onListen = r;
  });
  // tcpdump says "listening on …" once the interface is open; if that line never comes, go on anyway.
  const grace = setTimeout(() => onListen(), 1500);
  const packet = new Promise<string | null>((resolve) => {
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString('utf8');
      const line = out.split('\n').find((l) => l.trim());
      if (line && out.includes('\n')) resolve(line.trim());
    });
    child.on('error', () => resolve(null));
    child.on('close', () => {
      clearTimeout(grace);
      onListen();
      const line = out.split('\n').find((l) => l.trim());
      resolve(line ? line.trim() : null);
    });
  });
  child.stderr!.on('data', (b: Buffer) => {
    if (err.length < 4096) err += b.toString('utf8');
    if (err.includes('listening on')) onListen();
  });
  return {
    listening,
    packet,
    stop: () => {
      clearTimeout(grace);
      if (child.pid !== undefined) killGroup(child.pid, 'SIGKILL');
    },
    stderr: () => err,
  };
}

const TIMEOUT = Symbol('timeout');
const timeout = (ms: number) => new Promise<typeof TIMEOUT>((r) => setTimeout(() => r(TIMEOUT), ms).unref());

async function probeCapture(c: Extract<Check, { kind: 'capture' }>, ctx: ProbeContext): Promise<Verdict> {
  const ns = placeOf(ctx.observed, c.netns);
  if (!ns) return { met: false, reason: `there is no namespace ${c.netns}` };
  if (!ns.links.some((l) => l.ifname === c.dev))
    return { met: false, reason: `there is no interface ${c.dev} in ${where(c.netns)}` };
  if (c.trigger && !placeOf(ctx.observed, c.trigger.from))
    return { met: false, reason: `there is no namespace ${c.trigger.from}` };
  const what = `${PACKET_NAMES[c.packet]}${c.src ? ` from ${c.src}` : ''}${c.dst ? ` to ${c.dst}` : ''}`;
  const saw = c.packet === 'any' ? `a ${what}` : what;
  const on = `on ${c.dev} in ${where(c.netns)}`;
  const dump = startTcpdump(ctx.runner, netnsOf(c.netns), c.dev, captureFilter(c));
  try {
    await dump.listening;
    const windowMs = c.windowS * 1000;
    const trig = c.trigger
      ? // -W 2: a neighbour entry that failed before (the fault being fixed) is asked for again only after
        // the kernel's 1 s ARP retry; the replies of this first exchange come late, not never.
        ping(ctx.runner, c.trigger.from, c.trigger.to, { count: 3, timeoutS: 2 })
      : Promise.resolve(null);
    let seen: string | null | typeof TIMEOUT;
    if (c.expect) seen = await Promise.race([dump.packet, timeout(windowMs)]);
    else {
      // Nothing may show while the trigger's pings go and come back (and a moment after, for stragglers).
      await Promise.race([trig, timeout(windowMs)]);
      seen = await Promise.race([dump.packet, timeout(c.trigger ? 300 : 0)]);
    }
    const trigText = c.trigger ? ` while ${where(c.trigger.from)} pinged ${c.trigger.to}` : '';
    const packetLine = typeof seen === 'string' ? seen : null;
    if (packetLine === null && dump.stderr().includes('No such device'))
      return { met: false, reason: `cannot capture ${on}: no such device` };
    if (c.expect)
      return packetLine
        ? { met: true, reason: `saw ${saw} ${on}: ${packetSummary(packetLine)}` }
        : { met: false, reason: `no ${what} ${on} within ${c.windowS} s${trigText}` };
    if (packetLine) return { met: false, reason: `saw ${saw} ${on}${trigText}: ${packetSummary(packetLine)}` };
    // The pings run at most ~2.5 s (3 × 0.2 s + a 2 s wait); their outcome decides whether traffic flowed.
    const t = await Promise.race([trig, timeout(4000)]);
    const replies = t === TIMEOUT || t === null ? null : (t.summary?.received ?? 0);
    if (c.trigger && !replies)
      return { met: false, reason: `${where(c.trigger.from)} got no reply from ${c.trigger.to}: no traffic to judge` };
    return { met: true, reason: `no ${what} ${on}${trigText}` };
  } finally {
    dump.stop();
  }
}

async function probeService(c: Extract<Check, { kind: 'service' }>, ctx: ProbeContext): Promise<Verdict> {
  if (!placeOf(ctx.observed, c.from)) return { met: false, reason: `there is no namespace ${c.from}` };
  const argv = inNetns(netnsOf(c.from), [
    process.execPath,
    PROBE_SCRIPT,
    'connect',
    c.protocol,
    c.to,
    String(c.port),
    String(c.timeoutS * 1000),
  ]);
  const connect = () => ctx.runner.run(argv, { timeoutMs: c.timeoutS * 1000 + 10_000 });
  const r = await (c.protocol === 'udp' ? alone(ctx, connect) : connect());
  let res: { ok?: boolean; error?: string } = {};
  try {
    res = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}');
  } catch {
    res = { ok: false, error: firstLine(r.stderr) || `probe exited with ${r.code}` };
  }
  const head = `${c.protocol.toUpperCase()} ${c.to}:${c.port} from ${where(c.from)}`;
  const answered = res.ok === true;
  return {
    met: answered === c.expect,
    reason: answered ? `${head} answers` : `${head}: ${res.error ?? 'no answer'}`,
  };
}

async function probeAgree(c: Extract<Check, { kind: 'agree' }>, ctx: ProbeContext): Promise<Verdict> {
  if (!ctx.lab || !ctx.status) return { met: false, reason: 'no design to compare with' };
  const st = await ctx.status(ctx.lab);
  const ids = c.objects ?? Object.keys(st.objects);
  const bad = ids.filter((id) => st.objects[id]?.state !== 'ready');
  if (!bad.length) return { met: true, reason: `the design and the kernel agree (${ids.length} objects ready)` };
  const first = bad[0]!;
  const o = st.objects[first];
  const cond = o?.conditions.find((x) => x.type !== 'Ready' || !x.status);
  const more = bad.length > 1 ? ` (and ${bad.length - 1} more)` : '';
  return {
    met: false,
    reason: `${first} is ${o?.state ?? 'not in the design'}${cond ? `: ${cond.message}` : ''}${more}`,
  };
}

/** Runs one probe check; never throws (a failure to run is a verdict that says so). */
export async function runProbe(c: Check, ctx: ProbeContext): Promise<Verdict> {
  try {
    switch (c.kind) {
      case 'reach':
        return await probeReach(c, ctx);
      case 'path':
        return await probePath(c, ctx);
      case 'capture':
        return await probeCapture(c, ctx);
      case 'service':
        return await probeService(c, ctx);
      case 'agree':
        return await probeAgree(c, ctx);
      default:
        throw new Error(`runProbe: ${c.kind} is a state check`);
    }
  } catch (e) {
    return { met: false, reason: `could not check: ${e instanceof Error ? e.message : String(e)}` };
  }
}

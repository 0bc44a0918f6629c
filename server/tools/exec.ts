/**
 * The exec tool: allowlisted argv templates (ping, traceroute, ip route get, ip addr/route/neigh/link) run
 * inside one node's network namespace, with a timeout that kills the process group. Every user value is
 * zod-validated and follows `--` or an explicit keyword; never a shell. Runs confined like every tool
 * (`confine.ts`). Also resolves lab nodes to netns.
 */
import { type ExecRequest, type ExecResponse, type Lab, NetnsName, type PingSummary } from '../../shared';
import { parseIp } from '../../shared/net';
import type { CommandRunner } from '../engine/contract';
import { AppError } from '../errors';
import { confinedInNetns } from './confine';

/** Output kept per stream; ping/ip output is far smaller, this only bounds a surprise. */
const MAX_OUTPUT = 256 * 1024;

/** Network namespace a node's commands run in: its name, or null for the host's root namespace. */
export function nodeNetns(lab: Lab, nodeId: string): string | null {
  const node = lab.nodes.find((n) => n.id === nodeId);
  if (!node) throw new AppError('NotFound', `lab "${lab.name}" has no node "${nodeId}"`);
  if (node.kind === 'host') return null;
  if (node.kind !== 'namespace')
    throw new AppError('InvalidRequest', `node "${nodeId}" is a ${node.kind}; pick a namespace or the host`);
  // Already validated as part of the lab; checked again because it lands in argv.
  if (!NetnsName.safeParse(node.name).success) throw new AppError('InvalidRequest', 'invalid namespace name');
  return node.name;
}

/** argv that runs `argv` inside `netns` (nothing added for the root namespace). Prefix is added by the runner. */
export function inNetns(netns: string | null, argv: readonly string[]): string[] {
  return netns === null ? [...argv] : ['ip', 'netns', 'exec', netns, ...argv];
}

const familyFlag = (target: string): '-4' | '-6' => (parseIp(target)?.family === 6 ? '-6' : '-4');

/** The allowlisted command for a request (without netns or sandbox prefix), and its time limit. */
export function execArgv(req: ExecRequest): { argv: string[]; timeoutMs: number } {
  switch (req.tool) {
    case 'ping':
    case 'ping6': {
      const { target, count, timeoutS } = req.args;
      const fam = familyFlag(target);
      if (req.tool === 'ping6' && fam !== '-6') throw new AppError('InvalidRequest', 'ping6 needs an IPv6 target');
      return {
        argv: ['ping', fam, '-n', '-c', String(count), '-i', '0.2', '-W', String(timeoutS), '--', target],
        timeoutMs: (count * 0.2 + timeoutS + 3) * 1000,
      };
    }
    case 'traceroute': {
      const { target, maxHops } = req.args;
      return {
        argv: ['traceroute', familyFlag(target), '-n', '-q', '1', '-w', '1', '-m', String(maxHops), '--', target],
        timeoutMs: (maxHops * 1 + 5) * 1000,
      };
    }
    case 'routeGet':
      // `ip` has no `--`; the keyword `to` makes the next word an address whatever it looks like.
      return { argv: ['ip', 'route', 'get', 'to', req.args.target], timeoutMs: 10_000 };
    case 'ipAddr':
    case 'ipRoute':
    case 'ipNeigh': {
      const obj = { ipAddr: 'addr', ipRoute: 'route', ipNeigh: 'neigh' }[req.tool];
      const fam = req.args.family ? ['-f', req.args.family] : [];
      return { argv: ['ip', ...fam, obj, 'show'], timeoutMs: 10_000 };
    }
    case 'ipLink':
      return { argv: ['ip', '-s', 'link', 'show'], timeoutMs: 10_000 };
  }
}

/** ping's summary lines → numbers (null when ping printed no summary, e.g. it could not start). */
export function parsePing(stdout: string): PingSummary | null {
  const m = /(\d+) packets transmitted, (\d+) (?:packets )?received/.exec(stdout);
  if (!m) return null;
  const transmitted = Number(m[1]);
  const received = Number(m[2]);
  const rtt = /= [\d.]+\/([\d.]+)\/[\d.]+/.exec(stdout);
  return {
    transmitted,
    received,
    lossPct: transmitted === 0 ? 100 : Math.round(((transmitted - received) / transmitted) * 1000) / 10,
    rttAvgMs: rtt ? Number(rtt[1]) : null,
  };
}

const cap = (s: string) => (s.length > MAX_OUTPUT ? `${s.slice(0, MAX_OUTPUT)}\n… (output cut)` : s);

/** Runs one allowlisted tool inside `netns` through the runner (sandbox prefix, process-group timeout). */
export async function runExec(runner: CommandRunner, netns: string | null, req: ExecRequest): Promise<ExecResponse> {
  const { argv, timeoutMs } = execArgv(req);
  const command = confinedInNetns(netns, argv, runner.tools);
  const t0 = performance.now();
  const r = await runner.run(command, { timeoutMs });
  const durationMs = Math.round(performance.now() - t0);
  const parsed = req.tool === 'ping' || req.tool === 'ping6' ? parsePing(r.stdout) : null;
  return {
    ok: r.code === 0,
    exitCode: r.code,
    stdout: cap(r.stdout),
    stderr: cap(r.stderr),
    durationMs,
    command,
    ...(parsed ? { parsed } : {}),
  };
}

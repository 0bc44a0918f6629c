/**
 * The iproute2 encoder: operation → commands, one run per step of steps.ts (what the ip-batch driver feeds
 * to `ip -n NS -batch -`), the equivalent standalone argv (what a person would type; PlanOp.argv and the
 * shell transcript), and the PlanResult view. Pure. Every user value follows an explicit keyword.
 */
import type { PlanOp, PlanResult, Route } from '../../shared';
import { routeFamily } from './desired';
import { attachedKind, mtuAfter } from './kinds';
import { markerToAlias } from './marker';
import { type Step, steps, vethSides } from './steps';
import type { AnyOpBody, NetnsRef, Operation, PlanError, PlanWarning, QdiscSpec, VethEnd } from './types';

/** One command. `ip` commands can join a batch of their namespace; `exec` ones run on their own. */
export type Cmd =
  | { type: 'ip'; netns: NetnsRef; args: string[] }
  /** `stdin`: fed to the program (nft scripts); shown as a here-document in the script. */
  | { type: 'exec'; netns: NetnsRef; argv: string[]; stdin?: string };

/** The commands of one step of an operation (steps.ts says where it runs and what it touches). */
export interface Segment extends Step {
  cmds: Cmd[];
}

const ipIn = (netns: NetnsRef, ...args: string[]): Cmd => ({ type: 'ip', netns, args });
const nsArgs = (netns: NetnsRef): string[] => (netns === null ? [] : ['-n', netns]);

/** Standalone argv of a command, e.g. ["ip","-n","red","link","set","dev","eth0","up"]. */
export function cmdArgv(c: Cmd): string[] {
  return c.type === 'ip' ? ['ip', ...nsArgs(c.netns), ...c.args] : c.argv;
}

/** Can these tokens be written as one `ip -batch` line? (The reader splits on blanks and cuts at `#`.) */
export function batchSafe(args: readonly string[]): boolean {
  return args.every((a) => a.length > 0 && /^[^\s"'#\\]+$/.test(a));
}

function routeArgs(verb: 'add' | 'del', r: Route): string[] {
  // An IPv6 default route needs the family spelled out: `::/0` does that without a global `-6`.
  const to = r.to === 'default' && routeFamily(r) === 6 ? '::/0' : r.to;
  return [
    'route',
    verb,
    to,
    ...(r.via !== undefined ? ['via', r.via] : []),
    ...(r.dev !== undefined ? ['dev', r.dev] : []),
    ...(r.metric !== undefined ? ['metric', String(r.metric)] : []),
  ];
}

function linkOpts(e: VethEnd): string[] {
  return [...(e.mtu !== undefined ? ['mtu', String(e.mtu)] : []), ...(e.mac !== undefined ? ['address', e.mac] : [])];
}

/** An operation's steps with their iproute2 commands. */
export function render(op: AnyOpBody): Segment[] {
  const cmds = ipCommands(op);
  return steps(op).map((s, k) => ({ ...s, cmds: cmds[k] ?? [] }));
}

const setDev = (netns: NetnsRef, ifname: string, ...args: string[]): Cmd =>
  ipIn(netns, 'link', 'set', 'dev', ifname, ...args);
const mark = (netns: NetnsRef, ifname: string, marker: string): Cmd =>
  setDev(netns, ifname, 'alias', markerToAlias(marker));
const inNs = (netns: NetnsRef, argv: string[]): string[] =>
  netns === null ? argv : ['ip', 'netns', 'exec', netns, ...argv];

/** The iproute2 commands of an operation: one list per step of steps(op), in the same order. */
export function ipCommands(op: AnyOpBody): Cmd[][] {
  switch (op.kind) {
    case 'netns.create':
      return [[ipIn(null, 'netns', 'add', op.netns)], [mark(op.netns, 'lo', op.marker), setDev(op.netns, 'lo', 'up')]];
    case 'netns.delete':
      return [[ipIn(null, 'netns', 'del', op.netns)]];
    case 'netns.setForwarding': {
      const v = op.on ? '1' : '0';
      const sysctl = ['sysctl', '-q', '-w', `net.ipv4.ip_forward=${v}`, `net.ipv6.conf.all.forwarding=${v}`];
      return [[{ type: 'exec', netns: op.netns, argv: inNs(op.netns, sysctl) }]];
    }
    case 'bridge.create':
      return [
        [
          ipIn(
            op.netns,
            'link',
            'add',
            'name',
            op.ifname,
            ...(op.mtu !== undefined ? ['mtu', String(op.mtu)] : []),
            'type',
            'bridge',
            ...(op.stp !== undefined ? ['stp_state', op.stp ? '1' : '0'] : []),
          ),
          mark(op.netns, op.ifname, op.marker),
        ],
      ];
    case 'bridge.setStp':
      return [[setDev(op.netns, op.ifname, 'type', 'bridge', 'stp_state', op.on ? '1' : '0')]];
    case 'veth.create': {
      // `alias` at creation is ignored for veths on this kernel, so markers are set afterwards.
      const [l, r] = vethSides(op);
      const add = ipIn(
        l.netns,
        'link',
        'add',
        'name',
        l.ifname,
        ...(l.master !== undefined ? ['master', l.master] : []),
        ...linkOpts(l),
        'type',
        'veth',
        'peer',
        'name',
        r.ifname,
        ...(r.netns !== l.netns && r.netns !== null ? ['netns', r.netns] : []),
        ...linkOpts(r),
      );
      const rCmds = [
        mark(r.netns, r.ifname, r.marker),
        ...(r.master !== undefined ? [setDev(r.netns, r.ifname, 'master', r.master)] : []),
      ];
      const lCmds = [add, mark(l.netns, l.ifname, l.marker)];
      return r.netns === l.netns ? [[...lCmds, ...rCmds]] : [lCmds, rCmds];
    }
    case 'link.delete':
      return [[ipIn(op.netns, 'link', 'del', 'dev', op.ifname)]];
    case 'link.rename':
      return [[setDev(op.netns, op.from, 'name', op.to)]];
    case 'link.setUp':
      return [[setDev(op.netns, op.ifname, op.up ? 'up' : 'down')]];
    case 'link.setMtu':
      return [[setDev(op.netns, op.ifname, 'mtu', String(op.mtu))]];
    case 'link.setMac':
      return [[setDev(op.netns, op.ifname, 'address', op.mac)]];
    case 'link.setMaster':
      return [[setDev(op.netns, op.ifname, ...(op.master === null ? ['nomaster'] : ['master', op.master]))]];
    case 'link.setAlias':
      return [[mark(op.netns, op.ifname, op.alias)]];
    case 'addr.add':
    case 'addr.del': {
      // `nodad`: the address is usable at once (no 1–2 s tentative phase), which verify and students expect.
      const extra = op.kind === 'addr.add' && op.cidr.includes(':') ? ['nodad'] : [];
      const verb = op.kind === 'addr.add' ? 'add' : 'del';
      return [[ipIn(op.netns, 'addr', verb, op.cidr, 'dev', op.ifname, ...extra)]];
    }
    case 'qdisc.replace':
    case 'qdisc.delete': {
      const argv = qdiscArgv(op.netns, op.ifname, op.kind === 'qdisc.replace' ? op.qdisc : null);
      return [[{ type: 'exec', netns: op.netns, argv }]];
    }
    case 'nat.apply':
    case 'nat.delete': {
      // One nft transaction: applied atomically or not at all. Only our own table is named.
      const stdin = op.kind === 'nat.apply' ? natScript(op) : `delete table ip ${op.table}\n`;
      return [[{ type: 'exec', netns: null, argv: ['nft', '-f', '-'], stdin }]];
    }
    case 'iface.create':
      return ifaceCommands(op);
    case 'bridge.setVlanFiltering':
      return [[setDev(op.netns, op.ifname, 'type', 'bridge', 'vlan_filtering', op.on ? '1' : '0')]];
    case 'bridge.vlanAdd':
    case 'bridge.vlanDel': {
      const argv = [
        'bridge',
        ...nsArgs(op.netns),
        'vlan',
        op.kind === 'bridge.vlanAdd' ? 'add' : 'del',
        'dev',
        op.ifname,
        'vid',
        String(op.vid),
        ...(op.kind === 'bridge.vlanAdd' && op.pvid ? ['pvid'] : []),
        ...(op.kind === 'bridge.vlanAdd' && op.untagged ? ['untagged'] : []),
      ];
      return [[{ type: 'exec', netns: op.netns, argv }]];
    }
    case 'sysctl.set':
      return [
        [{ type: 'exec', netns: op.netns, argv: inNs(op.netns, ['sysctl', '-q', '-w', `${op.key}=${op.value}`]) }],
      ];
    case 'route.add':
    case 'route.del':
      return [[ipIn(op.netns, ...routeArgs(op.kind === 'route.add' ? 'add' : 'del', op.route))]];
  }
}

function ifaceCommands(op: Extract<AnyOpBody, { kind: 'iface.create' }>): Cmd[][] {
  const kind = attachedKind(op.spec.kind)!;
  const ns = op.netns;
  const mtu = op.mtu !== undefined ? ['mtu', String(op.mtu)] : [];
  const after = mtuAfter(kind, op.spec);
  const add = kind.ipAdd(op, op.spec, after ? [] : mtu);
  const rest = [
    mark(ns, op.ifname, op.marker),
    ...(after && op.mtu !== undefined ? [setDev(ns, op.ifname, ...mtu)] : []),
    ...(op.master !== undefined ? [setDev(ns, op.ifname, 'master', op.master)] : []),
  ];
  // A kind created from the root is marked (and enslaved) from inside its namespace: a second step.
  return kind.fromRoot && ns !== null ? [[add], rest] : [[add, ...rest]];
}

/** `tc` argv of a root qdisc (`replace` is idempotent: it installs or changes in place). */
export function qdiscArgv(netns: NetnsRef, ifname: string, q: QdiscSpec | null): string[] {
  const head = ['tc', ...nsArgs(netns), 'qdisc', q === null ? 'del' : 'replace', 'dev', ifname, 'root'];
  if (q === null) return head;
  if (q.kind === 'tbf') {
    const burst = q.burstBytes % 1024 === 0 ? `${q.burstBytes / 1024}kb` : `${q.burstBytes}b`;
    return [...head, 'tbf', 'rate', `${q.rateKbit}kbit`, 'burst', burst, 'latency', `${q.latencyMs}ms`];
  }
  return [
    ...head,
    'netem',
    ...(q.delayMs !== undefined ? ['delay', `${q.delayMs}ms`, ...(q.jitterMs ? [`${q.jitterMs}ms`] : [])] : []),
    ...(q.lossPct !== undefined ? ['loss', `${q.lossPct}%`] : []),
    ...(q.duplicatePct !== undefined ? ['duplicate', `${q.duplicatePct}%`] : []),
    ...(q.corruptPct !== undefined ? ['corrupt', `${q.corruptPct}%`] : []),
    ...(q.rateKbit !== undefined ? ['rate', `${q.rateKbit}kbit`] : []),
  ];
}

/** The nft script of our NAT table: one postrouting chain, one masquerade rule carrying the marker. */
export function natScript(op: { table: string; comment: string; sources: string[]; replace: boolean }): string {
  const set = op.sources.length === 1 ? op.sources[0]! : `{ ${op.sources.join(', ')} }`;
  return [
    ...(op.replace ? [`delete table ip ${op.table}`] : []),
    `table ip ${op.table} {`,
    `  comment "${op.comment}"`,
    '  chain postrouting {',
    '    type nat hook postrouting priority srcnat; policy accept;',
    `    ip saddr ${set} ip daddr != ${set} masquerade comment "${op.comment}"`,
    '  }',
    '}',
    '',
  ].join('\n');
}

/** Every command of an op as standalone argv, in order. */
export function opArgvs(op: AnyOpBody): string[][] {
  return ipCommands(op).flatMap((cmds) => cmds.map(cmdArgv));
}

const SAFE = /^[A-Za-z0-9_./:=@%+,-]+$/;
export function shellQuote(a: string): string {
  return SAFE.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`;
}
export const shellText = (argv: readonly string[]): string => argv.map(shellQuote).join(' ');

const opNetns = (op: AnyOpBody): NetnsRef => {
  switch (op.kind) {
    case 'netns.create':
    case 'netns.delete':
      return null;
    case 'veth.create':
      return op.a.netns;
    case 'nat.apply':
    case 'nat.delete':
      return null;
    default:
      return op.netns;
  }
};

/** Public view: one PlanOp per operation (argv = its first command; the script has all of them). */
export function planResult(
  labName: string,
  ops: readonly Operation[],
  errors: readonly (PlanError | PlanWarning)[],
  warnings: readonly PlanWarning[] = [],
): PlanResult {
  const operations: PlanOp[] = ops.map((op, index) => {
    const argvs = opArgvs(op);
    const inv = op.inverse ? opArgvs(op.inverse) : null;
    return {
      index,
      kind: op.kind,
      object: op.object,
      netns: opNetns(op),
      reason: op.reason,
      argv: argvs.length === 1 ? argvs[0]! : joinArgvs(argvs),
      inverseArgv: inv === null ? null : inv.length === 1 ? inv[0]! : joinArgvs(inv),
    };
  });
  return {
    lab: labName,
    operations,
    script: script(labName, ops),
    errors: errors.map((e) => ({
      code: e.code,
      message: e.message,
      ...(e.path !== undefined && { path: e.path }),
      ...(e.object !== undefined && { object: e.object }),
    })),
    ...(warnings.length > 0 && {
      warnings: warnings.map((w) => ({
        code: w.code,
        message: w.message,
        severity: 'warning' as const,
        ...(w.path !== undefined && { path: w.path }),
        ...(w.object !== undefined && { object: w.object }),
      })),
    }),
  };
}

/** Several commands in one argv for display: joined by a lone `&&` token (the script shows them one per line). */
function joinArgvs(argvs: string[][]): string[] {
  return argvs.flatMap((a, i) => (i === 0 ? a : ['&&', ...a]));
}

export function script(labName: string, ops: readonly Operation[]): string {
  const lines = [
    '#!/bin/sh',
    `# Netloom plan for lab '${labName}': the same changes, one command per step.`,
    '# For reading and teaching; Netloom itself batches these per namespace and never runs a shell.',
    'set -e',
  ];
  for (const op of ops) {
    lines.push(`# ${op.kind} (${op.object}): ${op.reason.replaceAll('\n', ' ')}`);
    for (const c of ipCommands(op).flat()) {
      if (c.type === 'exec' && c.stdin !== undefined)
        lines.push(`${shellText(c.argv)} <<'EOF'`, c.stdin.trimEnd(), 'EOF');
      else lines.push(shellText(cmdArgv(c)));
    }
  }
  return `${lines.join('\n')}\n`;
}

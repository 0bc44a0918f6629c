/**
 * Operation → iproute2 commands: batch lines per namespace (what the driver feeds to `ip -n NS -batch -`),
 * the equivalent standalone argv (what a person would type; PlanOp.argv and the --script output), and the
 * PlanResult view. Pure. Every user value follows an explicit keyword (`dev X`, `name X`).
 */
import type { PlanOp, PlanResult, Route } from '../../shared';
import { routeFamily } from './desired';
import { markerToAlias } from './observe';
import type { AnyOpBody, NetnsRef, Operation, PlanError, PlanWarning, QdiscSpec, VethEnd } from './types';

/** One command. `ip` commands can join a batch of their namespace; `exec` ones run on their own. */
export type Cmd =
  | { type: 'ip'; netns: NetnsRef; args: string[] }
  /** `stdin`: fed to the program (nft scripts); shown as a here-document in the script. */
  | { type: 'exec'; netns: NetnsRef; argv: string[]; stdin?: string };

/**
 * A run of commands in one namespace. `reads`/`writes` name the kernel objects it depends on / changes
 * (`ns:NAME` existence, `if:NS/IFNAME`, `addrs:NS`, `routes:NS`, `fwd:NS`); the scheduler orders segments
 * that conflict on them and lets the rest share a wave. A segment in a named namespace also reads `ns:NAME`.
 */
export interface Segment {
  netns: NetnsRef;
  cmds: Cmd[];
  reads: string[];
  writes: string[];
  /** Deletions: may affect objects elsewhere (veth peers), so everything later waits for them. */
  barrier?: boolean;
}

const nsR = (n: NetnsRef): string[] => (n === null ? [] : [`ns:${n}`]);
const ifR = (n: NetnsRef, i: string): string => `if:${n ?? ''}/${i}`;
const seg = (netns: NetnsRef, cmds: Cmd[], writes: string[], reads: string[] = []): Segment => ({
  netns,
  cmds,
  reads: [...nsR(netns), ...reads],
  writes,
});

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

export function render(op: AnyOpBody): Segment[] {
  const on = (netns: NetnsRef, ifname: string, ...cmds: Cmd[]): Segment[] => [seg(netns, cmds, [ifR(netns, ifname)])];
  switch (op.kind) {
    case 'netns.create':
      // The namespace's marker lives on its `lo` (set from inside, so a separate segment).
      return [
        seg(null, [ipIn(null, 'netns', 'add', op.netns)], [`ns:${op.netns}`]),
        seg(
          op.netns,
          [
            ipIn(op.netns, 'link', 'set', 'dev', 'lo', 'alias', markerToAlias(op.marker)),
            ipIn(op.netns, 'link', 'set', 'dev', 'lo', 'up'),
          ],
          [ifR(op.netns, 'lo')],
        ),
      ];
    case 'netns.delete':
      return [{ ...seg(null, [ipIn(null, 'netns', 'del', op.netns)], [`ns:${op.netns}`]), barrier: true }];
    case 'netns.setForwarding': {
      const v = op.on ? '1' : '0';
      const sysctl = ['sysctl', '-q', '-w', `net.ipv4.ip_forward=${v}`, `net.ipv6.conf.all.forwarding=${v}`];
      const argv = op.netns === null ? sysctl : ['ip', 'netns', 'exec', op.netns, ...sysctl];
      return [seg(op.netns, [{ type: 'exec', netns: op.netns, argv }], [`fwd:${op.netns ?? ''}`])];
    }
    case 'bridge.create':
      return on(
        op.netns,
        op.ifname,
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
        ipIn(op.netns, 'link', 'set', 'dev', op.ifname, 'alias', markerToAlias(op.marker)),
      );
    case 'bridge.setStp':
      return on(
        op.netns,
        op.ifname,
        ipIn(op.netns, 'link', 'set', 'dev', op.ifname, 'type', 'bridge', 'stp_state', op.on ? '1' : '0'),
      );
    case 'veth.create': {
      // Create from the root side when there is one (a named namespace cannot name the root by path), else
      // from the end that has a master (enslaved at creation). `alias` at creation is ignored for veths on
      // this kernel, so markers are set afterwards.
      const [l, r] =
        op.a.netns === null
          ? [op.a, op.b]
          : op.b.netns === null
            ? [op.b, op.a]
            : !op.a.master && op.b.master
              ? [op.b, op.a]
              : [op.a, op.b];
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
      const lAlias = ipIn(l.netns, 'link', 'set', 'dev', l.ifname, 'alias', markerToAlias(l.marker));
      const rCmds = [
        ipIn(r.netns, 'link', 'set', 'dev', r.ifname, 'alias', markerToAlias(r.marker)),
        ...(r.master !== undefined ? [ipIn(r.netns, 'link', 'set', 'dev', r.ifname, 'master', r.master)] : []),
      ];
      const masterR = (e: VethEnd) => (e.master !== undefined ? [ifR(e.netns, e.master)] : []);
      const lWrites = [ifR(l.netns, l.ifname), ifR(r.netns, r.ifname)];
      if (r.netns === l.netns) return [seg(l.netns, [add, lAlias, ...rCmds], lWrites, [...masterR(l), ...masterR(r)])];
      return [
        seg(l.netns, [add, lAlias], lWrites, [...nsR(r.netns), ...masterR(l)]),
        seg(r.netns, rCmds, [ifR(r.netns, r.ifname)], masterR(r)),
      ];
    }
    case 'link.delete':
      return [
        {
          ...seg(op.netns, [ipIn(op.netns, 'link', 'del', 'dev', op.ifname)], [ifR(op.netns, op.ifname)]),
          barrier: true,
        },
      ];
    case 'link.rename':
      return [
        seg(
          op.netns,
          [ipIn(op.netns, 'link', 'set', 'dev', op.from, 'name', op.to)],
          [ifR(op.netns, op.from), ifR(op.netns, op.to)],
        ),
      ];
    case 'link.setUp':
      // Up/down changes which routes the kernel accepts: order it with addresses and routes too.
      return [
        seg(
          op.netns,
          [ipIn(op.netns, 'link', 'set', 'dev', op.ifname, op.up ? 'up' : 'down')],
          [ifR(op.netns, op.ifname), `addrs:${op.netns ?? ''}`],
        ),
      ];
    case 'link.setMtu':
      return on(op.netns, op.ifname, ipIn(op.netns, 'link', 'set', 'dev', op.ifname, 'mtu', String(op.mtu)));
    case 'link.setMac':
      return on(op.netns, op.ifname, ipIn(op.netns, 'link', 'set', 'dev', op.ifname, 'address', op.mac));
    case 'link.setMaster':
      return [
        seg(
          op.netns,
          [
            ipIn(
              op.netns,
              'link',
              'set',
              'dev',
              op.ifname,
              ...(op.master === null ? ['nomaster'] : ['master', op.master]),
            ),
          ],
          [ifR(op.netns, op.ifname)],
          op.master === null ? [] : [ifR(op.netns, op.master)],
        ),
      ];
    case 'link.setAlias':
      return on(op.netns, op.ifname, ipIn(op.netns, 'link', 'set', 'dev', op.ifname, 'alias', markerToAlias(op.alias)));
    case 'addr.add':
    case 'addr.del': {
      // `nodad`: the address is usable at once (no 1–2 s tentative phase), which verify and students expect.
      const extra = op.kind === 'addr.add' && op.cidr.includes(':') ? ['nodad'] : [];
      const verb = op.kind === 'addr.add' ? 'add' : 'del';
      return [
        seg(
          op.netns,
          [ipIn(op.netns, 'addr', verb, op.cidr, 'dev', op.ifname, ...extra)],
          [ifR(op.netns, op.ifname), `addrs:${op.netns ?? ''}`],
        ),
      ];
    }
    case 'qdisc.replace':
    case 'qdisc.delete': {
      const argv = qdiscArgv(op.netns, op.ifname, op.kind === 'qdisc.replace' ? op.qdisc : null);
      return [seg(op.netns, [{ type: 'exec', netns: op.netns, argv }], [ifR(op.netns, op.ifname)])];
    }
    case 'nat.apply':
    case 'nat.delete': {
      // One nft transaction: applied atomically or not at all. Only our own table is named.
      const stdin = op.kind === 'nat.apply' ? natScript(op) : `delete table ip ${op.table}\n`;
      return [seg(null, [{ type: 'exec', netns: null, argv: ['nft', '-f', '-'], stdin }], [`nft:${op.table}`])];
    }
    case 'iface.create': {
      const x = op.spec;
      const mtu = op.mtu !== undefined ? ['mtu', String(op.mtu)] : [];
      if (x.kind === 'macvlan') {
        // Added from the root (where the parent is), straight into its namespace; marked and enslaved there.
        const ns = op.netns;
        const add = ipIn(
          null,
          'link',
          'add',
          'link',
          x.parent,
          'name',
          op.ifname,
          ...(ns !== null ? ['netns', ns] : []),
          ...mtu,
          'type',
          'macvlan',
          'mode',
          x.mode,
        );
        const rest = [
          ipIn(ns, 'link', 'set', 'dev', op.ifname, 'alias', markerToAlias(op.marker)),
          ...(op.master !== undefined ? [ipIn(ns, 'link', 'set', 'dev', op.ifname, 'master', op.master)] : []),
        ];
        const writes = [ifR(ns, op.ifname)];
        const masterR = op.master !== undefined ? [ifR(ns, op.master)] : [];
        if (ns === null) return [seg(null, [add, ...rest], writes, [ifR(null, x.parent), ...masterR])];
        return [seg(null, [add], writes, [ifR(null, x.parent), ...nsR(ns)]), seg(ns, rest, writes, masterR)];
      }
      const add =
        x.kind === 'vxlan'
          ? ipIn(
              op.netns,
              'link',
              'add',
              'name',
              op.ifname,
              ...mtu,
              'type',
              'vxlan',
              'id',
              String(x.vni),
              ...(x.remote !== undefined ? ['remote', x.remote] : []),
              ...(x.group !== undefined ? ['group', x.group] : []),
              ...(x.local !== undefined ? ['local', x.local] : []),
              'dstport',
              String(x.dstPort),
              ...(x.dev !== undefined ? ['dev', x.dev] : []),
            )
          : x.kind === 'vlan'
            ? ipIn(
                op.netns,
                'link',
                'add',
                'link',
                x.parent,
                'name',
                op.ifname,
                ...mtu,
                'type',
                'vlan',
                'id',
                String(x.vlanId),
              )
            : x.kind === 'wireguard' && x.mode === 'kernel'
              ? ipIn(op.netns, 'link', 'add', 'name', op.ifname, ...mtu, 'type', 'wireguard')
              : x.kind === 'gre' || x.kind === 'ipip'
                ? ipIn(
                    op.netns,
                    'link',
                    'add',
                    'name',
                    op.ifname,
                    ...mtu,
                    'type',
                    x.kind,
                    'remote',
                    x.remote,
                    ...(x.local !== undefined ? ['local', x.local] : []),
                    ...(x.ttl !== undefined ? ['ttl', String(x.ttl)] : []),
                  )
                : x.kind === 'ip6tnl'
                  ? ipIn(
                      op.netns,
                      'link',
                      'add',
                      'name',
                      op.ifname,
                      ...mtu,
                      'type',
                      'ip6tnl',
                      'mode',
                      x.mode,
                      'remote',
                      x.remote,
                      ...(x.local !== undefined ? ['local', x.local] : []),
                    )
                  : x.kind === 'geneve'
                    ? ipIn(
                        op.netns,
                        'link',
                        'add',
                        'name',
                        op.ifname,
                        ...mtu,
                        'type',
                        'geneve',
                        'id',
                        String(x.vni),
                        'remote',
                        x.remote,
                        'dstport',
                        String(x.dstPort),
                      )
                    : // A tap, or wireguard-go's TUN device (persistent: it outlives the daemon).
                      ipIn(op.netns, 'tuntap', 'add', 'dev', op.ifname, 'mode', x.kind === 'wireguard' ? 'tun' : 'tap');
      const setMtu = x.kind === 'tap' || (x.kind === 'wireguard' && x.mode !== 'kernel');
      const cmds = [
        add,
        ipIn(op.netns, 'link', 'set', 'dev', op.ifname, 'alias', markerToAlias(op.marker)),
        ...(setMtu && op.mtu !== undefined ? [ipIn(op.netns, 'link', 'set', 'dev', op.ifname, ...mtu)] : []),
        ...(op.master !== undefined ? [ipIn(op.netns, 'link', 'set', 'dev', op.ifname, 'master', op.master)] : []),
      ];
      const under = x.kind === 'vxlan' ? x.dev : x.kind === 'vlan' ? x.parent : undefined;
      return [
        seg(
          op.netns,
          cmds,
          [ifR(op.netns, op.ifname)],
          [
            ...(op.master !== undefined ? [ifR(op.netns, op.master)] : []),
            ...(under !== undefined ? [ifR(op.netns, under)] : []),
          ],
        ),
      ];
    }
    case 'bridge.setVlanFiltering':
      return on(
        op.netns,
        op.ifname,
        ipIn(op.netns, 'link', 'set', 'dev', op.ifname, 'type', 'bridge', 'vlan_filtering', op.on ? '1' : '0'),
      );
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
      return [seg(op.netns, [{ type: 'exec', netns: op.netns, argv }], [ifR(op.netns, op.ifname)])];
    }
    case 'sysctl.set': {
      const sysctl = ['sysctl', '-q', '-w', `${op.key}=${op.value}`];
      const argv = op.netns === null ? sysctl : ['ip', 'netns', 'exec', op.netns, ...sysctl];
      return [seg(op.netns, [{ type: 'exec', netns: op.netns, argv }], [`sysctl:${op.netns ?? ''}/${op.key}`])];
    }
    case 'route.add':
    case 'route.del':
      return [
        seg(
          op.netns,
          [ipIn(op.netns, ...routeArgs(op.kind === 'route.add' ? 'add' : 'del', op.route))],
          [`routes:${op.netns ?? ''}`],
          [`addrs:${op.netns ?? ''}`, ...(op.route.dev !== undefined ? [ifR(op.netns, op.route.dev)] : [])],
        ),
      ];
  }
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
  return render(op).flatMap((s) => s.cmds.map(cmdArgv));
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
    for (const c of render(op).flatMap((sg) => sg.cmds)) {
      if (c.type === 'exec' && c.stdin !== undefined)
        lines.push(`${shellText(c.argv)} <<'EOF'`, c.stdin.trimEnd(), 'EOF');
      else lines.push(shellText(cmdArgv(c)));
    }
  }
  return `${lines.join('\n')}\n`;
}

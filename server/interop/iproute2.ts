/**
 * Reads network commands (argv arrays) the way their own programs do, and returns what they would change:
 * `ip` (address, route, link, tuntap; iproute2 6.1's object/command tables and argument loops, in their
 * order, with its prefix rule — `ip a a`, `ip r a`, `ip l s`), `bridge vlan`, `sysctl` and writes to
 * /proc/sys, `tc qdisc … netem|tbf`, and the legacy `brctl`, `ifconfig`, `route`. Pure; runs nothing;
 * no per-file special cases: a command either maps to effects or says why it cannot.
 */
import type { Impairment } from '../../shared';
import { formatCidr, parseCidr, parseIp } from '../../shared/net';

export interface LinkSet {
  up?: boolean;
  mtu?: number;
  mac?: string;
  /** Bridge to enslave to; null = nomaster. */
  master?: string | null;
  name?: string;
  netns?: string;
  /** Bridge options (`type bridge stp_state 1 vlan_filtering 1`, `brctl stp`). */
  stp?: boolean;
  vlanFiltering?: boolean;
  /** Words accepted by ip but not part of the lab format (shown in the report). */
  ignored?: string[];
}

export interface LinkAdd {
  name: string;
  type: string;
  /** `link DEV`: the lower device (vlan, …). */
  link?: string;
  set: LinkSet;
  /** Type-specific options, parsed. */
  vxlan?: { vni?: number; remote?: string; group?: string; local?: string; dev?: string; dstPort?: number };
  vlanId?: number;
  bridge?: { stp?: boolean; vlanFiltering?: boolean };
  /** veth peer. */
  peer?: { name: string; set: LinkSet };
  /** Type options that have no place in the lab. */
  ignored?: string[];
}

export interface RouteSpec {
  to: 'default' | string;
  family: 4 | 6;
  via?: string;
  dev?: string;
  metric?: number;
  /** Route type other than unicast (blackhole, unreachable, …). */
  type?: string;
  table?: string;
  ignored?: string[];
}

export type Effect =
  | { op: 'addr.add'; dev: string; cidr: string; replace: boolean; ignored?: string[] }
  | { op: 'addr.del'; dev: string; cidr?: string }
  | { op: 'addr.flush'; dev?: string; family?: 4 | 6 }
  | { op: 'link.add'; add: LinkAdd }
  | { op: 'link.set'; dev: string; set: LinkSet }
  | { op: 'link.del'; dev: string }
  | { op: 'route.add'; route: RouteSpec; replace: boolean }
  | { op: 'route.del'; route: RouteSpec }
  | { op: 'route.flush'; dev?: string; family?: 4 | 6 }
  | { op: 'sysctl'; key: string; value: string }
  | { op: 'bridge.vlan'; add: boolean; dev: string; vids: number[]; pvid: boolean; untagged: boolean }
  | { op: 'qdisc.set'; dev: string; kind: string; impairment: Impairment; ignored: string[] }
  | { op: 'qdisc.del'; dev: string };

export type Reading =
  /** Changes the network: these effects, in order. */
  | { kind: 'effects'; effects: Effect[] }
  /** Reads only (`ip a`, `ping`, `echo`): nothing to import. */
  | { kind: 'readonly' }
  /** Not a network command (`apk add`, `vtysh`, a script): runs inside the image. */
  | { kind: 'foreign'; program: string }
  /** A network command this reader cannot map (or that would fail). */
  | { kind: 'unsupported'; why: string };

class Refuse extends Error {}
const refuse = (why: string): never => {
  throw new Refuse(why);
};

/**
 * iproute2's `matches(prefix, word)`: true when `prefix` is a non-empty prefix of `word` (utils.c). Every
 * abbreviation rule below is this plus the ORDER of the checks: the first keyword that matches wins.
 */
export function matches(prefix: string, word: string): boolean {
  return prefix.length > 0 && prefix.length <= word.length && word.startsWith(prefix);
}

/** `ip` objects, in ip.c's table order (6.1): `ip n` is neighbor, `ip s` is sr, `ip t` is tunnel. */
const IP_OBJECTS = [
  'address',
  'addrlabel',
  'maddress',
  'route',
  'rule',
  'neighbor',
  'neighbour',
  'ntable',
  'ntbl',
  'link',
  'l2tp',
  'fou',
  'ila',
  'macsec',
  'tunnel',
  'tunl',
  'tuntap',
  'tap',
  'token',
  'tcpmetrics',
  'tcp_metrics',
  'monitor',
  'xfrm',
  'mroute',
  'mrule',
  'netns',
  'netconf',
  'vrf',
  'sr',
  'nexthop',
  'mptcp',
  'ioam',
  'help',
  'stats',
] as const;

/** The first entry of `table` that `word` abbreviates (strcmp entries must be equal). */
function pick<T extends string>(word: string, table: readonly (T | `=${T}`)[]): T | undefined {
  for (const entry of table) {
    if (entry.startsWith('=')) {
      if (word === entry.slice(1)) return entry.slice(1) as T;
    } else if (matches(word, entry)) return entry as T;
  }
  return undefined;
}

class Args {
  i = 0;
  constructor(readonly a: readonly string[]) {}
  get done() {
    return this.i >= this.a.length;
  }
  peek(): string | undefined {
    return this.a[this.i];
  }
  next(): string {
    const w = this.a[this.i++];
    if (w === undefined) refuse('the command line is not complete (ip: "Command line is not complete")');
    return w!;
  }
  rest(): string[] {
    const r = this.a.slice(this.i);
    this.i = this.a.length;
    return r;
  }
}

/** What one argv does. */
export function readCommand(argv: readonly string[], stdoutTo?: string): Reading {
  const program = argv[0] ?? '';
  try {
    switch (program) {
      case 'ip':
        return readIp(argv.slice(1));
      case 'bridge':
        return readBridge(argv.slice(1));
      case 'sysctl':
        return readSysctl(argv.slice(1));
      case 'tc':
        return readTc(argv.slice(1));
      case 'brctl':
        return readBrctl(argv.slice(1));
      case 'ifconfig':
        return readIfconfig(argv.slice(1));
      case 'route':
        return readNetToolsRoute(argv.slice(1));
      case 'echo':
      case 'printf':
        if (stdoutTo?.startsWith('/proc/sys/')) return readProcWrite(argv, stdoutTo);
        return stdoutTo && stdoutTo !== '/dev/null' ? { kind: 'foreign', program } : { kind: 'readonly' };
      case 'ping':
      case 'ping6':
      case 'true':
      case ':':
      case 'sleep':
      case 'cat':
      case 'hostname':
      case 'ss':
      case 'netstat':
      case 'traceroute':
      case 'arp':
      case 'uname':
      case 'date':
      case 'ls':
        return { kind: 'readonly' };
      case 'ethtool':
        return { kind: 'unsupported', why: 'NIC offload settings (ethtool) are not part of a Netloom lab' };
      case 'iptables':
      case 'ip6tables':
      case 'nft':
      case 'ebtables':
        return { kind: 'unsupported', why: `packet filtering (${program}) is not part of a Netloom lab` };
      default:
        return { kind: 'foreign', program };
    }
  } catch (e) {
    if (e instanceof Refuse) return { kind: 'unsupported', why: e.message };
    throw e;
  }
}

// ─── ip ──────────────────────────────────────────────────────────────────────────────────────────────────

function readIp(words: readonly string[]): Reading {
  const a = new Args(words);
  let family: 4 | 6 | undefined;
  // Global options (ip.c main loop): `--x` is `-x`; -4/-6 exact; -f/-family takes a value.
  while (!a.done && a.peek()!.startsWith('-')) {
    let opt = a.next();
    if (opt === '--') break;
    if (opt.startsWith('--')) opt = opt.slice(1);
    if (opt === '-4') family = 4;
    else if (opt === '-6') family = 6;
    else if (matches(opt, '-loops') || matches(opt, '-rcvbuf') || matches(opt, '-netns')) {
      if (matches(opt, '-netns'))
        refuse('ip -netns switches namespace: named namespaces inside a node are not imported');
      a.next();
    } else if (matches(opt, '-family')) {
      const f = a.next();
      family = f === 'inet' ? 4 : f === 'inet6' ? 6 : refuse(`ip -family ${f} is not an IP family Netloom reads`);
    } else if (matches(opt, '-batch')) refuse('ip -batch reads commands from a file Netloom cannot see');
    // -s -d -r -o -j -p -h -iec -br -t -c -a: output options, no effect on what is changed.
  }
  if (a.done) return { kind: 'readonly' };
  const word = a.next();
  const object = pick(word, IP_OBJECTS);
  if (!object) refuse(`ip does not know the object "${word}" (Object "${word}" is unknown)`);
  switch (object) {
    case 'address':
      return ipAddress(a, family);
    case 'route':
      return ipRoute(a, family);
    case 'link':
      return ipLink(a);
    case 'tuntap':
    case 'tap':
      return ipTuntap(a);
    case 'neighbor':
    case 'neighbour': {
      const cmd = a.done ? 'show' : a.next();
      if (pick(cmd, ['show', 'list', 'lst', 'get', 'help'])) return { kind: 'readonly' };
      return refuse('static neighbour (ARP/NDP) entries are not part of a Netloom lab');
    }
    case 'help':
    case 'monitor':
      return { kind: 'readonly' };
    default: {
      const cmd = a.peek();
      if (cmd === undefined || pick(cmd, ['show', 'list', 'lst', 'help'])) return { kind: 'readonly' };
      return refuse(
        `"ip ${object}" (${object === 'rule' ? 'policy routing rules' : object}) is not part of a Netloom lab`,
      );
    }
  }
}

function ipAddress(a: Args, family: 4 | 6 | undefined): Reading {
  if (a.done) return { kind: 'readonly' };
  const cmd = a.next();
  // ipaddress.c do_ipaddr, in its order.
  const which = pick(cmd, [
    'add',
    'change',
    '=chg',
    'replace',
    'delete',
    'list',
    'show',
    'lst',
    'flush',
    'save',
    'showdump',
    'restore',
    'help',
  ]);
  switch (which) {
    case 'add':
    case 'change':
    case 'chg':
    case 'replace':
    case 'delete':
      return { kind: 'effects', effects: [addrModify(a, which, family)] };
    case 'flush': {
      let dev: string | undefined;
      while (!a.done) {
        const w = a.next();
        if (w === 'dev') dev = a.next();
        else if (['scope', 'label', 'to', 'master', 'type', 'group'].includes(w))
          refuse(`ip addr flush ${w} … is not imported (only "flush dev X")`);
        else if (!w.startsWith('-') && !['up', 'permanent', 'dynamic', 'secondary', 'primary'].includes(w)) dev = w;
      }
      return {
        kind: 'effects',
        effects: [{ op: 'addr.flush', ...(dev ? { dev } : {}), ...(family ? { family } : {}) }],
      };
    }
    case 'save':
    case 'restore':
      return refuse(`ip addr ${which} uses a binary dump Netloom cannot see`);
    case undefined:
      return refuse(`ip address does not know the command "${cmd}"`);
    default:
      return { kind: 'readonly' };
  }
}

/** ipaddress.c ipaddr_modify: every unrecognised word is the local address. */
function addrModify(a: Args, which: string, family: 4 | 6 | undefined): Effect {
  let dev: string | undefined;
  let local: string | undefined;
  const ignored: string[] = [];
  while (!a.done) {
    const w = a.next();
    if (w === 'peer' || w === 'remote') {
      const p = a.next();
      ignored.push(`${w} ${p}`);
      refuse('point-to-point addresses ("peer") are not part of a Netloom lab');
    } else if (matches(w, 'broadcast') || w === 'brd') {
      a.next(); // the kernel's broadcast is what `ip` computes with "+": the lab leaves it to the kernel
    } else if (w === 'anycast') refuse('anycast addresses are not part of a Netloom lab');
    else if (
      w === 'scope' ||
      w === 'label' ||
      w === 'proto' ||
      w === 'metric' ||
      w === 'priority' ||
      w === 'preference'
    ) {
      ignored.push(`${w} ${a.next()}`);
    } else if (w === 'dev') dev = a.next();
    else if (matches(w, 'valid_lft') || matches(w, 'preferred_lft')) ignored.push(`${w} ${a.next()}`);
    else if (['home', 'nodad', 'optimistic', 'mngtmpaddr', 'noprefixroute', 'autojoin'].includes(w)) ignored.push(w);
    else {
      const v = w === 'local' ? a.next() : w;
      if (matches(v, 'help')) return refuse('ip address help');
      if (local !== undefined) refuse(`ip: "${v}" is a second local address (duplicate "local")`);
      local = v;
    }
  }
  if (!dev) refuse('ip: "dev" argument is required');
  if (which === 'delete') {
    if (local === undefined) return { op: 'addr.del', dev: dev! };
    return { op: 'addr.del', dev: dev!, cidr: prefixOf(local, family, 'address') };
  }
  if (local === undefined) refuse('ip addr add needs an address');
  const cidr = prefixOf(local!, family, 'address');
  return { op: 'addr.add', dev: dev!, cidr, replace: which !== 'add', ...(ignored.length ? { ignored } : {}) };
}

/** get_prefix: `10.0.0.1/24`, `10.0.0.1` (a /32), IPv6 likewise; canonical form (as `ip` prints it). */
function prefixOf(text: string, family: 4 | 6 | undefined, what: string): string {
  const withLen = text.includes('/')
    ? text
    : (() => {
        const ip = parseIp(text);
        return ip ? `${text}/${ip.family === 4 ? 32 : 128}` : text;
      })();
  const c = parseCidr(withLen);
  if (!c) return refuse(`"${text}" is not an ${what} ip can read (${what} must be like 10.0.0.1/24)`);
  if (family !== undefined && c.family !== family) refuse(`"${text}" is not an IPv${family} address (ip -${family})`);
  return formatCidr(c);
}

const ROUTE_TYPES = [
  'unicast',
  'local',
  'broadcast',
  'brd',
  'anycast',
  'multicast',
  'prohibit',
  'unreachable',
  'blackhole',
  'nat',
  'throw',
  'xresolve',
];

function ipRoute(a: Args, family: 4 | 6 | undefined): Reading {
  if (a.done) return { kind: 'readonly' };
  const cmd = a.next();
  // iproute.c do_iproute, in its order.
  const which = pick(cmd, [
    'add',
    'change',
    '=chg',
    'replace',
    'prepend',
    'append',
    'test',
    'delete',
    'list',
    'show',
    'lst',
    'get',
    'flush',
    'save',
    'restore',
    'showdump',
    'help',
  ]);
  switch (which) {
    case 'add':
    case 'change':
    case 'chg':
    case 'replace':
    case 'prepend':
    case 'append':
      return {
        kind: 'effects',
        effects: [
          {
            op: 'route.add',
            route: routeModify(a, family),
            replace: which !== 'add' && which !== 'append' && which !== 'prepend',
          },
        ],
      };
    case 'delete':
      return { kind: 'effects', effects: [{ op: 'route.del', route: routeModify(a, family) }] };
    case 'flush': {
      let dev: string | undefined;
      while (!a.done) {
        const w = a.next();
        if (w === 'dev' || w === 'oif') dev = a.next();
        else if (matches(w, 'table') || matches(w, 'protocol') || matches(w, 'scope')) a.next();
        else if (w === 'cache') return { kind: 'readonly' };
      }
      return {
        kind: 'effects',
        effects: [{ op: 'route.flush', ...(dev ? { dev } : {}), ...(family ? { family } : {}) }],
      };
    }
    case 'test':
      return { kind: 'readonly' };
    case 'save':
    case 'restore':
      return refuse(`ip route ${which} uses a binary dump Netloom cannot see`);
    case undefined:
      return refuse(`ip route does not know the command "${cmd}"`);
    default:
      return { kind: 'readonly' };
  }
}

/** iproute.c iproute_modify's argument loop, in its order; the destination is whatever is left. */
function routeModify(a: Args, preferred: 4 | 6 | undefined): RouteSpec {
  let to: string | undefined;
  let via: string | undefined;
  let dev: string | undefined;
  let metric: number | undefined;
  let type: string | undefined;
  let table: string | undefined;
  let family = preferred;
  const ignored: string[] = [];
  const lockable = () => {
    let v = a.next();
    if (v === 'lock') v = a.next();
    return v;
  };
  while (!a.done) {
    const w = a.next();
    if (w === 'src') ignored.push(`src ${a.next()}`);
    else if (w === 'as') {
      let v = a.next();
      if (v === 'to') v = a.next();
      refuse(`"as ${v}" (NAT/MPLS address rewriting) is not part of a Netloom lab`);
    } else if (w === 'via') {
      let v = a.next();
      if (v === 'inet' || v === 'inet6') v = a.next();
      else if (v === 'mpls' || v === 'link') refuse(`a gateway of family "${v}" is not part of a Netloom lab`);
      const ip = parseIp(v);
      if (!ip) refuse(`"${v}" is not a gateway address ip can read`);
      via = v;
      family ??= ip!.family;
    } else if (w === 'from') ignored.push(`from ${a.next()}`);
    else if (w === 'tos' || matches(w, 'dsfield')) ignored.push(`tos ${a.next()}`);
    else if (w === 'expires') ignored.push(`expires ${a.next()}`);
    else if (matches(w, 'metric') || matches(w, 'priority') || w === 'preference') {
      const v = a.next();
      const n = Number(v);
      if (!/^\d+$/.test(v) || n > 4294967295) refuse(`"metric ${v}" is not a number ip accepts`);
      metric = n;
    } else if (w === 'scope') ignored.push(`scope ${a.next()}`);
    else if (['mtu', 'hoplimit', 'advmss', 'rtt', 'rto_min'].includes(w)) ignored.push(`${w} ${lockable()}`);
    else if (
      ['reordering', 'window', 'cwnd', 'initcwnd', 'initrwnd', 'rttvar', 'ssthresh', 'congctl'].some((k) =>
        matches(w, k),
      )
    )
      ignored.push(`${w} ${lockable()}`);
    else if (matches(w, 'features') || matches(w, 'quickack') || matches(w, 'realms')) ignored.push(`${w} ${a.next()}`);
    else if (w === 'onlink') ignored.push('onlink');
    else if (w === 'nexthop') refuse('multipath routes ("nexthop …") are not part of a Netloom lab');
    else if (w === 'nhid') refuse('nexthop objects ("nhid") are not part of a Netloom lab');
    else if (matches(w, 'protocol')) ignored.push(`proto ${a.next()}`);
    else if (matches(w, 'table')) table = a.next();
    else if (matches(w, 'vrf')) refuse('VRF routes are not part of a Netloom lab');
    else if (w === 'dev' || w === 'oif') dev = a.next();
    else if (matches(w, 'pref')) ignored.push(`pref ${a.next()}`);
    else if (w === 'encap') refuse('encapsulating routes ("encap …") are not part of a Netloom lab');
    else if (w === 'ttl-propagate' || w === 'fastopen_no_cookie') ignored.push(`${w} ${a.next()}`);
    else {
      let v = w === 'to' ? a.next() : w;
      if ((v[0]! < '0' || v[0]! > '9') && ROUTE_TYPES.includes(v)) {
        type = v;
        v = a.next();
      }
      if (matches(v, 'help')) refuse('ip route help');
      if (to !== undefined)
        refuse(`ip: "${v}" is a second destination (either "to" is duplicate, or "${v}" is a garbage)`);
      to = v;
    }
  }
  if (to === undefined) refuse('ip route needs a destination');
  let dest: string;
  if (to === 'default' || to === 'any' || to === 'all') dest = 'default';
  else {
    const withLen = to!.includes('/')
      ? to!
      : (() => {
          const ip = parseIp(to!);
          return ip ? `${to}/${ip.family === 4 ? 32 : 128}` : to!;
        })();
    const c = parseCidr(withLen);
    if (!c) refuse(`"${to}" is not a destination ip can read`);
    if (family !== undefined && c!.family !== family) refuse(`the route to ${to} mixes IPv4 and IPv6`);
    family ??= c!.family;
    const canonical = formatCidr(c!);
    // The kernel refuses a destination with host bits ("Invalid prefix for given prefix length").
    const net = formatCidr({
      ...c!,
      value:
        c!.value &
        (((1n << BigInt(c!.family === 4 ? 32 : 128)) - 1n) ^
          ((1n << BigInt((c!.family === 4 ? 32 : 128) - c!.prefix)) - 1n)),
    });
    if (net !== canonical) refuse(`the kernel refuses ${to}: it has host bits set (did you mean ${net}?)`);
    dest = canonical;
  }
  return {
    to: dest,
    family: family ?? 4,
    ...(via ? { via } : {}),
    ...(dev ? { dev } : {}),
    ...(metric !== undefined ? { metric } : {}),
    ...(type && type !== 'unicast' ? { type } : {}),
    ...(table && table !== 'main' && table !== '254' ? { table } : {}),
    ...(ignored.length ? { ignored } : {}),
  };
}

function ipLink(a: Args): Reading {
  if (a.done) return { kind: 'readonly' };
  const cmd = a.next();
  // iplink.c do_iplink, in its order.
  const which = pick(cmd, [
    'add',
    'set',
    'change',
    'replace',
    'delete',
    'show',
    'lst',
    'list',
    'xstats',
    'afstats',
    'property',
    'help',
  ]);
  switch (which) {
    case 'add':
    case 'replace':
      return { kind: 'effects', effects: [{ op: 'link.add', add: linkAdd(a) }] };
    case 'set':
    case 'change': {
      const { dev, set, type } = linkParse(a);
      if (!dev) refuse('ip link set: "dev" argument is required');
      if (type === 'bridge') {
        while (!a.done) {
          const w = a.next();
          if (w === 'stp_state') set.stp = a.next() !== '0';
          else if (w === 'vlan_filtering') set.vlanFiltering = a.next() !== '0';
          else {
            set.ignored ??= [];
            set.ignored.push(`${w} ${a.next() ?? ''}`.trim());
          }
        }
      } else if (type !== undefined) {
        set.ignored ??= [];
        set.ignored.push(`type ${type} ${a.rest().join(' ')}`.trim());
      }
      return { kind: 'effects', effects: [{ op: 'link.set', dev: dev!, set }] };
    }
    case 'delete': {
      const { dev } = linkParse(a);
      if (!dev) refuse('ip link delete: "dev" argument is required');
      return { kind: 'effects', effects: [{ op: 'link.del', dev: dev! }] };
    }
    case 'property':
      return refuse('interface alternative names ("ip link property") are not part of a Netloom lab');
    case undefined:
      return refuse(`ip link does not know the command "${cmd}"`);
    default:
      return { kind: 'readonly' };
  }
}

/**
 * iplink.c iplink_parse, in its order (6.1): note `t` is txqueuelen (not type), `m` is master, `n` is
 * nomaster, `d` is dynamic; an unrecognised word is the device.
 */
function linkParse(a: Args): { dev?: string; name?: string; link?: string; type?: string; set: LinkSet } {
  const set: LinkSet = {};
  const ignored: string[] = [];
  let dev: string | undefined;
  let name: string | undefined;
  let link: string | undefined;
  let type: string | undefined;
  const onOff = (k: string) => {
    const v = a.next();
    if (v !== 'on' && v !== 'off') refuse(`ip: "${k}" takes on or off, not "${v}"`);
    ignored.push(`${k} ${v}`);
  };
  while (!a.done) {
    const w = a.next();
    if (w === 'up') set.up = true;
    else if (w === 'down') set.up = false;
    else if (w === 'name') name = a.next();
    else if (w === 'index') ignored.push(`index ${a.next()}`);
    else if (matches(w, 'link')) link = a.next();
    else if (matches(w, 'address')) {
      const mac = a.next();
      if (!/^[0-9a-fA-F]{1,2}(:[0-9a-fA-F]{1,2}){5}$/.test(mac)) refuse(`"${mac}" is not a MAC address ip reads`);
      set.mac = mac
        .split(':')
        .map((x) => x.padStart(2, '0').toLowerCase())
        .join(':');
    } else if (matches(w, 'broadcast') || w === 'brd') ignored.push(`broadcast ${a.next()}`);
    else if (matches(w, 'txqueuelen') || w === 'qlen' || matches(w, 'txqlen')) {
      const v = a.next();
      if (!/^\d+$/.test(v)) refuse(`ip: Invalid "txqueuelen" value "${v}"`);
      ignored.push(`txqueuelen ${v}`);
    } else if (w === 'mtu') {
      const v = a.next();
      if (!/^\d+$/.test(v)) refuse(`ip: Invalid "mtu" value "${v}"`);
      set.mtu = Number(v);
    } else if (matches(w, 'xdp')) refuse('XDP programs are not part of a Netloom lab');
    else if (w === 'netns') set.netns = a.next();
    else if (['multicast', 'allmulticast', 'promisc', 'trailers', 'arp', 'carrier'].includes(w)) onOff(w);
    else if (w === 'vf') refuse('SR-IOV virtual functions are not part of a Netloom lab');
    else if (matches(w, 'master')) set.master = a.next();
    else if (matches(w, 'vrf')) refuse('VRF devices are not part of a Netloom lab');
    else if (matches(w, 'nomaster')) set.master = null;
    else if (matches(w, 'dynamic')) onOff('dynamic');
    else if (matches(w, 'type')) {
      type = a.next();
      break;
    } else if (matches(w, 'alias')) ignored.push(`alias ${a.next()}`);
    else if (w === 'group' || w === 'mode' || w === 'state') ignored.push(`${w} ${a.next()}`);
    else if (matches(w, 'numtxqueues') || matches(w, 'numrxqueues') || matches(w, 'addrgenmode'))
      ignored.push(`${w} ${a.next()}`);
    else if (matches(w, 'link-netns') || matches(w, 'link-netnsid'))
      refuse('"link-netns" is not part of a Netloom lab');
    else if (w === 'protodown') onOff('protodown');
    else if (
      ['gso_max_size', 'gso_max_segs', 'gro_max_size', 'gso_ipv4_max_size', 'gro_ipv4_max_size'].some((k) =>
        matches(w, k),
      )
    )
      ignored.push(`${w} ${a.next()}`);
    else if (matches(w, 'parentdev')) ignored.push(`parentdev ${a.next()}`);
    else {
      if (matches(w, 'help')) refuse('ip link help');
      const d = w === 'dev' ? a.next() : w;
      if (dev !== undefined)
        refuse(`ip: "${d}" is a second device (either "dev" is duplicate, or "${d}" is a garbage)`);
      dev = d;
    }
  }
  if (ignored.length) set.ignored = ignored;
  return {
    ...(dev ? { dev } : {}),
    ...(name ? { name } : {}),
    ...(link ? { link } : {}),
    ...(type ? { type } : {}),
    set,
  };
}

function linkAdd(a: Args): LinkAdd {
  const { dev, name, link, type, set } = linkParse(a);
  const ifname = name ?? dev;
  if (!ifname) refuse('ip link add needs a name');
  if (!type) refuse('ip link add: "type" argument is required');
  const add: LinkAdd = { name: ifname!, type: type!, set, ...(link ? { link } : {}) };
  const ignored: string[] = [];
  switch (type) {
    case 'bridge': {
      const bridge: { stp?: boolean; vlanFiltering?: boolean } = {};
      while (!a.done) {
        const w = a.next();
        if (w === 'stp_state') bridge.stp = a.next() !== '0';
        else if (w === 'vlan_filtering') bridge.vlanFiltering = a.next() !== '0';
        else ignored.push(`${w} ${a.next() ?? ''}`.trim());
      }
      add.bridge = bridge;
      break;
    }
    case 'vxlan':
      add.vxlan = vxlanOptions(a, ignored);
      break;
    case 'vlan':
      while (!a.done) {
        const w = a.next();
        if (w === 'id') {
          const v = a.next();
          if (!/^\d+$/.test(v)) refuse(`vlan id "${v}" is not a number`);
          add.vlanId = Number(v);
        } else if (w === 'protocol') {
          const p = a.next();
          if (p.toLowerCase() !== '802.1q') refuse(`VLAN protocol ${p} (QinQ) is not part of a Netloom lab`);
        } else ignored.push(w);
      }
      break;
    case 'veth': {
      if (!a.done) {
        const w = a.next();
        if (w !== 'peer') refuse(`veth: unknown option "${w}"`);
        const p = linkParse(a);
        const peerName = p.name ?? p.dev;
        if (peerName) add.peer = { name: peerName, set: p.set };
      }
      break;
    }
    default:
      ignored.push(...a.rest());
  }
  if (ignored.length) add.ignored = ignored;
  return add;
}

/** iplink_vxlan.c vxlan_parse_opt, in its order. */
function vxlanOptions(a: Args, ignored: string[]): NonNullable<LinkAdd['vxlan']> {
  const v: NonNullable<LinkAdd['vxlan']> = {};
  while (!a.done) {
    const w = a.next();
    if (matches(w, 'id') || matches(w, 'vni')) {
      const n = a.next();
      if (!/^\d+$/.test(n) || Number(n) >= 1 << 24) refuse(`vxlan: invalid id "${n}"`);
      v.vni = Number(n);
    } else if (matches(w, 'group')) v.group = a.next();
    else if (matches(w, 'remote')) v.remote = a.next();
    else if (matches(w, 'local')) v.local = a.next();
    else if (matches(w, 'dev')) v.dev = a.next();
    else if (
      matches(w, 'ttl') ||
      matches(w, 'hoplimit') ||
      matches(w, 'tos') ||
      matches(w, 'dsfield') ||
      matches(w, 'label') ||
      matches(w, 'flowlabel') ||
      matches(w, 'ageing') ||
      matches(w, 'maxaddress')
    )
      ignored.push(`${w} ${a.next()}`);
    else if (matches(w, 'port') || matches(w, 'srcport')) ignored.push(`srcport ${a.next()} ${a.next()}`);
    else if (matches(w, 'dstport')) {
      const n = a.next();
      if (!/^\d+$/.test(n) || Number(n) > 65535) refuse(`vxlan: invalid dstport "${n}"`);
      v.dstPort = Number(n);
    } else if (matches(w, 'external')) refuse('a metadata ("external") VXLAN device is not part of a Netloom lab');
    else if (matches(w, 'help')) refuse('ip link help vxlan');
    else ignored.push(w);
  }
  return v;
}

function ipTuntap(a: Args): Reading {
  if (a.done) return { kind: 'readonly' };
  const cmd = a.next();
  const which = pick(cmd, ['add', 'delete', 'list', 'show', 'lst', 'help']);
  if (which !== 'add' && which !== 'delete')
    return which ? { kind: 'readonly' } : refuse(`ip tuntap does not know "${cmd}"`);
  let dev: string | undefined;
  let mode: string | undefined;
  while (!a.done) {
    const w = a.next();
    if (w === 'mode') mode = a.next();
    else if (w === 'dev') dev = a.next();
    else if (['user', 'group', 'name'].includes(w)) {
      const v = a.next();
      if (w === 'name') dev = v;
    } else if (!['one_queue', 'pi', 'vnet_hdr', 'multi_queue', 'persist', 'noarp'].includes(w)) dev = w;
  }
  if (!dev) refuse('ip tuntap needs a device name');
  if (which === 'delete') return { kind: 'effects', effects: [{ op: 'link.del', dev: dev! }] };
  if (mode !== 'tap') refuse(`a ${mode ?? 'tun'} device is not part of a Netloom lab (tap devices are)`);
  return { kind: 'effects', effects: [{ op: 'link.add', add: { name: dev!, type: 'tap', set: {} } }] };
}

// ─── bridge, sysctl, tc, legacy tools ──────────────────────────────────────────────────────────────────────

function readBridge(words: readonly string[]): Reading {
  const a = new Args(words.filter((w) => !w.startsWith('-')));
  if (a.done) return { kind: 'readonly' };
  const object = a.next();
  const obj = pick(object, ['link', 'fdb', 'mdb', 'vlan', 'vni', 'monitor', 'help']);
  if (obj !== 'vlan') {
    const cmd = a.peek();
    if (!cmd || pick(cmd, ['show', 'list', 'lst', 'help']) || obj === 'monitor' || obj === 'help')
      return { kind: 'readonly' };
    return refuse(`"bridge ${object} ${cmd}" is not part of a Netloom lab`);
  }
  if (a.done) return { kind: 'readonly' };
  const cmd = a.next();
  const which = pick(cmd, ['add', 'delete', 'set', 'show', 'list', 'lst', 'tunnelshow', 'global', 'help']);
  if (which !== 'add' && which !== 'delete') {
    if (which === 'set' || which === 'global') refuse(`"bridge vlan ${cmd}" is not part of a Netloom lab`);
    return which ? { kind: 'readonly' } : refuse(`bridge vlan does not know "${cmd}"`);
  }
  let dev: string | undefined;
  const vids: number[] = [];
  let pvid = false;
  let untagged = false;
  while (!a.done) {
    const w = a.next();
    if (w === 'dev') dev = a.next();
    else if (w === 'vid') {
      const v = a.next();
      const m = /^(\d+)(?:-(\d+))?$/.exec(v);
      if (!m) refuse(`bridge vlan: "${v}" is not a VLAN id`);
      const lo = Number(m![1]);
      const hi = Number(m![2] ?? m![1]);
      if (lo < 1 || hi > 4094 || hi < lo) refuse(`bridge vlan: ${v} is outside 1-4094`);
      for (let i = lo; i <= hi; i++) vids.push(i);
    } else if (w === 'pvid') pvid = true;
    else if (w === 'untagged') untagged = true;
    else if (w === 'self') refuse('VLANs on the bridge device itself ("self") are not part of a Netloom lab');
    else if (w === 'master') {
      /* the default */
    } else if (w === 'tunnel_info') refuse('VLAN-to-tunnel mapping is not part of a Netloom lab');
  }
  if (!dev || vids.length === 0) refuse('bridge vlan needs "dev" and "vid"');
  return { kind: 'effects', effects: [{ op: 'bridge.vlan', add: which === 'add', dev: dev!, vids, pvid, untagged }] };
}

function readSysctl(words: readonly string[]): Reading {
  const effects: Effect[] = [];
  let write = false;
  for (const w of words) {
    if (w.startsWith('-')) {
      if (w.includes('p') && !w.startsWith('--')) refuse('sysctl -p loads a file Netloom cannot see');
      if (w.includes('w')) write = true;
      continue;
    }
    const eq = w.indexOf('=');
    if (eq < 0) continue; // a read
    write = true;
    effects.push({ op: 'sysctl', key: w.slice(0, eq).replaceAll('/', '.').trim(), value: w.slice(eq + 1).trim() });
  }
  void write;
  return effects.length ? { kind: 'effects', effects } : { kind: 'readonly' };
}

function readProcWrite(argv: readonly string[], file: string): Reading {
  const value = argv
    .slice(1)
    .filter((w) => !w.startsWith('-'))
    .join(' ')
    .trim();
  return {
    kind: 'effects',
    effects: [{ op: 'sysctl', key: file.slice('/proc/sys/'.length).replaceAll('/', '.'), value }],
  };
}

/** tc's time: `10ms`, `1s`, `500us`, a bare number is microseconds (tc's get_time). */
function tcTimeMs(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(s|sec|secs|ms|msec|msecs|us|usec|usecs)?$/.exec(text);
  if (!m) return refuse(`tc: "${text}" is not a time`);
  const n = Number(m[1]);
  const unit = m[2] ?? 'us';
  const ms = unit.startsWith('s') ? n * 1000 : unit.startsWith('m') ? n : n / 1000;
  return Math.round(ms);
}

/** tc's rate in kbit/s: bit, kbit, mbit, gbit, tbit; bps, kbps… (bytes); kibit… (binary). */
function tcRateKbit(text: string): number {
  const m = /^(\d+(?:\.\d+)?)([a-zA-Z]*)$/.exec(text);
  if (!m) return refuse(`tc: "${text}" is not a rate`);
  const n = Number(m[1]);
  const u = m[2]!.toLowerCase();
  const table: Record<string, number> = {
    '': 1,
    bit: 1,
    kbit: 1e3,
    mbit: 1e6,
    gbit: 1e9,
    tbit: 1e12,
    kibit: 1024,
    mibit: 1024 ** 2,
    gibit: 1024 ** 3,
    bps: 8,
    kbps: 8e3,
    mbps: 8e6,
    gbps: 8e9,
    kibps: 8 * 1024,
    mibps: 8 * 1024 ** 2,
  };
  const f = table[u];
  if (f === undefined) return refuse(`tc: "${text}" is not a rate tc knows`);
  return Math.round((n * f) / 1000);
}

/** tc's size in bytes: b, k/kb, m/mb, g/gb (bytes), kbit/mbit/gbit (bits). */
function tcBytes(text: string): number {
  const m = /^(\d+(?:\.\d+)?)([a-zA-Z]*)$/.exec(text);
  if (!m) return refuse(`tc: "${text}" is not a size`);
  const n = Number(m[1]);
  const u = m[2]!.toLowerCase();
  const table: Record<string, number> = {
    '': 1,
    b: 1,
    k: 1024,
    kb: 1024,
    m: 1024 ** 2,
    mb: 1024 ** 2,
    g: 1024 ** 3,
    gb: 1024 ** 3,
    kbit: 128,
    mbit: 1024 ** 2 / 8,
    gbit: 1024 ** 3 / 8,
  };
  const f = table[u];
  if (f === undefined) return refuse(`tc: "${text}" is not a size tc knows`);
  return Math.round(n * f);
}

const pct = (text: string): number => {
  const m = /^(\d+(?:\.\d+)?)%?$/.exec(text);
  if (!m) return refuse(`tc: "${text}" is not a percentage`);
  return Number(m[1]);
};

function readTc(words: readonly string[]): Reading {
  const a = new Args(words.filter((w) => !/^-(s|d|r|p|j|iec|b|c|t)/.test(w)));
  if (a.done) return { kind: 'readonly' };
  const object = a.next();
  const obj = pick(object, ['qdisc', 'class', 'filter', 'chain', 'action', 'monitor', 'exec', 'help']);
  if (obj !== 'qdisc') {
    const cmd = a.peek();
    if (!cmd || pick(cmd, ['show', 'list', 'ls', 'help'])) return { kind: 'readonly' };
    return refuse(
      `tc ${object} (classes, filters, actions) is not part of a Netloom lab; only one root netem or tbf qdisc per interface is`,
    );
  }
  if (a.done) return { kind: 'readonly' };
  const cmd = a.next();
  const which = pick(cmd, ['add', 'change', 'replace', 'link', 'delete', 'show', 'list', 'ls', 'help']);
  if (which === 'show' || which === 'list' || which === 'ls' || which === 'help') return { kind: 'readonly' };
  if (!which) refuse(`tc qdisc does not know "${cmd}"`);
  let dev: string | undefined;
  let kind: string | undefined;
  while (!a.done && kind === undefined) {
    const w = a.next();
    if (w === 'dev') dev = a.next();
    else if (w === 'root') {
      /* the only parent the lab has */
    } else if (w === 'handle' || w === 'estimator' || w === 'stab') a.next();
    else if (w === 'parent') refuse('a qdisc under a parent class (a qdisc tree) is not part of a Netloom lab');
    else if (w === 'ingress' || w === 'clsact') refuse(`an ${w} qdisc is not part of a Netloom lab`);
    else kind = w;
  }
  if (!dev) refuse('tc qdisc needs "dev"');
  if (which === 'delete') return { kind: 'effects', effects: [{ op: 'qdisc.del', dev: dev! }] };
  if (!kind) refuse('tc qdisc needs a qdisc kind');
  const imp: Impairment = {};
  const ignored: string[] = [];
  if (kind === 'netem') {
    while (!a.done) {
      const w = a.next();
      const num = () => (a.peek() !== undefined && /^\d/.test(a.peek()!) ? a.next() : undefined);
      if (matches(w, 'delay') || matches(w, 'latency')) {
        imp.delayMs = tcTimeMs(a.next());
        const j = num();
        if (j !== undefined) imp.jitterMs = tcTimeMs(j);
        const c = num();
        if (c !== undefined) ignored.push(`delay correlation ${c}`);
      } else if (matches(w, 'loss') || matches(w, 'drop')) {
        let v = a.next();
        if (v === 'random') v = a.next();
        else if (v === 'state' || v === 'gemodel')
          refuse(`netem loss ${v} (a loss model) is not part of a Netloom lab`);
        imp.lossPct = pct(v);
        const c = num();
        if (c !== undefined) ignored.push(`loss correlation ${c}`);
      } else if (matches(w, 'duplicate')) {
        imp.duplicatePct = pct(a.next());
        const c = num();
        if (c !== undefined) ignored.push(`duplicate correlation ${c}`);
      } else if (matches(w, 'corrupt')) {
        imp.corruptPct = pct(a.next());
        const c = num();
        if (c !== undefined) ignored.push(`corrupt correlation ${c}`);
      } else if (matches(w, 'rate')) {
        imp.rateKbit = tcRateKbit(a.next());
        while (a.peek() !== undefined && /^-?\d/.test(a.peek()!)) ignored.push(`rate overhead ${a.next()}`);
      } else if (matches(w, 'reorder')) {
        const v = a.next();
        const c = num();
        ignored.push(`reorder ${v}${c === undefined ? '' : ` ${c}`}`);
      } else if (matches(w, 'distribution') || matches(w, 'limit') || matches(w, 'gap') || matches(w, 'slot')) {
        ignored.push(`${w} ${a.next()}`);
      } else ignored.push(w);
    }
  } else if (kind === 'tbf') {
    while (!a.done) {
      const w = a.next();
      if (matches(w, 'rate')) imp.rateKbit = tcRateKbit(a.next());
      else if (matches(w, 'burst') || matches(w, 'buffer') || matches(w, 'maxburst')) {
        const v = a.next();
        const [size] = v.split('/');
        imp.burstKb = Math.max(2, Math.ceil(tcBytes(size!) / 1024));
      } else if (matches(w, 'latency')) imp.latencyMs = Math.max(1, tcTimeMs(a.next()));
      else if (matches(w, 'limit')) ignored.push(`limit ${a.next()} (a byte limit instead of a latency)`);
      else if (
        matches(w, 'peakrate') ||
        matches(w, 'mtu') ||
        matches(w, 'minburst') ||
        matches(w, 'overhead') ||
        matches(w, 'linklayer')
      )
        ignored.push(`${w} ${a.next()}`);
      else ignored.push(w);
    }
    // Netloom's own tbf defaults (burst 32 KB, latency 50 ms) are what an absent field means.
    if (imp.burstKb === 32) delete imp.burstKb;
    if (imp.latencyMs === 50) delete imp.latencyMs;
  } else refuse(`a ${kind} qdisc is not part of a Netloom lab (netem and tbf are)`);
  return { kind: 'effects', effects: [{ op: 'qdisc.set', dev: dev!, kind: kind!, impairment: imp, ignored }] };
}

function readBrctl(words: readonly string[]): Reading {
  const [cmd, br, ifc] = words;
  switch (cmd) {
    case 'addbr':
      if (!br) refuse('brctl addbr needs a name');
      return { kind: 'effects', effects: [{ op: 'link.add', add: { name: br!, type: 'bridge', set: {} } }] };
    case 'delbr':
      return { kind: 'effects', effects: [{ op: 'link.del', dev: br ?? refuse('brctl delbr needs a name') }] };
    case 'addif':
      if (!br || !ifc) refuse('brctl addif needs a bridge and an interface');
      return { kind: 'effects', effects: [{ op: 'link.set', dev: ifc!, set: { master: br! } }] };
    case 'delif':
      if (!ifc) refuse('brctl delif needs a bridge and an interface');
      return { kind: 'effects', effects: [{ op: 'link.set', dev: ifc!, set: { master: null } }] };
    case 'stp':
      if (!br || !ifc) refuse('brctl stp needs a bridge and on/off');
      return { kind: 'effects', effects: [{ op: 'link.set', dev: br!, set: { stp: ifc === 'on' || ifc === 'yes' } }] };
    case 'show':
    case 'showmacs':
    case 'showstp':
    case undefined:
      return { kind: 'readonly' };
    default:
      return refuse(`brctl ${cmd} is not part of a Netloom lab`);
  }
}

/** `ifconfig IF [ADDR] [netmask M] [mtu N] [hw ether MAC] [up|down]` (net-tools). */
function readIfconfig(words: readonly string[]): Reading {
  const a = new Args(words);
  if (a.done || a.peek()!.startsWith('-')) return { kind: 'readonly' };
  const dev = a.next();
  if (a.done) return { kind: 'readonly' };
  const effects: Effect[] = [];
  const set: LinkSet = {};
  let addr: string | undefined;
  let mask: string | undefined;
  while (!a.done) {
    const w = a.next();
    if (w === 'up') set.up = true;
    else if (w === 'down') set.up = false;
    else if (w === 'netmask') mask = a.next();
    else if (w === 'mtu') set.mtu = Number(a.next());
    else if (w === 'hw') {
      a.next();
      set.mac = a.next().toLowerCase();
    } else if (w === 'inet' || w === 'add') {
      if (w === 'add') addr = a.next();
    } else if (w === 'broadcast') a.next();
    else if (w === 'inet6') {
      /* next word is the address */
    } else if (!addr) addr = w;
  }
  if (addr) {
    let cidr = addr;
    if (!cidr.includes('/') && mask) {
      const m = parseIp(mask);
      if (m?.family !== 4) refuse(`ifconfig: "${mask}" is not a netmask`);
      const bits = m!.value.toString(2).replace(/0+$/, '');
      if (bits.includes('0')) refuse(`ifconfig: "${mask}" is not a contiguous netmask`);
      cidr = `${addr}/${bits.length}`;
    } else if (!cidr.includes('/')) {
      // ifconfig derives a classful mask; the lab needs it written out.
      const ip = parseIp(addr);
      if (ip?.family !== 4) refuse(`ifconfig: "${addr}" is not an address`);
      const first = Number(ip!.value >> 24n);
      cidr = `${addr}/${first < 128 ? 8 : first < 192 ? 16 : 24}`;
    }
    effects.push({ op: 'addr.add', dev, cidr: prefixOf(cidr, undefined, 'address'), replace: true });
  }
  if (Object.keys(set).length) effects.push({ op: 'link.set', dev, set });
  return { kind: 'effects', effects };
}

/** `route add|del [-net|-host] DEST[/LEN] [netmask M] [gw G] [dev D] [metric N]` and `route add default gw G`. */
function readNetToolsRoute(words: readonly string[]): Reading {
  const a = new Args(words.filter((w) => w !== '-n' && w !== '-A' && w !== 'inet' && w !== 'inet6'));
  if (a.done) return { kind: 'readonly' };
  const cmd = a.next();
  if (cmd !== 'add' && cmd !== 'del') return { kind: 'readonly' };
  let to: string | undefined;
  let mask: string | undefined;
  let via: string | undefined;
  let dev: string | undefined;
  let metric: number | undefined;
  while (!a.done) {
    const w = a.next();
    if (w === '-net' || w === '-host') continue;
    if (w === 'netmask') mask = a.next();
    else if (w === 'gw') via = a.next();
    else if (w === 'dev') dev = a.next();
    else if (w === 'metric') metric = Number(a.next());
    else if (to === undefined) to = w;
    else dev = w;
  }
  if (!to) refuse('route needs a destination');
  let dest = to === 'default' ? 'default' : to!;
  if (dest !== 'default' && !dest.includes('/') && mask) {
    const m = parseIp(mask);
    if (!m) refuse(`route: "${mask}" is not a netmask`);
    dest = `${dest}/${m!.value.toString(2).replace(/0+$/, '').length}`;
  }
  const tokens = [
    dest,
    ...(via ? ['via', via] : []),
    ...(dev ? ['dev', dev] : []),
    ...(metric !== undefined ? ['metric', String(metric)] : []),
  ];
  const route = routeModify(new Args(tokens), undefined);
  return {
    kind: 'effects',
    effects: [cmd === 'add' ? { op: 'route.add', route, replace: false } : { op: 'route.del', route }],
  };
}

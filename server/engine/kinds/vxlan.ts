/**
 * VXLAN: `ip link add NAME type vxlan id VNI [remote|group] [local] dstport P [dev UNDERLAY]`. Observed
 * (`ObservedLink.vxlan`) from `ip -d` or IFLA_VXLAN_* (a unicast group is `remote`, as `ip -d` prints it).
 */
import { canonicalIp as netCanonicalIp } from '../../../shared/net';
import { ipText } from '../netlink/messages';
import type { ObservedLink } from '../types';
import { type AttachedKind, ipIn } from './kind';

export type VxlanSpec = {
  kind: 'vxlan';
  vni: number;
  remote?: string;
  group?: string;
  local?: string;
  dstPort: number;
  dev?: string;
};

// linux/if_link.h: IFLA_VXLAN_* inside IFLA_INFO_DATA.
const IFLA_VXLAN_ID = 1;
const IFLA_VXLAN_GROUP = 2;
const IFLA_VXLAN_LOCAL = 4;
const IFLA_VXLAN_PORT = 15;
const IFLA_VXLAN_GROUP6 = 16;
const IFLA_VXLAN_LOCAL6 = 17;
/** An address attribute, absent when unset/any (all zero), as `ip -d` omits it. */
const nonZero = (b: Buffer | undefined): Buffer | undefined => (b?.some((x) => x !== 0) ? b : undefined);
const ipOf = (b: Buffer): string => {
  const t = ipText(b);
  return netCanonicalIp(t) ?? t;
};
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

/** `ip -j -d` info_data of a vxlan link → its parameters (none without an id). */
function decodeIp(info: Readonly<Record<string, unknown>>): Partial<ObservedLink> {
  const vni = num(info.id);
  if (vni === undefined) return {};
  // iproute2 names the IPv6 forms remote6, group6 and local6.
  const remote = str(info.remote) ?? str(info.remote6);
  const group = str(info.group) ?? str(info.group6);
  const local = str(info.local) ?? str(info.local6);
  return {
    vxlan: {
      vni,
      ...(remote !== undefined && { remote }),
      ...(group !== undefined && { group }),
      ...(local !== undefined && { local }),
      ...(num(info.port) !== undefined && { port: num(info.port) }),
    },
  };
}

/** IFLA_INFO_DATA of a vxlan link → its parameters, as `ip -d` reads them (none without an id). */
function decodeNetlink(d: ReadonlyMap<number, Buffer>): Partial<ObservedLink> {
  const id = d.get(IFLA_VXLAN_ID);
  if (!id || id.length < 4) return {};
  const g = nonZero(d.get(IFLA_VXLAN_GROUP)) ?? nonZero(d.get(IFLA_VXLAN_GROUP6));
  const local = nonZero(d.get(IFLA_VXLAN_LOCAL)) ?? nonZero(d.get(IFLA_VXLAN_LOCAL6));
  const port = d.get(IFLA_VXLAN_PORT);
  const multicast = g !== undefined && (g.length === 4 ? (g[0]! & 0xf0) === 0xe0 : g[0] === 0xff);
  const gText = g === undefined ? undefined : ipOf(g);
  return {
    vxlan: {
      vni: id.readUInt32LE(0),
      ...(gText !== undefined && !multicast && { remote: gText }),
      ...(gText !== undefined && multicast && { group: gText }),
      ...(local !== undefined && { local: ipOf(local) }),
      ...(port && port.length >= 2 && { port: port.readUInt16BE(0) }),
    },
  };
}

export const vxlan: AttachedKind<'vxlan'> = {
  kind: 'vxlan',
  probe: 'vxlan',
  probeArgs: () => ['type', 'vxlan', 'id', '42', 'dstport', '4789', 'local', '127.0.0.1'],
  decode: { ip: decodeIp, netlink: decodeNetlink },
  desired: (x) => ({
    kind: 'vxlan',
    vni: x.vni,
    ...(x.remote !== undefined && { remote: x.remote }),
    ...(x.group !== undefined && { group: x.group }),
    ...(x.local !== undefined && { local: x.local }),
    dstPort: x.dstPort ?? 4789,
    ...(x.dev !== undefined && { dev: x.dev }),
  }),
  matches: (x, l) => {
    const v = l.vxlan;
    return (
      v !== undefined &&
      v.vni === x.vni &&
      (v.remote ?? null) === (x.remote ?? null) &&
      (v.group ?? null) === (x.group ?? null) &&
      (x.local === undefined || v.local === x.local) &&
      (v.port ?? 4789) === x.dstPort
    );
  },
  simulated: (x) => ({
    mtu: 1450,
    vxlan: {
      vni: x.vni,
      ...(x.remote !== undefined && { remote: x.remote }),
      ...(x.group !== undefined && { group: x.group }),
      ...(x.local !== undefined && { local: x.local }),
      port: x.dstPort,
    },
  }),
  under: (x, netns) => (x.dev !== undefined ? [{ kind: 'link', ns: netns, ifname: x.dev }] : []),
  ipAdd: (op, x, mtu) =>
    ipIn(
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
    ),
};

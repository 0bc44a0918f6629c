/**
 * rtnetlink message encoding and decoding (pure; no I/O). Layouts follow <linux/netlink.h>,
 * <linux/rtnetlink.h>, <linux/if_link.h>, <linux/if_addr.h>: host byte order (little-endian here), every
 * header and attribute padded to 4 bytes. The native addon only moves these bytes.
 */

export const NLMSG_ERROR = 2;
export const NLMSG_DONE = 3;

export const RTM_NEWLINK = 16;
export const RTM_DELLINK = 17;
export const RTM_GETLINK = 18;
export const RTM_NEWADDR = 20;
export const RTM_DELADDR = 21;
export const RTM_NEWROUTE = 24;
export const RTM_DELROUTE = 25;

export const NLM_F_REQUEST = 0x1;
export const NLM_F_ACK = 0x4;
export const NLM_F_DUMP = 0x300;
export const NLM_F_EXCL = 0x200;
export const NLM_F_CREATE = 0x400;
export const NLM_F_CAPPED = 0x100;
export const NLM_F_ACK_TLVS = 0x200;
export const NLMSGERR_ATTR_MSG = 1;

export const AF_UNSPEC = 0;
export const AF_INET = 2;
export const AF_INET6 = 10;
export const IFF_UP = 0x1;

export const IFLA_ADDRESS = 1;
export const IFLA_IFNAME = 3;
export const IFLA_MTU = 4;
export const IFLA_LINK = 5;
export const IFLA_MASTER = 10;
export const IFLA_LINKINFO = 18;
export const IFLA_IFALIAS = 20;
export const IFLA_NET_NS_FD = 28;
export const IFLA_LINK_NETNSID = 37;
export const IFLA_INFO_KIND = 1;
export const IFLA_INFO_DATA = 2;
export const VETH_INFO_PEER = 1;
export const IFLA_BR_STP_STATE = 5;

export const IFA_ADDRESS = 1;
export const IFA_LOCAL = 2;
export const IFA_FLAGS = 8;
export const IFA_F_NODAD = 0x02;

export const RTA_DST = 1;
export const RTA_OIF = 4;
export const RTA_GATEWAY = 5;
export const RTA_PRIORITY = 6;
export const RT_TABLE_MAIN = 254;
export const RTPROT_BOOT = 3;
export const RT_SCOPE_UNIVERSE = 0;
export const RT_SCOPE_LINK = 253;
export const RT_SCOPE_NOWHERE = 255;
export const RTN_UNSPEC = 0;
export const RTN_UNICAST = 1;

const align = (n: number) => (n + 3) & ~3;

/** An attribute: raw payload bytes, or nested attributes. */
export type Attr =
  | {
      type: number;
      data: Uint8Array /** IFLA_NET_NS_FD placeholder: the agent writes its fd of this netns. */;
      fdOf?: string | null;
    }
  /** Nested attributes, optionally after a fixed header (VETH_INFO_PEER carries an ifinfomsg first). */
  | { type: number; head?: Uint8Array; nested: Attr[] };

export const attrU32 = (type: number, v: number): Attr => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0);
  return { type, data: b };
};
export const attrS32 = (type: number, v: number): Attr => {
  const b = Buffer.alloc(4);
  b.writeInt32LE(v);
  return { type, data: b };
};
/** NUL-terminated string (IFLA_IFNAME, IFLA_INFO_KIND). */
export const attrStrz = (type: number, s: string): Attr => ({ type, data: Buffer.from(`${s}\0`, 'utf8') });
/** String without terminator (IFLA_IFALIAS, as iproute2 sends it). */
export const attrStr = (type: number, s: string): Attr => ({ type, data: Buffer.from(s, 'utf8') });
export const attrBytes = (type: number, data: Uint8Array): Attr => ({ type, data });
export const nest = (type: number, nested: Attr[]): Attr => ({ type, nested });

function attrLen(a: Attr): number {
  if (!('nested' in a)) return 4 + a.data.length;
  return 4 + align(a.head?.length ?? 0) + a.nested.reduce((s, n) => s + align(attrLen(n)), 0);
}

/** Writes attributes at `off`; returns the end offset. `fdSlots` collects offsets of IFLA_NET_NS_FD values. */
function writeAttrs(buf: Buffer, off: number, attrs: Attr[], fdSlots: FdSlot[]): number {
  for (const a of attrs) {
    const len = attrLen(a);
    buf.writeUInt16LE(len, off);
    buf.writeUInt16LE(a.type, off + 2);
    if ('nested' in a) {
      if (a.head) buf.set(a.head, off + 4);
      writeAttrs(buf, off + 4 + align(a.head?.length ?? 0), a.nested, fdSlots);
    } else {
      buf.set(a.data, off + 4);
      if (a.fdOf !== undefined) fdSlots.push({ offset: off + 4, netns: a.fdOf });
    }
    off += align(len);
  }
  return off;
}

/** Marks where the agent must write its fd of a namespace (IFLA_NET_NS_FD; fds only exist in the agent). */
export interface FdSlot {
  offset: number;
  netns: string | null;
}
export const attrNetnsFd = (netns: string | null): Attr => ({
  type: IFLA_NET_NS_FD,
  data: Buffer.from([0xff, 0xff, 0xff, 0xff]),
  fdOf: netns,
});

export interface Encoded {
  buf: Buffer;
  fdSlots: FdSlot[];
}

/** One netlink message: header + fixed family header + attributes. */
export function message(type: number, flags: number, seq: number, fixed: Uint8Array, attrs: Attr[]): Encoded {
  const len = 16 + align(fixed.length) + attrs.reduce((s, a) => s + align(attrLen(a)), 0);
  const buf = Buffer.alloc(len);
  buf.writeUInt32LE(len, 0);
  buf.writeUInt16LE(type, 4);
  buf.writeUInt16LE(flags, 6);
  buf.writeUInt32LE(seq >>> 0, 8);
  buf.writeUInt32LE(0, 12);
  buf.set(fixed, 16);
  const fdSlots: FdSlot[] = [];
  writeAttrs(buf, 16 + align(fixed.length), attrs, fdSlots);
  return { buf, fdSlots };
}

export function ifinfomsg(o: { family?: number; type?: number; index?: number; flags?: number; change?: number } = {}) {
  const b = Buffer.alloc(16);
  b.writeUInt8(o.family ?? AF_UNSPEC, 0);
  b.writeUInt16LE(o.type ?? 0, 2);
  b.writeInt32LE(o.index ?? 0, 4);
  b.writeUInt32LE(o.flags ?? 0, 8);
  b.writeUInt32LE(o.change ?? 0, 12);
  return b;
}

export function ifaddrmsg(o: { family: number; prefixlen: number; flags?: number; scope?: number; index: number }) {
  const b = Buffer.alloc(8);
  b.writeUInt8(o.family, 0);
  b.writeUInt8(o.prefixlen, 1);
  b.writeUInt8(o.flags ?? 0, 2);
  b.writeUInt8(o.scope ?? 0, 3);
  b.writeUInt32LE(o.index, 4);
  return b;
}

export function rtmsg(o: {
  family: number;
  dstLen: number;
  table?: number;
  protocol?: number;
  scope?: number;
  type?: number;
}) {
  const b = Buffer.alloc(12);
  b.writeUInt8(o.family, 0);
  b.writeUInt8(o.dstLen, 1);
  b.writeUInt8(0, 2); // src_len
  b.writeUInt8(0, 3); // tos
  b.writeUInt8(o.table ?? RT_TABLE_MAIN, 4);
  b.writeUInt8(o.protocol ?? 0, 5);
  b.writeUInt8(o.scope ?? RT_SCOPE_UNIVERSE, 6);
  b.writeUInt8(o.type ?? RTN_UNSPEC, 7);
  b.writeUInt32LE(0, 8);
  return b;
}

// --------------------------------------------------------------------------------------------------
// Addresses

/** IPv4/IPv6 text → bytes. Throws on malformed input (the schema validated it already). */
export function ipBytes(ip: string): { family: number; bytes: Buffer } {
  if (!ip.includes(':')) {
    const parts = ip.split('.').map(Number);
    if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) {
      throw new Error(`bad IPv4 address: ${ip}`);
    }
    return { family: AF_INET, bytes: Buffer.from(parts) };
  }
  const out = Buffer.alloc(16);
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hex words.
  const text = ip.replace(/(\d+\.\d+\.\d+\.\d+)$/, (v4) => {
    const b = ipBytes(v4).bytes;
    return `${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}`;
  });
  const halves = text.split('::');
  if (halves.length > 2) throw new Error(`bad IPv6 address: ${ip}`);
  const parse = (s: string) => (s === '' ? [] : s.split(':').map((h) => Number.parseInt(h, 16)));
  const head = parse(halves[0]!);
  const rest = halves.length === 2 ? parse(halves[1]!) : [];
  const words = [...head, ...rest];
  const total = halves.length === 2 ? 8 : words.length;
  if (total !== 8 || words.length > 8 || words.some((w) => !Number.isInteger(w) || w < 0 || w > 0xffff)) {
    throw new Error(`bad IPv6 address: ${ip}`);
  }
  const full = halves.length === 2 ? [...head, ...new Array(8 - words.length).fill(0), ...rest] : words;
  full.forEach((w, i) => {
    out.writeUInt16BE(w, i * 2);
  });
  return { family: AF_INET6, bytes: out };
}

export function parseCidr(cidr: string): { family: number; bytes: Buffer; prefix: number } {
  const [ip, len] = cidr.split('/');
  const a = ipBytes(ip!);
  const max = a.family === AF_INET ? 32 : 128;
  const prefix = len === undefined ? max : Number(len);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max) throw new Error(`bad prefix length: ${cidr}`);
  return { ...a, prefix };
}

export function macBytes(mac: string): Buffer {
  const parts = mac.split(':');
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{2}$/.test(p))) throw new Error(`bad MAC: ${mac}`);
  return Buffer.from(parts.map((p) => Number.parseInt(p, 16)));
}

export const bytesToMac = (b: Uint8Array): string => [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');

// --------------------------------------------------------------------------------------------------
// Replies

export interface Reply {
  type: number;
  flags: number;
  seq: number;
  /** Payload after the 16-byte header. */
  payload: Buffer;
}

export function parseReplies(buf: Buffer): Reply[] {
  const out: Reply[] = [];
  let off = 0;
  while (off + 16 <= buf.length) {
    const len = buf.readUInt32LE(off);
    if (len < 16 || off + len > buf.length) break;
    out.push({
      type: buf.readUInt16LE(off + 4),
      flags: buf.readUInt16LE(off + 6),
      seq: buf.readUInt32LE(off + 8),
      payload: buf.subarray(off + 16, off + len),
    });
    off += align(len);
  }
  return out;
}

export function parseAttrs(buf: Buffer): Map<number, Buffer> {
  const m = new Map<number, Buffer>();
  let off = 0;
  while (off + 4 <= buf.length) {
    const len = buf.readUInt16LE(off);
    const type = buf.readUInt16LE(off + 2) & 0x3fff; // strip NLA_F_NESTED / NLA_F_NET_BYTEORDER
    if (len < 4 || off + len > buf.length) break;
    if (!m.has(type)) m.set(type, buf.subarray(off + 4, off + len));
    off += align(len);
  }
  return m;
}

const cstr = (b: Buffer | undefined): string | undefined => {
  if (!b) return undefined;
  const z = b.indexOf(0);
  return b.subarray(0, z < 0 ? b.length : z).toString('utf8');
};

/** NLMSG_ERROR: errno (0 = ACK, positive here) and the extended-ACK message, if any (display only). */
export function parseError(r: Reply): { errno: number; extack?: string } {
  const raw = r.payload.readInt32LE(0);
  const err = raw < 0 ? -raw : raw;
  let extack: string | undefined;
  if (r.flags & NLM_F_ACK_TLVS) {
    const origLen = r.flags & NLM_F_CAPPED ? 16 : r.payload.length >= 8 ? r.payload.readUInt32LE(4) : 16;
    const tlvs = parseAttrs(r.payload.subarray(4 + align(origLen)));
    extack = cstr(tlvs.get(NLMSGERR_ATTR_MSG));
  }
  return { errno: err, ...(extack !== undefined && { extack }) };
}

export interface LinkInfo {
  index: number;
  ifname: string;
  flags: number;
  kind?: string;
  /** IFLA_LINK (for a veth: the peer's ifindex, in the namespace named by linkNetnsid when set). */
  link?: number;
  linkNetnsid?: number;
}

export function parseLink(r: Reply): LinkInfo {
  const p = r.payload;
  const attrs = parseAttrs(p.subarray(16));
  const info = attrs.get(IFLA_LINKINFO);
  const kind = info ? cstr(parseAttrs(info).get(IFLA_INFO_KIND)) : undefined;
  const link = attrs.get(IFLA_LINK);
  const nsid = attrs.get(IFLA_LINK_NETNSID);
  return {
    index: p.readInt32LE(4),
    flags: p.readUInt32LE(8),
    ifname: cstr(attrs.get(IFLA_IFNAME)) ?? '',
    ...(kind !== undefined && { kind }),
    ...(link && { link: link.readUInt32LE(0) }),
    ...(nsid && { linkNetnsid: nsid.readInt32LE(0) }),
  };
}

// --------------------------------------------------------------------------------------------------
// Requests (attribute order as iproute2 6.1 sends them, so byte fixtures captured from `ip` match)

const F_NEW = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
const F_SET = NLM_F_REQUEST | NLM_F_ACK;

/** Link-level options shared by new links and veth peers. */
export interface LinkOpts {
  mtu?: number | undefined;
  mac?: string | undefined;
}
const linkOpts = (o: LinkOpts): Attr[] => [
  ...(o.mtu !== undefined ? [attrU32(IFLA_MTU, o.mtu)] : []),
  ...(o.mac !== undefined ? [attrBytes(IFLA_ADDRESS, macBytes(o.mac))] : []),
];

/** RTM_NEWLINK (create) of a bridge: `ip link add name X [mtu M] type bridge [stp_state S]`. */
export function newBridge(
  seq: number,
  o: { ifname: string; mtu?: number | undefined; stp?: boolean | undefined },
): Encoded {
  const data = o.stp !== undefined ? [nest(IFLA_INFO_DATA, [attrU32(IFLA_BR_STP_STATE, o.stp ? 1 : 0)])] : [];
  return message(RTM_NEWLINK, F_NEW, seq, ifinfomsg(), [
    ...linkOpts({ mtu: o.mtu }),
    attrStrz(IFLA_IFNAME, o.ifname),
    nest(IFLA_LINKINFO, [attrStr(IFLA_INFO_KIND, 'bridge'), ...data]),
  ]);
}

/**
 * RTM_NEWLINK (create) of a veth pair, sent in the namespace of the local end; the peer goes to `peer.netns`
 * (a namespace fd the agent fills in) when it is elsewhere (`peerFd` undefined: same namespace).
 */
export function newVeth(
  seq: number,
  local: LinkOpts & { ifname: string; master?: number | undefined },
  peer: LinkOpts & { ifname: string },
  peerNetns?: string | null,
): Encoded {
  return message(RTM_NEWLINK, F_NEW, seq, ifinfomsg(), [
    ...linkOpts(local),
    ...(local.master !== undefined ? [attrU32(IFLA_MASTER, local.master)] : []),
    attrStrz(IFLA_IFNAME, local.ifname),
    nest(IFLA_LINKINFO, [
      attrStr(IFLA_INFO_KIND, 'veth'),
      nest(IFLA_INFO_DATA, [
        {
          type: VETH_INFO_PEER,
          head: ifinfomsg(),
          nested: [
            ...linkOpts(peer),
            attrStrz(IFLA_IFNAME, peer.ifname),
            ...(peerNetns !== undefined ? [attrNetnsFd(peerNetns)] : []),
          ],
        },
      ]),
    ]),
  ]);
}

/** RTM_NEWLINK (change) of an existing link, by ifindex or (index 0) by name. */
export function setLink(
  seq: number,
  target: { index: number } | { ifname: string },
  o: {
    up?: boolean;
    mtu?: number;
    mac?: string;
    /** 0 = no master. */
    master?: number;
    alias?: string;
    rename?: string;
    stp?: boolean;
  },
): Encoded {
  const fixed = ifinfomsg({
    index: 'index' in target ? target.index : 0,
    ...(o.up !== undefined && { flags: o.up ? IFF_UP : 0, change: IFF_UP }),
  });
  return message(RTM_NEWLINK, F_SET, seq, fixed, [
    ...('ifname' in target ? [attrStrz(IFLA_IFNAME, target.ifname)] : []),
    ...(o.rename !== undefined ? [attrStrz(IFLA_IFNAME, o.rename)] : []),
    ...linkOpts(o),
    ...(o.master !== undefined ? [attrU32(IFLA_MASTER, o.master)] : []),
    ...(o.alias !== undefined ? [attrStr(IFLA_IFALIAS, o.alias)] : []),
    ...(o.stp !== undefined
      ? [
          nest(IFLA_LINKINFO, [
            attrStr(IFLA_INFO_KIND, 'bridge'),
            nest(IFLA_INFO_DATA, [attrU32(IFLA_BR_STP_STATE, o.stp ? 1 : 0)]),
          ]),
        ]
      : []),
  ]);
}

export function delLink(seq: number, ifname: string): Encoded {
  return message(RTM_DELLINK, F_SET, seq, ifinfomsg(), [attrStrz(IFLA_IFNAME, ifname)]);
}

/** RTM_NEWADDR/RTM_DELADDR: `ip addr add|del CIDR dev X` (IPv6 adds get `nodad`, as render() does). */
export function addrMsg(seq: number, add: boolean, index: number, cidr: string): Encoded {
  const c = parseCidr(cidr);
  const fixed = ifaddrmsg({
    family: c.family,
    prefixlen: c.prefix,
    flags: add && c.family === AF_INET6 ? IFA_F_NODAD : 0,
    index,
  });
  return message(add ? RTM_NEWADDR : RTM_DELADDR, add ? F_NEW : F_SET, seq, fixed, [
    attrBytes(IFA_LOCAL, c.bytes),
    attrBytes(IFA_ADDRESS, c.bytes),
  ]);
}

/** RTM_NEWROUTE/RTM_DELROUTE in the main table: `ip route add|del TO [via GW] [dev X] [metric M]`. */
export function routeMsg(
  seq: number,
  add: boolean,
  r: { family: 4 | 6; to: string; via?: string | undefined; metric?: number | undefined },
  oif: number | undefined,
): Encoded {
  const dst = r.to === 'default' ? null : parseCidr(r.to);
  const fixed = rtmsg({
    family: r.family === 6 ? AF_INET6 : AF_INET,
    dstLen: dst?.prefix ?? 0,
    protocol: add ? RTPROT_BOOT : 0,
    scope: add ? (r.via !== undefined ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK) : RT_SCOPE_NOWHERE,
    type: add ? RTN_UNICAST : RTN_UNSPEC,
  });
  return message(add ? RTM_NEWROUTE : RTM_DELROUTE, add ? F_NEW : F_SET, seq, fixed, [
    ...(dst ? [attrBytes(RTA_DST, dst.bytes)] : []),
    ...(r.via !== undefined ? [attrBytes(RTA_GATEWAY, ipBytes(r.via).bytes)] : []),
    ...(r.metric !== undefined ? [attrU32(RTA_PRIORITY, r.metric)] : []),
    ...(oif !== undefined ? [attrU32(RTA_OIF, oif)] : []),
  ]);
}

export const IFLA_EXT_MASK = 29;
export const RTEXT_FILTER_SKIP_STATS = 1 << 3;

/** RTM_GETLINK dump of a namespace's links (without statistics: we only need names, indexes, peers). */
export function dumpLinks(seq: number): Encoded {
  return message(RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, seq, ifinfomsg(), [
    attrU32(IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS),
  ]);
}

/** RTM_GETLINK of one link by index or name: an RTM_NEWLINK reply then the ACK, or an error (ENODEV). */
export function getLink(seq: number, target: { index: number } | { ifname: string }): Encoded {
  return message(
    RTM_GETLINK,
    NLM_F_REQUEST | NLM_F_ACK,
    seq,
    ifinfomsg({ index: 'index' in target ? target.index : 0 }),
    [
      attrU32(IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS),
      ...('ifname' in target ? [attrStrz(IFLA_IFNAME, target.ifname)] : []),
    ],
  );
}

// --------------------------------------------------------------------------------------------------
// Observation: the dumps behind `ip -j -d -s addr show`, `route show table all`, `netconf show` and the
// nsid of a given namespace, and their decoding into plain records (still kernel-shaped: ifindexes, ids).

export const RTM_GETADDR = 22;
export const RTM_GETROUTE = 26;
export const RTM_NEWNETCONF = 80;
export const RTM_GETNETCONF = 82;
export const RTM_NEWNSID = 88;
export const RTM_GETNSID = 90;

export const IFLA_QDISC = 6;
export const IFLA_OPERSTATE = 16;
export const IFLA_STATS64 = 23;
export const IFLA_GROUP = 27;
export const IFA_LABEL = 3;
export const RTA_TABLE = 15;
export const NETCONFA_IFINDEX = 1;
export const NETCONFA_FORWARDING = 2;
export const NETCONFA_RP_FILTER = 3;
export const NETCONFA_PROXY_NEIGH = 5;
export const NETCONFA_IFINDEX_ALL = -1;
export const NETCONFA_IFINDEX_DEFAULT = -2;
export const NETNSA_NSID = 1;
export const NETNSA_FD = 3;
export const NETNSA_TARGET_NSID = 4;
export const NETNSA_CURRENT_NSID = 5;

/** The link attributes observation needs (the native dump drops every other one before it reaches JS). */
export const OBSERVE_LINK_ATTRS = [
  IFLA_ADDRESS,
  IFLA_IFNAME,
  IFLA_MTU,
  IFLA_LINK,
  IFLA_QDISC,
  IFLA_MASTER,
  IFLA_OPERSTATE,
  IFLA_LINKINFO,
  IFLA_IFALIAS,
  IFLA_STATS64,
  IFLA_GROUP,
  IFLA_LINK_NETNSID,
];

const dump = (type: number, seq: number, fixed: Uint8Array, attrs: Attr[] = []) =>
  message(type, NLM_F_REQUEST | NLM_F_DUMP, seq, fixed, attrs);

/** RTM_GETLINK dump with statistics (IFLA_STATS64). */
export const dumpLinksFull = (seq: number): Encoded => dump(RTM_GETLINK, seq, ifinfomsg());
/** RTM_GETADDR dump, both families (IPv4 first, as the kernel walks them). */
export const dumpAddrs = (seq: number): Encoded =>
  dump(RTM_GETADDR, seq, ifaddrmsg({ family: AF_UNSPEC, prefixlen: 0, index: 0 }));
/**
 * RTM_GETROUTE dump of both families; on a socket with NETLINK_GET_STRICT_CHK (the native observation
 * sets it) the kernel returns only main-table unicast routes (what observe() keeps), else every route.
 */
export const dumpRoutes = (seq: number): Encoded =>
  dump(RTM_GETROUTE, seq, rtmsg({ family: AF_UNSPEC, dstLen: 0, table: RT_TABLE_MAIN, type: RTN_UNICAST }));
/** RTM_GETNETCONF dump (forwarding of `all`, `default` and every interface, per family). */
export const dumpNetconf = (seq: number): Encoded => dump(RTM_GETNETCONF, seq, Buffer.alloc(4));
/** RTM_GETNETCONF of one scope (NETCONFA_IFINDEX_ALL / _DEFAULT) of one family: one reply, then the ACK. */
export function getNetconf(seq: number, family: number, ifindex: number): Encoded {
  const fixed = Buffer.alloc(4);
  fixed.writeUInt8(family, 0);
  return message(RTM_GETNETCONF, NLM_F_REQUEST | NLM_F_ACK, seq, fixed, [attrS32(NETCONFA_IFINDEX, ifindex)]);
}
/**
 * RTM_GETNSID for the namespace behind a file descriptor (NETNSA_FD, written by the agent: fdSlots): the id
 * the receiving namespace gives it, or -1 when none is assigned. Never allocates one. Acked, so the native
 * transact knows when it is done.
 */
export function getNsid(seq: number, fdOf: string | null): Encoded {
  return message(RTM_GETNSID, NLM_F_REQUEST | NLM_F_ACK, seq, Buffer.alloc(4), [
    { type: NETNSA_FD, data: Buffer.from([0xff, 0xff, 0xff, 0xff]), fdOf },
  ]);
}

/**
 * RTM_NEWNSID {NETNSA_FD, NETNSA_NSID = -1}: the receiving namespace assigns the next free id to the
 * namespace behind the fd (what `ip netns set NAME auto` sends, byte for byte). Acked; EEXIST when it already
 * has one.
 */
export function newNsidAuto(seq: number, fdOf: string): Encoded {
  return message(RTM_NEWNSID, NLM_F_REQUEST | NLM_F_ACK, seq, Buffer.alloc(4), [
    { type: NETNSA_FD, data: Buffer.from([0xff, 0xff, 0xff, 0xff]), fdOf },
    attrS32(NETNSA_NSID, -1),
  ]);
}
/**
 * RTM_GETNSID dump of the nsid table of the namespace the receiver calls `targetNsid` (Linux ≥ 4.20, on a
 * socket with NETLINK_GET_STRICT_CHK — else the kernel ignores the target and dumps its own table): one
 * entry per namespace the target has an id for, with that id (NETNSA_NSID) and the receiver's own id of the
 * same namespace (NETNSA_CURRENT_NSID, -1: none). As `ip netns list-id target-nsid N`.
 */
export const dumpNsids = (seq: number, targetNsid: number): Encoded =>
  dump(RTM_GETNSID, seq, Buffer.alloc(4), [attrS32(NETNSA_TARGET_NSID, targetNsid)]);

/** One entry of an nsid table dump (RTM_NEWNSID); `current` absent: the kernel did not translate it. */
export interface NsidEntry {
  nsid: number;
  current?: number;
}
export function parseNsidEntry(r: Reply): NsidEntry | undefined {
  const attrs = parseAttrs(r.payload.subarray(4));
  const id = attrs.get(NETNSA_NSID);
  const cur = attrs.get(NETNSA_CURRENT_NSID);
  if (!id || id.length < 4) return undefined;
  return { nsid: id.readInt32LE(0), ...(cur && cur.length >= 4 && { current: cur.readInt32LE(0) }) };
}

export const RTM_NEWSTATS = 92;
export const RTM_GETSTATS = 94;
const IFLA_STATS_LINK_64 = 1;

/**
 * RTM_GETSTATS dump of every interface's packet and byte counters (IFLA_STATS_LINK_64 only: the kernel
 * builds nothing else, unlike a link dump). struct if_stats_msg: family 0, ifindex 0, filter_mask bit 0.
 */
export const dumpStats = (seq: number): Encoded =>
  dump(RTM_GETSTATS, seq, Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0]));

/** An RTM_NEWSTATS reply: the interface index and its packet/byte counters. */
export function parseStatsRecord(r: Reply): Pick<LinkRecord, 'index' | 'stats'> | undefined {
  if (r.payload.length < 12) return undefined;
  const index = r.payload.readInt32LE(4);
  const s = parseAttrs(r.payload.subarray(12)).get(IFLA_STATS_LINK_64);
  if (!s || s.length < 32) return { index };
  return { index, stats: { rxPackets: u64(s, 0), txPackets: u64(s, 8), rxBytes: u64(s, 16), txBytes: u64(s, 24) } };
}

export interface LinkRecord {
  index: number;
  /** ARPHRD_* (ifi_type). */
  type: number;
  flags: number;
  ifname: string;
  kind?: string;
  mtu?: number;
  address?: Buffer;
  link?: number;
  linkNetnsid?: number;
  master?: number;
  operstate?: number;
  alias?: string;
  qdisc?: string;
  group?: number;
  /** From IFLA_STATS64 (rx/tx packets and bytes). */
  stats?: { rxPackets: number; txPackets: number; rxBytes: number; txBytes: number };
  /** Bridges: IFLA_BR_STP_STATE from IFLA_INFO_DATA. */
  stpState?: number;
  /** tun devices: IFLA_TUN_TYPE (IFF_TUN = 1, IFF_TAP = 2). */
  tunType?: number;
  /** IFLA_INFO_DATA as it came, for the attached kinds that decode their own attributes (kinds/: `decode`). */
  infoData?: Buffer;
  /** Bridges: IFLA_BR_VLAN_FILTERING from IFLA_INFO_DATA. */
  vlanFiltering?: number;
}

// linux/if_link.h: IFLA_TUN_* inside IFLA_INFO_DATA (an attached kind's own: its module, kinds/).
const IFLA_TUN_TYPE = 3;
const IFLA_BR_VLAN_FILTERING = 7;

const u64 = (b: Buffer, off: number) => Number(b.readBigUInt64LE(off));

export function parseLinkRecord(r: Reply): LinkRecord {
  const p = r.payload;
  const attrs = parseAttrs(p.subarray(16));
  const rec: LinkRecord = {
    type: p.readUInt16LE(2),
    index: p.readInt32LE(4),
    flags: p.readUInt32LE(8),
    ifname: cstr(attrs.get(IFLA_IFNAME)) ?? '',
  };
  const info = attrs.get(IFLA_LINKINFO);
  if (info) {
    const li = parseAttrs(info);
    const kind = cstr(li.get(IFLA_INFO_KIND));
    if (kind !== undefined) rec.kind = kind;
    const data = li.get(IFLA_INFO_DATA);
    if (kind === 'bridge' && data) {
      const stp = parseAttrs(data).get(IFLA_BR_STP_STATE);
      if (stp && stp.length >= 4) rec.stpState = stp.readUInt32LE(0);
      const vf = parseAttrs(data).get(IFLA_BR_VLAN_FILTERING);
      if (vf && vf.length >= 1) rec.vlanFiltering = vf.readUInt8(0);
    }
    if (data) rec.infoData = data;
    if (kind === 'tun' && data) {
      const t = parseAttrs(data).get(IFLA_TUN_TYPE);
      if (t && t.length >= 1) rec.tunType = t.readUInt8(0);
    }
  }
  const v = (t: number) => attrs.get(t);
  if (v(IFLA_MTU)) rec.mtu = v(IFLA_MTU)!.readUInt32LE(0);
  if (v(IFLA_ADDRESS)) rec.address = v(IFLA_ADDRESS)!;
  if (v(IFLA_LINK)) rec.link = v(IFLA_LINK)!.readUInt32LE(0);
  if (v(IFLA_LINK_NETNSID)) rec.linkNetnsid = v(IFLA_LINK_NETNSID)!.readInt32LE(0);
  if (v(IFLA_MASTER)) rec.master = v(IFLA_MASTER)!.readUInt32LE(0);
  if (v(IFLA_OPERSTATE)) rec.operstate = v(IFLA_OPERSTATE)!.readUInt8(0);
  if (v(IFLA_IFALIAS)) rec.alias = cstr(v(IFLA_IFALIAS));
  if (v(IFLA_QDISC)) rec.qdisc = cstr(v(IFLA_QDISC));
  if (v(IFLA_GROUP)) rec.group = v(IFLA_GROUP)!.readUInt32LE(0);
  const s = v(IFLA_STATS64);
  if (s && s.length >= 32)
    rec.stats = { rxPackets: u64(s, 0), txPackets: u64(s, 8), rxBytes: u64(s, 16), txBytes: u64(s, 24) };
  return rec;
}

export interface AddrRecord {
  family: number;
  prefixlen: number;
  scope: number;
  index: number;
  /** IFA_LOCAL, else IFA_ADDRESS (what `ip addr` prints as `local`). */
  local?: Buffer;
}

export function parseAddrRecord(r: Reply): AddrRecord {
  const p = r.payload;
  const attrs = parseAttrs(p.subarray(8));
  const local = attrs.get(IFA_LOCAL) ?? attrs.get(IFA_ADDRESS);
  return {
    family: p.readUInt8(0),
    prefixlen: p.readUInt8(1),
    scope: p.readUInt8(3),
    index: p.readUInt32LE(4),
    ...(local && { local }),
  };
}

export interface RouteRecord {
  family: number;
  dstLen: number;
  table: number;
  protocol: number;
  type: number;
  dst?: Buffer;
  gateway?: Buffer;
  oif?: number;
  priority?: number;
}

export function parseRouteRecord(r: Reply): RouteRecord {
  const p = r.payload;
  const attrs = parseAttrs(p.subarray(12));
  const table = attrs.get(RTA_TABLE);
  const rec: RouteRecord = {
    family: p.readUInt8(0),
    dstLen: p.readUInt8(1),
    table: table ? table.readUInt32LE(0) : p.readUInt8(4),
    protocol: p.readUInt8(5),
    type: p.readUInt8(7),
  };
  const v = (t: number) => attrs.get(t);
  if (v(RTA_DST)) rec.dst = v(RTA_DST)!;
  if (v(RTA_GATEWAY)) rec.gateway = v(RTA_GATEWAY)!;
  if (v(RTA_OIF)) rec.oif = v(RTA_OIF)!.readUInt32LE(0);
  if (v(RTA_PRIORITY)) rec.priority = v(RTA_PRIORITY)!.readUInt32LE(0);
  return rec;
}

export interface NetconfRecord {
  family: number;
  ifindex?: number;
  forwarding?: number;
  rpFilter?: number;
  proxyNeigh?: number;
}

export function parseNetconfRecord(r: Reply): NetconfRecord {
  const attrs = parseAttrs(r.payload.subarray(4));
  const idx = attrs.get(NETCONFA_IFINDEX);
  const fwd = attrs.get(NETCONFA_FORWARDING);
  const rp = attrs.get(NETCONFA_RP_FILTER);
  const pn = attrs.get(NETCONFA_PROXY_NEIGH);
  return {
    family: r.payload.readUInt8(0),
    ...(idx && { ifindex: idx.readInt32LE(0) }),
    ...(fwd && { forwarding: fwd.readInt32LE(0) }),
    ...(rp && { rpFilter: rp.readInt32LE(0) }),
    ...(pn && { proxyNeigh: pn.readInt32LE(0) }),
  };
}

/** RTM_NEWNSID reply → the id (-1: none assigned). */
export function parseNsidReply(r: Reply): number | undefined {
  const id = parseAttrs(r.payload.subarray(4)).get(NETNSA_NSID);
  return id ? id.readInt32LE(0) : undefined;
}

/** Address bytes → text (IPv4 dotted, IPv6 uncompressed groups; callers canonicalize). */
export function ipText(b: Buffer): string {
  if (b.length === 4) return [...b].join('.');
  const groups: string[] = [];
  for (let i = 0; i + 1 < b.length; i += 2) groups.push(b.readUInt16BE(i).toString(16));
  return groups.join(':');
}

/**
 * Pure pcap reader/writer and packet summarizer (the capture panel decodes in the browser; capture tests read
 * the server's stream with it): the global header (both byte orders, µs and ns timestamps), records, and a
 * one-line decode (src, dst, protocol, info) of Ethernet / Linux cooked (v1, v2) frames carrying 802.1Q, ARP,
 * IPv4, IPv6, ICMP, ICMPv6, UDP (DNS names), TCP, VXLAN (the inner frame, decoded in turn) and WireGuard
 * (encrypted: its message type and indexes only). No DOM, no deps; address text comes from net.ts.
 * Never throws on packet bytes: a short or odd packet decodes as far as it goes.
 */
import { formatIp } from './net';

export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_LINUX_SLL2 = 276;

export const PCAP_HEADER_LEN = 24;
export const PCAP_RECORD_HEADER_LEN = 16;

export interface PcapHeader {
  littleEndian: boolean;
  /** Timestamps carry nanoseconds (magic 0xa1b23c4d) instead of microseconds. */
  nanos: boolean;
  versionMajor: number;
  versionMinor: number;
  snaplen: number;
  linktype: number;
}

export interface PcapRecord {
  tsSec: number;
  /** Microseconds or nanoseconds, as the header says. */
  tsFrac: number;
  /** Bytes on the wire (the capture may hold fewer). */
  origLen: number;
  data: Uint8Array;
}

export interface DecodedPacket {
  /** Seconds since the epoch (fractional). */
  ts: number;
  /** Length on the wire. */
  len: number;
  /** Bytes captured. */
  capLen: number;
  src: string;
  dst: string;
  /** Topmost protocol recognised: ARP, IPv4, IPv6, ICMP, ICMPv6, UDP, DNS, TCP, ETH, … */
  protocol: string;
  info: string;
  /** 802.1Q VLAN id(s), outermost first. */
  vlan?: number[];
  /** The tunnel this packet travels in (src/dst/protocol are then the inner packet's), outermost first. */
  tunnels?: TunnelLayer[];
}

/** One tunnel header around a packet: a VXLAN with its VNI, or WireGuard (whose payload stays encrypted). */
export type TunnelLayer =
  | { kind: 'vxlan'; vni: number; outerSrc: string; outerDst: string }
  | { kind: 'wireguard'; message: WireguardMessage; outerSrc: string; outerDst: string };

export type WireguardMessage = 'initiation' | 'response' | 'cookie' | 'transport' | 'keepalive';

/** Which UDP ports carry what, besides the defaults (VXLAN 4789 and Linux's 8472; WireGuard 51820). */
export interface DecodeOptions {
  /** Destination ports of the lab's VXLAN interfaces (`dstPort`). */
  vxlanPorts?: readonly number[];
  /** Listen ports of the lab's WireGuard interfaces. */
  wireguardPorts?: readonly number[];
}

export class PcapFormatError extends Error {}

const MAGIC_US = 0xa1b2c3d4;
const MAGIC_NS = 0xa1b23c4d;

const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

/** Reads the 24-byte global header. Throws PcapFormatError when it is not pcap. */
export function parsePcapHeader(bytes: Uint8Array): PcapHeader {
  if (bytes.byteLength < PCAP_HEADER_LEN) throw new PcapFormatError('a pcap header is 24 bytes');
  const v = view(bytes);
  let littleEndian: boolean;
  let nanos: boolean;
  const le = v.getUint32(0, true);
  const be = v.getUint32(0, false);
  if (le === MAGIC_US || le === MAGIC_NS) {
    littleEndian = true;
    nanos = le === MAGIC_NS;
  } else if (be === MAGIC_US || be === MAGIC_NS) {
    littleEndian = false;
    nanos = be === MAGIC_NS;
  } else throw new PcapFormatError('not a pcap file (unknown magic number)');
  return {
    littleEndian,
    nanos,
    versionMajor: v.getUint16(4, littleEndian),
    versionMinor: v.getUint16(6, littleEndian),
    snaplen: v.getUint32(16, littleEndian),
    // The upper bits may carry FCS information; the link type is the low 28 bits.
    linktype: v.getUint32(20, littleEndian) & 0x0fffffff,
  };
}

/** Reads one record (16-byte header + data) at `offset`; null when `bytes` does not hold all of it. */
export function parseRecord(
  header: PcapHeader,
  bytes: Uint8Array,
  offset = 0,
): { record: PcapRecord; next: number } | null {
  if (bytes.byteLength - offset < PCAP_RECORD_HEADER_LEN) return null;
  const v = view(bytes);
  const le = header.littleEndian;
  const incl = v.getUint32(offset + 8, le);
  const end = offset + PCAP_RECORD_HEADER_LEN + incl;
  if (end > bytes.byteLength) return null;
  return {
    record: {
      tsSec: v.getUint32(offset, le),
      tsFrac: v.getUint32(offset + 4, le),
      origLen: v.getUint32(offset + 12, le),
      data: bytes.subarray(offset + PCAP_RECORD_HEADER_LEN, end),
    },
    next: end,
  };
}

/** A whole pcap file → header and records (a truncated last record is left out). */
export function parsePcap(bytes: Uint8Array): { header: PcapHeader; records: PcapRecord[] } {
  const header = parsePcapHeader(bytes);
  const records: PcapRecord[] = [];
  let off = PCAP_HEADER_LEN;
  for (;;) {
    const r = parseRecord(header, bytes, off);
    if (!r) break;
    records.push(r.record);
    off = r.next;
  }
  return { header, records };
}

/** Global header + records, byte for byte what Wireshark opens (in the header's byte order and precision). */
export function writePcap(header: PcapHeader, records: readonly PcapRecord[]): Uint8Array {
  const total = PCAP_HEADER_LEN + records.reduce((n, r) => n + PCAP_RECORD_HEADER_LEN + r.data.byteLength, 0);
  const out = new Uint8Array(total);
  const v = new DataView(out.buffer);
  const le = header.littleEndian;
  v.setUint32(0, header.nanos ? MAGIC_NS : MAGIC_US, le);
  v.setUint16(4, header.versionMajor, le);
  v.setUint16(6, header.versionMinor, le);
  v.setInt32(8, 0, le); // thiszone
  v.setUint32(12, 0, le); // sigfigs
  v.setUint32(16, header.snaplen, le);
  v.setUint32(20, header.linktype, le);
  let off = PCAP_HEADER_LEN;
  for (const r of records) {
    v.setUint32(off, r.tsSec, le);
    v.setUint32(off + 4, r.tsFrac, le);
    v.setUint32(off + 8, r.data.byteLength, le);
    v.setUint32(off + 12, r.origLen, le);
    out.set(r.data, off + PCAP_RECORD_HEADER_LEN);
    off += PCAP_RECORD_HEADER_LEN + r.data.byteLength;
  }
  return out;
}

// ---- formatting helpers ----

const hex2 = (n: number) => n.toString(16).padStart(2, '0');
export const formatMac = (b: Uint8Array, o: number): string => Array.from(b.subarray(o, o + 6), hex2).join(':');
export const formatIpv4 = (b: Uint8Array, o: number): string => `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;

/** RFC 5952 text of the 16 bytes at `o`, exactly as net.ts (and so `ip`) spells it. */
export function formatIpv6(b: Uint8Array, o: number): string {
  let value = 0n;
  for (let i = 0; i < 16; i++) value = (value << 8n) | BigInt(b[o + i] ?? 0);
  return formatIp({ family: 6, value });
}

const hex4 = (n: number) => `0x${n.toString(16).padStart(4, '0')}`;

// ---- decoding ----

interface Summary {
  src: string;
  dst: string;
  protocol: string;
  info: string;
  vlan?: number[];
  tunnels?: TunnelLayer[];
}

/** Options and nesting depth handed down the layers (a tunnel inside a tunnel is decoded a few levels deep). */
interface Ctx {
  vxlan: ReadonlySet<number>;
  wireguard: ReadonlySet<number>;
  depth: number;
}
const context = (opts: DecodeOptions = {}): Ctx => ({
  vxlan: new Set([4789, 8472, ...(opts.vxlanPorts ?? [])]),
  wireguard: new Set([51820, ...(opts.wireguardPorts ?? [])]),
  depth: 0,
});
const DEFAULT_CTX = context();

/** Decodes one record into a one-line summary. */
export function decodeRecord(header: PcapHeader, record: PcapRecord, opts?: DecodeOptions): DecodedPacket {
  const s = decodeFrame(header.linktype, record.data, opts);
  return {
    ts: record.tsSec + record.tsFrac / (header.nanos ? 1e9 : 1e6),
    len: record.origLen,
    capLen: record.data.byteLength,
    ...s,
  };
}

/** Decodes link-layer bytes of the given pcap link type. */
export function decodeFrame(linktype: number, d: Uint8Array, opts?: DecodeOptions): Summary {
  const ctx = opts === undefined ? DEFAULT_CTX : context(opts);
  switch (linktype) {
    case LINKTYPE_ETHERNET: {
      if (d.byteLength < 14) return { src: '', dst: '', protocol: 'ETH', info: '[truncated Ethernet header]' };
      const src = formatMac(d, 6);
      const dst = formatMac(d, 0);
      return decodeEthertypeWithVlan(d, 12, src, dst, ctx);
    }
    case LINKTYPE_LINUX_SLL: {
      // packet type(2) ARPHRD(2) address length(2) address(8) protocol(2)
      if (d.byteLength < 16) return { src: '', dst: '', protocol: 'SLL', info: '[truncated cooked header]' };
      const v = view(d);
      const alen = v.getUint16(4);
      const src = alen === 6 ? formatMac(d, 6) : '';
      return decodeEthertype(v.getUint16(14), d.subarray(16), src, '', ctx);
    }
    case LINKTYPE_LINUX_SLL2: {
      // protocol(2) reserved(2) ifindex(4) ARPHRD(2) packet type(1) address length(1) address(8)
      if (d.byteLength < 20) return { src: '', dst: '', protocol: 'SLL2', info: '[truncated cooked header]' };
      const v = view(d);
      const src = d[11] === 6 ? formatMac(d, 12) : '';
      return decodeEthertype(v.getUint16(0), d.subarray(20), src, '', ctx);
    }
    case LINKTYPE_RAW: {
      const version = (d[0] ?? 0) >> 4;
      return decodeEthertype(version === 6 ? 0x86dd : 0x0800, d, '', '', ctx);
    }
    default:
      return { src: '', dst: '', protocol: `LINKTYPE ${linktype}`, info: `${d.byteLength} bytes` };
  }
}

function decodeEthertypeWithVlan(d: Uint8Array, typeOffset: number, src: string, dst: string, ctx: Ctx): Summary {
  const v = view(d);
  const vlan: number[] = [];
  let off = typeOffset;
  let type = v.getUint16(off);
  // 802.1Q (0x8100) and 802.1ad (0x88a8) tags: TCI (PCP, DEI, VID), then the inner ethertype.
  while ((type === 0x8100 || type === 0x88a8) && d.byteLength >= off + 6) {
    vlan.push(v.getUint16(off + 2) & 0x0fff);
    off += 4;
    type = v.getUint16(off);
  }
  const s = decodeEthertype(type, d.subarray(off + 2), src, dst, ctx);
  if (!vlan.length) return s;
  return { ...s, vlan, info: `${vlan.map((id) => `[VLAN ${id}] `).join('')}${s.info}` };
}

function decodeEthertype(type: number, p: Uint8Array, src: string, dst: string, ctx: Ctx): Summary {
  switch (type) {
    case 0x0806:
      return decodeArp(p, src, dst);
    case 0x0800:
      return decodeIpv4(p, src, dst, ctx);
    case 0x86dd:
      return decodeIpv6(p, src, dst, ctx);
    default:
      if (type < 0x0600) return { src, dst, protocol: 'ETH', info: `802.3 frame, length ${type}` };
      return { src, dst, protocol: 'ETH', info: `Ethertype ${hex4(type)}` };
  }
}

function decodeArp(p: Uint8Array, src: string, dst: string): Summary {
  if (p.byteLength < 8) return { src, dst, protocol: 'ARP', info: '[truncated]' };
  const v = view(p);
  const hlen = p[4]!;
  const plen = p[5]!;
  const op = v.getUint16(6);
  if (v.getUint16(0) !== 1 || v.getUint16(2) !== 0x0800 || hlen !== 6 || plen !== 4 || p.byteLength < 28)
    return { src, dst, protocol: 'ARP', info: `opcode ${op}` };
  const sha = formatMac(p, 8);
  const spa = formatIpv4(p, 14);
  const tpa = formatIpv4(p, 24);
  if (op === 1)
    return {
      src: sha,
      dst: dst || 'ff:ff:ff:ff:ff:ff',
      protocol: 'ARP',
      info: spa === tpa ? `Gratuitous ARP for ${spa}` : `Who has ${tpa}? Tell ${spa}`,
    };
  if (op === 2) return { src: sha, dst: dst || formatMac(p, 18), protocol: 'ARP', info: `${spa} is at ${sha}` };
  return { src: sha, dst, protocol: 'ARP', info: `opcode ${op}` };
}

function decodeIpv4(p: Uint8Array, lsrc: string, ldst: string, ctx: Ctx): Summary {
  if (p.byteLength < 20 || p[0]! >> 4 !== 4) return { src: lsrc, dst: ldst, protocol: 'IPv4', info: '[truncated]' };
  const v = view(p);
  const ihl = (p[0]! & 0x0f) * 4;
  const total = v.getUint16(2);
  const frag = v.getUint16(6);
  const ttl = p[8]!;
  const proto = p[9]!;
  const src = formatIpv4(p, 12);
  const dst = formatIpv4(p, 16);
  const end = Math.min(p.byteLength, total >= ihl ? total : p.byteLength);
  const payload = p.subarray(Math.min(ihl, end), end);
  const offset = (frag & 0x1fff) * 8;
  if (offset > 0)
    return { src, dst, protocol: 'IPv4', info: `Fragment of proto ${proto}, offset ${offset}, ttl ${ttl}` };
  return decodeL4(proto, payload, src, dst, 4, `proto ${proto}, ttl ${ttl}`, ctx);
}

function decodeIpv6(p: Uint8Array, lsrc: string, ldst: string, ctx: Ctx): Summary {
  if (p.byteLength < 40 || p[0]! >> 4 !== 6) return { src: lsrc, dst: ldst, protocol: 'IPv6', info: '[truncated]' };
  const v = view(p);
  const plen = v.getUint16(4);
  const src = formatIpv6(p, 8);
  const dst = formatIpv6(p, 24);
  let next = p[6]!;
  let off = 40;
  const end = Math.min(p.byteLength, 40 + plen);
  // Extension headers: hop-by-hop (0), routing (43), destination options (60): length in 8-byte units.
  for (let i = 0; i < 8 && (next === 0 || next === 43 || next === 60 || next === 44); i++) {
    if (off + 8 > end) return { src, dst, protocol: 'IPv6', info: '[truncated extension header]' };
    if (next === 44) {
      const fragOff = view(p).getUint16(off + 2) & 0xfff8;
      if (fragOff !== 0) return { src, dst, protocol: 'IPv6', info: `Fragment, offset ${fragOff}` };
      next = p[off]!;
      off += 8;
      continue;
    }
    const n = p[off]!;
    off += (p[off + 1]! + 1) * 8;
    next = n;
  }
  return decodeL4(next, p.subarray(Math.min(off, end), end), src, dst, 6, `next header ${next}`, ctx);
}

function decodeL4(
  proto: number,
  p: Uint8Array,
  src: string,
  dst: string,
  family: 4 | 6,
  unknown: string,
  ctx: Ctx,
): Summary {
  switch (proto) {
    case 1:
      return { src, dst, protocol: 'ICMP', info: icmpInfo(p) };
    case 58:
      return { src, dst, protocol: 'ICMPv6', info: icmpv6Info(p) };
    case 6:
      return { src, dst, protocol: 'TCP', info: tcpInfo(p) };
    case 17:
      return udp(p, src, dst, ctx);
    default:
      return { src, dst, protocol: family === 4 ? 'IPv4' : 'IPv6', info: unknown };
  }
}

const UNREACHABLE4: Record<number, string> = {
  0: 'network unreachable',
  1: 'host unreachable',
  2: 'protocol unreachable',
  3: 'port unreachable',
  4: 'fragmentation needed',
  9: 'network prohibited',
  10: 'host prohibited',
  13: 'communication prohibited',
};

function echo(p: Uint8Array, what: string): string {
  if (p.byteLength < 8) return what;
  const v = view(p);
  return `${what} id=${hex4(v.getUint16(4))}, seq=${v.getUint16(6)}`;
}

function icmpInfo(p: Uint8Array): string {
  if (p.byteLength < 4) return '[truncated]';
  const type = p[0]!;
  const code = p[1]!;
  switch (type) {
    case 0:
      return echo(p, 'Echo (ping) reply');
    case 8:
      return echo(p, 'Echo (ping) request');
    case 3:
      return `Destination unreachable (${UNREACHABLE4[code] ?? `code ${code}`})`;
    case 5:
      return `Redirect (code ${code})`;
    case 11:
      return code === 0 ? 'Time-to-live exceeded in transit' : 'Fragment reassembly time exceeded';
    default:
      return `Type ${type}, code ${code}`;
  }
}

const UNREACHABLE6: Record<number, string> = {
  0: 'no route',
  1: 'administratively prohibited',
  3: 'address unreachable',
  4: 'port unreachable',
};

function icmpv6Info(p: Uint8Array): string {
  if (p.byteLength < 4) return '[truncated]';
  const type = p[0]!;
  const code = p[1]!;
  const target = () => (p.byteLength >= 24 ? formatIpv6(p, 8) : '?');
  switch (type) {
    case 1:
      return `Destination unreachable (${UNREACHABLE6[code] ?? `code ${code}`})`;
    case 2:
      return 'Packet too big';
    case 3:
      return 'Time exceeded';
    case 128:
      return echo(p, 'Echo (ping) request');
    case 129:
      return echo(p, 'Echo (ping) reply');
    case 130:
      return 'Multicast listener query';
    case 131:
    case 143:
      return type === 143 ? 'Multicast listener report v2' : 'Multicast listener report';
    case 133:
      return 'Router solicitation';
    case 134:
      return 'Router advertisement';
    case 135:
      return `Neighbor solicitation for ${target()}`;
    case 136:
      return `Neighbor advertisement ${target()}`;
    case 137:
      return 'Redirect';
    default:
      return `Type ${type}, code ${code}`;
  }
}

const TCP_FLAGS: [number, string][] = [
  [0x01, 'FIN'],
  [0x02, 'SYN'],
  [0x04, 'RST'],
  [0x08, 'PSH'],
  [0x10, 'ACK'],
  [0x20, 'URG'],
  [0x40, 'ECE'],
  [0x80, 'CWR'],
];

/** TCP flags in Wireshark's order and spelling: `[SYN, ACK]`. */
export function tcpFlags(bits: number): string {
  const names = TCP_FLAGS.filter(([b]) => bits & b).map(([, n]) => n);
  return `[${names.join(', ')}]`;
}

function tcpInfo(p: Uint8Array): string {
  if (p.byteLength < 20) return '[truncated]';
  const v = view(p);
  const sport = v.getUint16(0);
  const dport = v.getUint16(2);
  const seq = v.getUint32(4);
  const ack = v.getUint32(8);
  const hlen = (p[12]! >> 4) * 4;
  const flags = p[13]!;
  const win = v.getUint16(14);
  const len = Math.max(0, p.byteLength - hlen);
  const ackText = flags & 0x10 ? ` Ack=${ack}` : '';
  return `${sport} → ${dport} ${tcpFlags(flags)} Seq=${seq}${ackText} Win=${win} Len=${len}`;
}

const DNS_TYPES: Record<number, string> = {
  1: 'A',
  2: 'NS',
  5: 'CNAME',
  6: 'SOA',
  12: 'PTR',
  15: 'MX',
  16: 'TXT',
  28: 'AAAA',
  33: 'SRV',
  65: 'HTTPS',
  255: 'ANY',
};

/** The first question of a DNS message (no compression pointers in a question name of a query). */
function dnsInfo(p: Uint8Array): string | null {
  if (p.byteLength < 12) return null;
  const v = view(p);
  const id = v.getUint16(0);
  const flags = v.getUint16(2);
  const qd = v.getUint16(4);
  const response = (flags & 0x8000) !== 0;
  let name = '';
  let off = 12;
  if (qd > 0) {
    const labels: string[] = [];
    for (let i = 0; i < 64; i++) {
      const len = p[off];
      if (len === undefined) return null;
      if (len === 0) {
        off++;
        break;
      }
      if (len & 0xc0 || off + 1 + len > p.byteLength) return null;
      labels.push(String.fromCharCode(...p.subarray(off + 1, off + 1 + len)));
      off += 1 + len;
    }
    name = labels.join('.') || '<root>';
  }
  const qtype = off + 2 <= p.byteLength ? v.getUint16(off) : 0;
  const type = DNS_TYPES[qtype] ?? (qtype ? `TYPE${qtype}` : '');
  return `Standard query${response ? ' response' : ''} ${hex4(id)}${type ? ` ${type}` : ''}${name ? ` ${name}` : ''}`;
}

function udp(p: Uint8Array, src: string, dst: string, ctx: Ctx): Summary {
  if (p.byteLength < 8) return { src, dst, protocol: 'UDP', info: '[truncated]' };
  const v = view(p);
  const sport = v.getUint16(0);
  const dport = v.getUint16(2);
  const len = v.getUint16(4);
  if (sport === 53 || dport === 53 || sport === 5353 || dport === 5353) {
    const dns = dnsInfo(p.subarray(8));
    if (dns) return { src, dst, protocol: sport === 5353 || dport === 5353 ? 'MDNS' : 'DNS', info: dns };
  }
  const tunnel = decodeUdpTunnel(p.subarray(8), Math.max(0, len - 8), sport, dport, src, dst, ctx);
  if (tunnel) return tunnel;
  return { src, dst, protocol: 'UDP', info: `${sport} → ${dport} Len=${Math.max(0, len - 8)}` };
}

// ---- tunnels over UDP ----

/** Tunnels nest (VXLAN over VXLAN over …); a few levels say enough, and bound the work per packet. */
const MAX_TUNNEL_DEPTH = 4;

/** VXLAN or WireGuard in a UDP payload, or null when it is neither. */
function decodeUdpTunnel(
  payload: Uint8Array,
  /** The payload's length on the wire (the capture may hold fewer bytes). */
  length: number,
  sport: number,
  dport: number,
  src: string,
  dst: string,
  ctx: Ctx,
): Summary | null {
  if (ctx.depth >= MAX_TUNNEL_DEPTH) return null;
  if (ctx.vxlan.has(dport)) return decodeVxlan(payload, src, dst, ctx);
  const known = ctx.wireguard.has(dport) || ctx.wireguard.has(sport);
  return decodeWireguard(payload, length, `${sport} → ${dport} `, src, dst, known);
}

/**
 * RFC 7348: flags (0x08 = the VNI is valid), 3 reserved bytes, the 24-bit VNI, 1 reserved byte, then a whole
 * Ethernet frame, decoded like any other. The summary is the inner frame's, tagged with the tunnel.
 */
function decodeVxlan(p: Uint8Array, outerSrc: string, outerDst: string, ctx: Ctx): Summary | null {
  if (p.byteLength < 8 || (p[0]! & 0x08) === 0) return null;
  const vni = (p[4]! << 16) | (p[5]! << 8) | p[6]!;
  const layer: TunnelLayer = { kind: 'vxlan', vni, outerSrc, outerDst };
  const tag = `[VXLAN ${vni} ${outerSrc} → ${outerDst}] `;
  const frame = p.subarray(8);
  if (frame.byteLength < 14)
    return { src: outerSrc, dst: outerDst, protocol: 'VXLAN', info: `${tag}[truncated inner frame]`, tunnels: [layer] };
  const inner = decodeEthertypeWithVlan(frame, 12, formatMac(frame, 6), formatMac(frame, 0), {
    ...ctx,
    depth: ctx.depth + 1,
  });
  return { ...inner, info: `${tag}${inner.info}`, tunnels: [layer, ...(inner.tunnels ?? [])] };
}

const WG_MESSAGES: Record<number, { message: WireguardMessage; len: number; text: string }> = {
  1: { message: 'initiation', len: 148, text: 'Handshake initiation' },
  2: { message: 'response', len: 92, text: 'Handshake response' },
  3: { message: 'cookie', len: 64, text: 'Cookie reply' },
};

const index32 = (p: Uint8Array, off: number) => `0x${view(p).getUint32(off, true).toString(16).padStart(8, '0')}`;

/**
 * A WireGuard message (whitepaper §5.4): type byte, 3 zero bytes, then little-endian indexes; everything
 * after them is encrypted and stays so here. On a port known to carry WireGuard any such message is taken;
 * elsewhere only shapes that fit exactly: the handshake and cookie messages have fixed sizes, and transport
 * data is 32 bytes plus a multiple of 16 (padded plaintext) with a counter below 2^32 (new sessions start at 0).
 */
function decodeWireguard(
  p: Uint8Array,
  length: number,
  ports: string,
  outerSrc: string,
  outerDst: string,
  known: boolean,
): Summary | null {
  if (p.byteLength < 12 || p[1] !== 0 || p[2] !== 0 || p[3] !== 0) return null;
  const type = p[0]!;
  const fixed = WG_MESSAGES[type];
  let message: WireguardMessage;
  let info: string;
  if (fixed) {
    if (length !== fixed.len && !known) return null;
    message = fixed.message;
    info =
      type === 1
        ? `${fixed.text}, sender ${index32(p, 4)}`
        : type === 2
          ? `${fixed.text}, sender ${index32(p, 4)}, receiver ${index32(p, 8)}`
          : `${fixed.text}, receiver ${index32(p, 4)}`;
  } else if (type === 4) {
    if (length < 32 || p.byteLength < 16) return null;
    const v = view(p);
    const high = v.getUint32(12, true);
    if (!known && ((length - 32) % 16 !== 0 || high !== 0)) return null;
    const counter = high * 2 ** 32 + v.getUint32(8, true);
    const data = length - 32;
    message = data === 0 ? 'keepalive' : 'transport';
    info =
      data === 0
        ? `Keepalive, receiver ${index32(p, 4)}, counter ${counter}`
        : `Transport data, receiver ${index32(p, 4)}, counter ${counter}, ${data} bytes encrypted`;
  } else return null;
  return {
    src: outerSrc,
    dst: outerDst,
    protocol: 'WireGuard',
    info: `${ports}${info}`,
    tunnels: [{ kind: 'wireguard', message, outerSrc, outerDst }],
  };
}

/**
 * IPv4/IPv6 address arithmetic for validation: parse, format (canonical, as `ip` prints it), network,
 * broadcast, containment and overlap. Addresses are bigints so both families share one code path.
 * Pure; imports nothing; never throws (bad text parses to `null`).
 */

export type Family = 4 | 6;

/** One address: `value` is the address as an unsigned integer of 32 (IPv4) or 128 (IPv6) bits. */
export interface IpAddr {
  family: Family;
  value: bigint;
}

/** An address with a prefix length, e.g. `10.0.0.1/24` (host bits may be set: an interface address). */
export interface Cidr extends IpAddr {
  prefix: number;
}

export const familyBits = (family: Family): 32 | 128 => (family === 4 ? 32 : 128);

const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

/**
 * The decimal number `text[start, end)` spells: 1 to 3 digits, no leading zero (inet_aton reads `010` as
 * octal 8, so such text is ambiguous); -1 otherwise. A character loop, not split + regex: validation and
 * the planner read every address of a large lab with it.
 */
function smallDecimal(text: string, start: number, end: number): number {
  const length = end - start;
  if (length < 1 || length > 3) return -1;
  let n = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9 || (c === 0 && i === start && length > 1)) return -1;
    n = n * 10 + c;
  }
  return n;
}

function parseIpv4(text: string): bigint | null {
  let value = 0;
  let start = 0;
  for (let part = 0; part < 4; part++) {
    const dot = part < 3 ? text.indexOf('.', start) : text.length;
    if (dot < 0) return null;
    const n = smallDecimal(text, start, dot);
    if (n < 0 || n > 255) return null;
    value = value * 256 + n;
    start = dot + 1;
  }
  return BigInt(value);
}

function parseIpv6(text: string): bigint | null {
  if (text.length > 45) return null; // the longest form is 8 × 4 digits + 7 colons, or 6 groups + a dotted quad
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const groups = (half: string): number[] | null => {
    if (half === '') return [];
    const out: number[] = [];
    const parts = half.split(':');
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      if (i === parts.length - 1 && part.includes('.')) {
        // An embedded IPv4 address (e.g. ::ffff:10.0.0.1) counts as the last two groups.
        const v4 = parseIpv4(part);
        if (v4 === null) return null;
        out.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
      } else {
        if (!HEX_GROUP.test(part)) return null;
        out.push(Number.parseInt(part, 16));
      }
    }
    return out;
  };
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (head === null || tail === null) return null;
  // An embedded IPv4 address may only end the address.
  if (halves.length === 2 && halves[0]!.includes('.')) return null;
  let all: number[];
  if (halves.length === 2) {
    const missing = 8 - head.length - tail.length;
    if (missing < 1) return null;
    all = [...head, ...new Array<number>(missing).fill(0), ...tail];
  } else {
    if (head.length !== 8) return null;
    all = head;
  }
  let value = 0n;
  for (const g of all) value = (value << 16n) | BigInt(g);
  return value;
}

/** Parses `10.0.0.1` or `fd00::1`; null if the text is not exactly one address. */
export function parseIp(text: string): IpAddr | null {
  if (typeof text !== 'string' || text.length === 0 || text.length > 45) return null;
  if (text.includes(':')) {
    const value = parseIpv6(text);
    return value === null ? null : { family: 6, value };
  }
  const value = parseIpv4(text);
  return value === null ? null : { family: 4, value };
}

/** Parses `10.0.0.1/24` or `fd00::1/64`; null unless the text is exactly an address, `/` and a prefix length. */
export function parseCidr(text: string): Cidr | null {
  if (typeof text !== 'string' || text.length > 49) return null;
  const slash = text.indexOf('/');
  if (slash < 0 || slash !== text.lastIndexOf('/')) return null;
  const ip = parseIp(text.slice(0, slash));
  const prefix = smallDecimal(text, slash + 1, text.length);
  if (ip === null || prefix < 0 || prefix > familyBits(ip.family)) return null;
  return { family: ip.family, value: ip.value, prefix };
}

// Masks are precomputed: validation of a large lab does this per address, and bigints are not free.
const masks = (bits: number): bigint[] => {
  const all = (1n << BigInt(bits)) - 1n;
  return Array.from({ length: bits + 1 }, (_, p) => (all << BigInt(bits - p)) & all);
};
const NETMASKS: Record<Family, bigint[]> = { 4: masks(32), 6: masks(128) };
const ALL_ONES: Record<Family, bigint> = { 4: (1n << 32n) - 1n, 6: (1n << 128n) - 1n };

/** All ones in the prefix part, zeros in the host part. */
export function netmask(family: Family, prefix: number): bigint {
  return NETMASKS[family][prefix] ?? 0n;
}

const hostmask = (c: Cidr): bigint => ALL_ONES[c.family] ^ netmask(c.family, c.prefix);

/** The first address of the subnet (host bits cleared). */
export const networkAddress = (c: Cidr): bigint => c.value & netmask(c.family, c.prefix);

/** The last address of the subnet (host bits set); for IPv4 ≤ /30 this is the broadcast address. */
export const lastAddress = (c: Cidr): bigint => c.value | hostmask(c);

/** The subnet an interface address is on: `10.0.0.7/24` → `10.0.0.0/24`. */
export const subnetOf = (c: Cidr): Cidr => ({ family: c.family, value: networkAddress(c), prefix: c.prefix });

/** True when any host bit is set, i.e. the text is not a network address (`10.0.0.1/24`). */
export const hasHostBits = (c: Cidr): boolean => (c.value & hostmask(c)) !== 0n;

/** True when `addr` lies inside the subnet of `net`. */
export const contains = (net: Cidr, addr: IpAddr): boolean =>
  net.family === addr.family && (addr.value & netmask(net.family, net.prefix)) === networkAddress(net);

/** True when the two subnets share at least one address (prefixes either nest or are disjoint). */
export function overlaps(a: Cidr, b: Cidr): boolean {
  if (a.family !== b.family) return false;
  const shorter = Math.min(a.prefix, b.prefix);
  const mask = netmask(a.family, shorter);
  return (a.value & mask) === (b.value & mask);
}

function formatIpv4(value: bigint): string {
  const n = Number(value);
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/**
 * IPv6 text exactly as glibc's inet_ntop (and so `ip -j addr`) prints it: lowercase, no leading zeros, the
 * longest run of two or more zero groups (the first on a tie) as `::`, and IPv4-mapped/compatible addresses
 * with a dotted quad. Comparing our text with observed text then needs no further normalization.
 */
function formatIpv6(value: bigint): string {
  const words: number[] = [];
  for (let i = 7; i >= 0; i--) words.push(Number((value >> BigInt(i * 16)) & 0xffffn));
  let bestBase = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      bestBase = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestLen < 2) bestBase = -1;
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (bestBase >= 0 && i >= bestBase && i < bestBase + bestLen) {
      if (i === bestBase) out += ':';
      continue;
    }
    if (i !== 0) out += ':';
    if (i === 6 && bestBase === 0 && (bestLen === 6 || (bestLen === 5 && words[5] === 0xffff))) {
      out += formatIpv4(value & 0xffffffffn);
      break;
    }
    out += words[i]!.toString(16);
  }
  if (bestBase >= 0 && bestBase + bestLen === 8) out += ':';
  return out;
}

export const formatIp = (a: IpAddr): string => (a.family === 4 ? formatIpv4(a.value) : formatIpv6(a.value));

export const formatCidr = (c: Cidr): string => `${formatIp(c)}/${c.prefix}`;

/** The canonical spelling of an address or CIDR text, or null when it does not parse. */
export function canonicalCidr(text: string): string | null {
  const c = parseCidr(text);
  return c === null ? null : formatCidr(c);
}

export function canonicalIp(text: string): string | null {
  const a = parseIp(text);
  return a === null ? null : formatIp(a);
}

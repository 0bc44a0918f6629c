/**
 * The Lab document: what Netloom realizes on a host. One zod schema is the source of truth; TypeScript
 * types are inferred from it and `lab.schema.json` is generated from it. Structural rules only —
 * cross-reference rules (duplicates, subnets, dangling endpoints) live in `validate.ts`.
 */
import * as z from 'zod';
import { LAB_VERSION } from './migrations';
import { ID_PATTERN, ifnameProblem, LAB_NAME_PATTERN, netnsNameProblem } from './names';
import { parseCidr, parseIp } from './net';

/** Kernel name check; `params.code` gives validate() a stable issue code. */
const nameRule = (max: number, problem: (s: string) => string | null) => (s: string, ctx: z.RefinementCtx) => {
  // Over-long text is already reported by `.max()`; do not scan (or quote) a huge string again.
  if (s.length > max) return;
  const p = problem(s);
  if (p) ctx.addIssue({ code: 'custom', message: p, params: { code: 'InvalidName' } });
};

/** Stable identity of an object in the design, separate from its kernel name (a rename stays a rename). */
export const Id = z
  .string()
  .max(48)
  .regex(ID_PATTERN, 'an id starts with a letter and uses only letters, digits, "_" and "-" (at most 48)');
export type Id = z.infer<typeof Id>;

export const LabName = z
  .string()
  .max(32)
  .regex(LAB_NAME_PATTERN, 'a lab name uses lowercase letters, digits and "-", starts with a letter, at most 32');
export type LabName = z.infer<typeof LabName>;

export const IfName = z
  .string()
  .max(64, 'an interface name is at most 15 bytes long')
  .superRefine(nameRule(64, ifnameProblem));
export type IfName = z.infer<typeof IfName>;

export const NetnsName = z
  .string()
  .max(256, 'a namespace name is at most 64 bytes long')
  .superRefine(nameRule(256, netnsNameProblem));
export type NetnsName = z.infer<typeof NetnsName>;

/** An interface address with its prefix length, IPv4 (`10.0.0.1/24`) or IPv6 (`fd00::1/64`). */
export const Cidr = z
  .union([z.cidrv4(), z.cidrv6()], { error: 'expected an address with a prefix, e.g. 10.0.0.1/24' })
  // zod's cidrv6 accepts a fractional prefix such as `::/0.7`; our own parser (what validate and the planner
  // use) is the authority on what an address is.
  .refine((s) => parseCidr(s) !== null, 'the prefix length must be a whole number, e.g. fd00::1/64');
export type Cidr = z.infer<typeof Cidr>;

export const IpAddress = z
  .union([z.ipv4(), z.ipv6()], { error: 'expected an IPv4 or IPv6 address' })
  .refine((s) => parseIp(s) !== null, 'expected an IPv4 or IPv6 address');
export type IpAddress = z.infer<typeof IpAddress>;

export const Mtu = z
  .number()
  .int('MTU must be a whole number')
  .min(68, 'MTU must be at least 68')
  .max(65535, 'MTU must be at most 65535');

/** Unicast, so the first octet's lowest bit is 0; all-zero is not a usable address either. */
export const Mac = z
  .string()
  .regex(/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/, 'a MAC address looks like 02:00:00:00:00:01')
  .refine((m) => (Number.parseInt(m.slice(0, 2), 16) & 1) === 0, {
    error: 'a MAC address must be unicast (first octet even)',
    params: { code: 'MulticastMac' },
  })
  .refine((m) => m.toLowerCase() !== '00:00:00:00:00:00', {
    error: 'the all-zero MAC address is not usable',
    params: { code: 'ZeroMac' },
  });

/** Free text shown to people; never passed to a command. */
const Prose = (max: number) =>
  z
    .string()
    .max(max)
    // Control characters would corrupt terminals and logs; newlines and tabs are fine in prose.
    // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
    .regex(/^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]*$/, 'text cannot contain control characters');

export const Route = z.strictObject({
  /** Destination prefix, or `default`. */
  to: z.union([z.literal('default'), Cidr], {
    error: 'expected "default" or a network with a prefix, e.g. 10.1.0.0/24',
  }),
  /** Next hop; must be on a subnet connected to this namespace. */
  via: IpAddress.optional(),
  /** Outgoing interface (one of this namespace's interface names). */
  dev: IfName.optional(),
  metric: z.number().int().min(0).max(4294967295).optional(),
});
export type Route = z.infer<typeof Route>;

const Ipv4 = z.ipv4({ error: 'expected an IPv4 address, e.g. 192.168.1.2' });

/** Fields every node-attached interface has. */
const AttachedBase = {
  name: IfName,
  addresses: z.array(Cidr).max(64).default([]),
  mtu: Mtu.optional(),
  /** Id of a bridge node in the same namespace: the interface becomes one of its ports. */
  bridge: Id.optional(),
};

/** A VXLAN tunnel endpoint (L2 over UDP): one remote peer (`remote`) or a multicast `group`. */
export const VxlanInterface = z.strictObject({
  kind: z.literal('vxlan'),
  ...AttachedBase,
  /** VXLAN network identifier. */
  vni: z
    .number()
    .int('the VNI is a whole number')
    .min(1, 'the VNI is at least 1')
    .max(16777215, 'the VNI is at most 16777215'),
  remote: Ipv4.optional(),
  group: Ipv4.optional(),
  /** Underlay source address (one of this namespace's addresses). */
  local: Ipv4.optional(),
  dstPort: z.number().int().min(1).max(65535).default(4789),
  /** Underlay interface (needed with `group`). */
  dev: IfName.optional(),
});
export type VxlanInterface = z.infer<typeof VxlanInterface>;

/** A persistent TAP device (for a VM or a user-space program). */
export const TapInterface = z.strictObject({ kind: z.literal('tap'), ...AttachedBase });
export type TapInterface = z.infer<typeof TapInterface>;

/**
 * An 802.1Q sub-interface of `parent` (an interface of the same namespace). Needs the kernel's 8021q
 * support: refused at plan time where capabilities().vlan is false.
 */
export const VlanInterface = z.strictObject({
  kind: z.literal('vlan'),
  ...AttachedBase,
  parent: IfName,
  vlanId: z.number().int().min(1, 'a VLAN id is 1 to 4094').max(4094, 'a VLAN id is 1 to 4094'),
});
export type VlanInterface = z.infer<typeof VlanInterface>;

/**
 * A macvlan on an interface of the host's root namespace (`parent`, e.g. a physical NIC), placed in this
 * namespace: the namespace gets its own MAC on the parent's network. Mode `bridge` (macvlans on the same
 * parent reach each other).
 */
export const MacvlanInterface = z.strictObject({
  kind: z.literal('macvlan'),
  ...AttachedBase,
  parent: IfName,
  mode: z.literal('bridge').default('bridge'),
});
export type MacvlanInterface = z.infer<typeof MacvlanInterface>;

/**
 * Point-to-point IP tunnels: `gre` (IP in GRE, layer 3) and `ipip` (IPv4 in IPv4) carry IPv4 packets to
 * one `remote` underlay address. Need the kernel's ip_gre / ipip modules: refused at plan time without them.
 * Layer 3: not a bridge port.
 */
export const GreInterface = z.strictObject({
  kind: z.enum(['gre', 'ipip']),
  ...AttachedBase,
  /** The far end's underlay address. */
  remote: Ipv4,
  /** This end's underlay address (one of this namespace's addresses). */
  local: Ipv4.optional(),
  /** TTL of the outer packets (absent: inherited from the inner one). */
  ttl: z.number().int().min(1).max(255).optional(),
});
export type GreInterface = z.infer<typeof GreInterface>;

/** An IPv6 tunnel (ip6tnl): IPv6 (ip6ip6), IPv4 (ipip6) or both (any) over an IPv6 underlay. Needs ip6_tunnel. */
export const Ip6tnlInterface = z.strictObject({
  kind: z.literal('ip6tnl'),
  ...AttachedBase,
  remote: z.ipv6({ error: 'expected an IPv6 address, e.g. fd00::2' }),
  local: z.ipv6({ error: 'expected an IPv6 address, e.g. fd00::1' }).optional(),
  mode: z.enum(['ip6ip6', 'ipip6', 'any']).default('any'),
});
export type Ip6tnlInterface = z.infer<typeof Ip6tnlInterface>;

/** A GENEVE tunnel (Ethernet over UDP, like VXLAN, port 6081) to one `remote`. Needs the geneve module. */
export const GeneveInterface = z.strictObject({
  kind: z.literal('geneve'),
  ...AttachedBase,
  vni: z
    .number()
    .int('the VNI is a whole number')
    .min(0, 'the VNI is 0 to 16777215')
    .max(16777215, 'the VNI is 0 to 16777215'),
  remote: Ipv4,
  dstPort: z.number().int().min(1).max(65535).default(6081),
});
export type GeneveInterface = z.infer<typeof GeneveInterface>;

const Port = z
  .number()
  .int('a port is a whole number')
  .min(1, 'a port is 1 to 65535')
  .max(65535, 'a port is 1 to 65535');

/**
 * A WireGuard public key: 32 bytes in base64, as `wg pubkey` prints it (44 characters, the last one "=";
 * 256 bits leave the last base64 digit's two low bits zero).
 */
export const WireguardKey = z
  .string()
  .regex(
    /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/,
    'a WireGuard public key is 44 characters of base64 ending in "=", as `wg pubkey` prints it',
  );
export type WireguardKey = z.infer<typeof WireguardKey>;

/**
 * One peer of a WireGuard interface: either another WireGuard interface of this lab (`node` + `interface`;
 * its public key is derived from the key Netloom keeps for it, so a lab file never holds a key) or a
 * `publicKey` of a peer outside the lab.
 */
export const WireguardPeer = z.strictObject({
  /** Id of the namespace node holding the peer interface. */
  node: Id.optional(),
  /** Name of the peer's WireGuard interface in that node. */
  interface: IfName.optional(),
  publicKey: WireguardKey.optional(),
  /**
   * Where this end sends its handshakes (the peer's underlay address and UDP port; the port defaults to
   * the peer interface's `listenPort`). Absent: this end waits until the peer reaches it first.
   */
  endpoint: z.strictObject({ address: IpAddress, port: Port.optional() }).optional(),
  /**
   * Cryptokey routing: the inner networks this peer may send from, and which this end sends to it.
   * Networks, written canonically (10.2.0.0/24, not 10.2.0.1/24).
   */
  allowedIps: z.array(Cidr).max(64).default([]),
  /** Seconds between keepalive packets (keeps a NAT mapping open); absent: none. */
  persistentKeepalive: z.number().int().min(1).max(65535).optional(),
});
export type WireguardPeer = z.infer<typeof WireguardPeer>;

/**
 * A WireGuard interface (a layer-3 VPN tunnel over UDP). Realized with the kernel's wireguard module where
 * it exists, else with userspace wireguard-go on a TUN device; its private key is generated per lab and
 * kept by the server, never in the lab. Layer 3 (no Ethernet frames): `bridge` is refused by validate().
 */
export const WireguardInterface = z.strictObject({
  kind: z.literal('wireguard'),
  /** `mtu` defaults to 1420: 1500 minus WireGuard's 80 bytes of outer IPv6 + UDP + header. `bridge` is refused. */
  ...AttachedBase,
  /** UDP port this end listens on; absent: a random one (then peers cannot name it as an endpoint). */
  listenPort: Port.optional(),
  peers: z.array(WireguardPeer).max(256).default([]),
  /** Add a route through this interface for each peer's allowed IPs (what `wg-quick` does). */
  routeAllowedIps: z.boolean().optional(),
});
export type WireguardInterface = z.infer<typeof WireguardInterface>;

/** Interfaces that belong to one namespace node (not links between nodes). */
export const AttachedInterface = z.discriminatedUnion('kind', [
  VxlanInterface,
  TapInterface,
  VlanInterface,
  MacvlanInterface,
  WireguardInterface,
  GreInterface,
  Ip6tnlInterface,
  GeneveInterface,
]);
export type AttachedInterface = z.infer<typeof AttachedInterface>;

export const NamespaceNode = z.strictObject({
  id: Id,
  kind: z.literal('namespace'),
  name: NetnsName,
  /** IP forwarding (IPv4 and IPv6) inside the namespace: makes it a router. */
  forwarding: z.boolean().default(false),
  /**
   * Reverse-path filter (net.ipv4.conf.{all,default}.rp_filter): 0 off, 1 strict, 2 loose. Absent: left as
   * the kernel has it.
   */
  rpFilter: z
    .union([z.literal(0), z.literal(1), z.literal(2)], { error: 'rpFilter is 0 (off), 1 (strict) or 2 (loose)' })
    .optional(),
  /** Proxy ARP (net.ipv4.conf.{all,default}.proxy_arp). Absent: left as the kernel has it. */
  proxyArp: z.boolean().optional(),
  routes: z.array(Route).max(1024).default([]),
  /** VXLAN / TAP / VLAN / macvlan / WireGuard / GRE / IPIP / ip6tnl / GENEVE interfaces living in this namespace. */
  interfaces: z.array(AttachedInterface).max(256).optional(),
  description: Prose(2000).optional(),
});
export type NamespaceNode = z.infer<typeof NamespaceNode>;

export const BridgeNode = z.strictObject({
  id: Id,
  kind: z.literal('bridge'),
  name: IfName,
  /** Id of the namespace node the bridge lives in; absent means the host's root namespace. */
  namespace: Id.optional(),
  stp: z.boolean().optional(),
  mtu: Mtu.optional(),
  /** Addresses on the bridge interface itself (e.g. a gateway for the LAN). */
  addresses: z.array(Cidr).max(64).default([]),
  /**
   * 802.1Q VLAN filtering (`vlan_filtering 1`): the bridge forwards a frame only between ports that are
   * members of its VLAN (set per port with the endpoint's `vlan`). Absent or false: a plain bridge. Needs the
   * kernel's bridge VLAN support: refused at plan time where capabilities().bridgeVlan is false.
   */
  vlanFiltering: z.boolean().optional(),
  description: Prose(2000).optional(),
});
export type BridgeNode = z.infer<typeof BridgeNode>;

/**
 * Source NAT on the host for traffic of the lab leaving through the host's other interfaces (an uplink to
 * the outside). Realized as one nftables table Netloom owns (`table ip netloom_<lab>`, never anything
 * else); the root namespace's `net.ipv4.ip_forward` is turned on if it was off and restored when the NAT
 * goes away.
 */
export const HostNat = z.strictObject({
  /** Rewrite the source address of forwarded lab traffic to the host's outgoing address. */
  masquerade: z.boolean().default(true),
  /** IPv4 networks whose traffic is masqueraded; default: every IPv4 subnet of the lab. */
  sources: z
    .array(z.cidrv4({ error: 'expected an IPv4 network with a prefix, e.g. 10.0.0.0/24' }))
    .max(16)
    .optional(),
});
export type HostNat = z.infer<typeof HostNat>;

/** The host's root network namespace (at most one per lab). */
export const HostNode = z.strictObject({
  id: Id,
  kind: z.literal('host'),
  nat: HostNat.optional(),
  /**
   * Allow changes to the root-namespace interface that carries the host's default route (refused by
   * default: a mistake there cuts the host off).
   */
  allowDefaultRouteInterface: z.boolean().optional(),
  description: Prose(2000).optional(),
});
export type HostNode = z.infer<typeof HostNode>;

export const LabNode = z.discriminatedUnion('kind', [NamespaceNode, BridgeNode, HostNode]);
export type LabNode = z.infer<typeof LabNode>;
export type NodeKind = LabNode['kind'];

/**
 * Impairment of the traffic LEAVING one interface (its egress; put one on each end for both directions).
 * `rateKbit` (+ `burstKb`, `latencyMs`) is a token-bucket rate limit (`tc … tbf`). The other fields need the
 * `netem` qdisc: a kernel without it gets a plan-time Unsupported error naming the field, and nothing runs.
 */
export const Impairment = z.strictObject({
  /** Rate limit in kilobits per second (1000 = 1 Mbit/s). */
  rateKbit: z
    .number()
    .int('the rate is a whole number of kbit/s')
    .min(8, 'the rate must be at least 8 kbit/s')
    .max(100_000_000, 'the rate must be at most 100000000 kbit/s (100 Gbit/s)')
    .optional(),
  /** Token bucket size in kilobytes (default 32); must hold one full packet (more than the MTU). */
  burstKb: z
    .number()
    .int('the burst is a whole number of kilobytes')
    .min(2, 'the burst must be at least 2 KB')
    .max(65536, 'the burst must be at most 65536 KB')
    .optional(),
  /** How long a packet may wait in the rate limiter's queue before it is dropped (default 50 ms). */
  latencyMs: z
    .number()
    .int('the latency is a whole number of ms')
    .min(1, 'the latency must be at least 1 ms')
    .max(10_000, 'the latency must be at most 10000 ms')
    .optional(),
  /** Added one-way delay (netem). */
  delayMs: z
    .number()
    .int('the delay is a whole number of ms')
    .min(0)
    .max(60_000, 'the delay must be at most 60000 ms')
    .optional(),
  /** Random variation of the delay (netem); needs `delayMs`. */
  jitterMs: z
    .number()
    .int('the jitter is a whole number of ms')
    .min(0)
    .max(60_000, 'the jitter must be at most 60000 ms')
    .optional(),
  /** Percentage of packets dropped (netem). */
  lossPct: z.number().min(0, 'a percentage is at least 0').max(100, 'a percentage is at most 100').optional(),
  /** Percentage of packets sent twice (netem). */
  duplicatePct: z.number().min(0, 'a percentage is at least 0').max(100, 'a percentage is at most 100').optional(),
  /** Percentage of packets with a flipped bit (netem). */
  corruptPct: z.number().min(0, 'a percentage is at least 0').max(100, 'a percentage is at most 100').optional(),
});
export type Impairment = z.infer<typeof Impairment>;
/** The fields that need the netem qdisc, in the order they are reported. */
export const NETEM_FIELDS = ['delayMs', 'jitterMs', 'lossPct', 'duplicatePct', 'corruptPct'] as const;
/** How a message names each netem field ("delay on veth-red needs …"). */
export const NETEM_WORDS: Readonly<Record<(typeof NETEM_FIELDS)[number], string>> = {
  delayMs: 'delay',
  jitterMs: 'jitter',
  lossPct: 'loss',
  duplicatePct: 'duplicate',
  corruptPct: 'corrupt',
};

const VlanId = z
  .number()
  .int('a VLAN id is a whole number')
  .min(1, 'a VLAN id is 1 to 4094')
  .max(4094, 'a VLAN id is 1 to 4094');

/**
 * VLAN membership of a bridge port (an endpoint on a bridge node with `vlanFiltering: true`):
 * - `pvid`: the port's native VLAN — untagged frames arriving on the port belong to it (default 1, the
 *   kernel's default);
 * - `untagged`: frames of the pvid leave the port without a tag (default true: an access port);
 * - `tagged`: further VLANs the port carries with their 802.1Q tag (a trunk).
 * `{ pvid: 10 }` is an access port in VLAN 10; `{ tagged: [10, 20] }` a trunk that also keeps VLAN 1
 * untagged. An endpoint on a filtering bridge without `vlan` is in VLAN 1 (pvid, untagged).
 */
export const PortVlan = z.strictObject({
  pvid: VlanId.optional(),
  untagged: z.boolean().optional(),
  tagged: z.array(VlanId).max(4094).optional(),
});
export type PortVlan = z.infer<typeof PortVlan>;

export const Endpoint = z.strictObject({
  /** Id of the node this end lives in. An end on a bridge is enslaved to it (in the bridge's namespace). */
  node: Id,
  ifname: IfName,
  addresses: z.array(Cidr).max(64).default([]),
  mtu: Mtu.optional(),
  mac: Mac.optional(),
  /** Administrative state; `false` sets the interface down (a fault for teaching). */
  up: z.boolean().default(true),
  /** Egress impairment of this end (rate limit, and netem delay/loss where the kernel has netem). */
  impairment: Impairment.optional(),
  /** VLAN membership of this bridge port; only on an end whose node is a bridge with `vlanFiltering`. */
  vlan: PortVlan.optional(),
});
export type Endpoint = z.infer<typeof Endpoint>;

export const VethLink = z.strictObject({
  id: Id,
  kind: z.literal('veth'),
  endpoints: z.tuple([Endpoint, Endpoint]),
  description: Prose(2000).optional(),
});
export type VethLink = z.infer<typeof VethLink>;

export const LabLink = z.discriminatedUnion('kind', [VethLink]);
export type LabLink = z.infer<typeof LabLink>;

export const Lab = z.strictObject({
  version: z.literal(LAB_VERSION),
  /** Key of the lab: its file name and part of every ownership marker. */
  name: LabName,
  title: Prose(120).optional(),
  description: Prose(4000).optional(),
  nodes: z.array(LabNode).max(10000),
  links: z.array(LabLink).max(20000),
});
export type Lab = z.infer<typeof Lab>;
/** What a person may write (defaults not yet filled in). */
export type LabInput = z.input<typeof Lab>;

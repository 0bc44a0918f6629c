/**
 * The Lab document: what Netloom realizes on a host. One zod schema is the source of truth; TypeScript
 * types are inferred from it and `lab.schema.json` is generated from it. Structural rules only —
 * cross-reference rules (duplicates, subnets, dangling endpoints) live in `validate.ts`.
 */
import { z } from 'zod';
import { parseCidr, parseIp } from './net';
import { ID_PATTERN, ifnameProblem, LAB_NAME_PATTERN, netnsNameProblem } from './names';

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

export const NamespaceNode = z.strictObject({
  id: Id,
  kind: z.literal('namespace'),
  name: NetnsName,
  /** IP forwarding (IPv4 and IPv6) inside the namespace: makes it a router. */
  forwarding: z.boolean().default(false),
  routes: z.array(Route).max(1024).default([]),
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
  description: Prose(2000).optional(),
});
export type BridgeNode = z.infer<typeof BridgeNode>;

/** The host's root network namespace (at most one per lab). */
export const HostNode = z.strictObject({
  id: Id,
  kind: z.literal('host'),
  description: Prose(2000).optional(),
});
export type HostNode = z.infer<typeof HostNode>;

export const LabNode = z.discriminatedUnion('kind', [NamespaceNode, BridgeNode, HostNode]);
export type LabNode = z.infer<typeof LabNode>;
export type NodeKind = LabNode['kind'];

export const Endpoint = z.strictObject({
  /** Id of the node this end lives in. An end on a bridge is enslaved to it (in the bridge's namespace). */
  node: Id,
  ifname: IfName,
  addresses: z.array(Cidr).max(64).default([]),
  mtu: Mtu.optional(),
  mac: Mac.optional(),
  /** Administrative state; `false` sets the interface down (a fault for teaching). */
  up: z.boolean().default(true),
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

export const LAB_VERSION = 1 as const;

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

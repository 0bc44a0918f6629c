/**
 * GET /api/labs/:name/nodes/:node/live (issue #15 item 5): a namespace's kernel state as the kernel has it
 * right now — interfaces with `lo` first, their addresses, the main routing tables, neighbours (ARP/NDP) and
 * the bridge forwarding database. Read on demand with `ip -j` and `bridge -j` inside the node's own
 * namespace (only one this lab owns); the inspector marks each row as live-only or also in the design.
 */
import * as z from 'zod';

export const LiveInterface = z.strictObject({
  ifname: z.string(),
  /** `UP`, `DOWN`, `UNKNOWN` (lo and tunnels), … as `ip -j link` says. */
  operstate: z.string(),
  /** `loopback`, `ether`, `none` (a TUN)… */
  linkType: z.string().optional(),
  mac: z.string().optional(),
  /** `10.0.0.1/24`, `::1/128`, … (every scope, link-local included). */
  addresses: z.array(z.string()),
});
export type LiveInterface = z.infer<typeof LiveInterface>;

export const LiveRoute = z.strictObject({
  family: z.union([z.literal(4), z.literal(6)]),
  /** `default` or a network `10.0.0.0/24` (a host route without prefix as the kernel prints it). */
  dst: z.string(),
  gateway: z.string().optional(),
  dev: z.string().optional(),
  /** `kernel` (a connected subnet), `static` (added by hand or Netloom: `boot`), … */
  protocol: z.string().optional(),
  scope: z.string().optional(),
  metric: z.number().optional(),
  prefsrc: z.string().optional(),
});
export type LiveRoute = z.infer<typeof LiveRoute>;

export const LiveNeighbour = z.strictObject({
  address: z.string(),
  dev: z.string(),
  lladdr: z.string().optional(),
  /** `REACHABLE`, `STALE`, `FAILED`, `PERMANENT`, … */
  state: z.array(z.string()),
});
export type LiveNeighbour = z.infer<typeof LiveNeighbour>;

export const LiveFdbEntry = z.strictObject({
  mac: z.string(),
  dev: z.string(),
  /** The bridge the port belongs to (absent for a VXLAN device's own table). */
  master: z.string().optional(),
  vlan: z.number().optional(),
  /** Remote VTEP of a VXLAN entry. */
  dst: z.string().optional(),
  /** `self`, `master`, `extern_learn`… */
  flags: z.array(z.string()),
  /** `permanent`, `static` or absent (learned). */
  state: z.string().optional(),
});
export type LiveFdbEntry = z.infer<typeof LiveFdbEntry>;

export const NodeLiveResponse = z.strictObject({
  node: z.string(),
  netns: z.string(),
  /** ISO time of the reading. */
  readAt: z.string(),
  interfaces: z.array(LiveInterface),
  routes: z.array(LiveRoute),
  neighbours: z.array(LiveNeighbour),
  /** Unicast entries only (the per-port multicast entries every interface has are left out). */
  fdb: z.array(LiveFdbEntry),
});
export type NodeLiveResponse = z.infer<typeof NodeLiveResponse>;

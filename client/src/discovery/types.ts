/**
 * Client-side shapes of the discovery API (server/discovery/{toLab,report,diff}.ts). The client must not import
 * server code, so the JSON shapes are restated here; `api.ts` checks the few fields the view relies on.
 */
import type { Lab } from '../../../shared/lab';

export type NetnsRef = string | null;
export type Ownership = 'foreign' | 'owned';
export interface Marker {
  lab: string;
  object: string;
}

/** Kernel identity and ownership of one lab object (node, link, endpoint) or extra. */
export interface ObjectInfo {
  id: string;
  kind: 'namespace' | 'bridge' | 'host' | 'veth' | 'endpoint' | 'extra';
  netns: NetnsRef;
  ifname?: string;
  ifindex?: number;
  ownership: Ownership;
  marker?: Marker;
  alias?: string;
}

/** Something the lab format cannot express (macvlan, vxlan, tun, process-held namespace…): a stub. */
export interface Extra {
  id: string;
  kind: string;
  netns: NetnsRef;
  node?: string;
  ifname?: string;
  ifindex?: number;
  addresses: string[];
  mtu?: number;
  mac?: string;
  up?: boolean;
  operstate?: string;
  master?: string;
  parent?: { netns: NetnsRef; ifname: string } | null;
  peer?: { netns: NetnsRef; ifname: string } | null;
  detail?: Record<string, string | number | boolean>;
  pid?: number;
  comm?: string;
  ownership: Ownership;
  marker?: Marker;
  reason: string;
}

export interface DiscoveredLinkInfo {
  ifname: string;
  kind: string;
  ifindex?: number;
  addresses: string[];
  operstate?: string;
  adminUp?: boolean;
  mtu?: number;
  mac?: string;
  master?: string;
}

export interface DiscoveredNamespace {
  ref: NetnsRef;
  source: 'root' | 'named' | 'process';
  pid?: number;
  comm?: string;
  links?: DiscoveredLinkInfo[];
}

export interface Discovery {
  at: string;
  durationMs: number;
  lab: Lab;
  extras: Extra[];
  objects: Record<string, ObjectInfo>;
  warnings: string[];
  namespaces: DiscoveredNamespace[];
}

export type Badge = 'in-sync' | 'drifted' | 'missing' | 'foreign';
export type PatchPath = (string | number)[];
export interface FieldDiff {
  field: string;
  design: unknown;
  live: unknown;
  applied?: unknown;
  changedBy: 'design' | 'host' | 'both' | 'unknown';
  patch: { path: PatchPath; value: unknown } | null;
}
export interface ObjectDiff {
  id: string;
  kind: 'namespace' | 'bridge' | 'veth-end';
  badge: Badge;
  netns: NetnsRef;
  ifname?: string;
  marker?: Marker | null;
  fields: FieldDiff[];
}
export interface LabDiff {
  lab: string;
  objects: ObjectDiff[];
  orphans: { netns: NetnsRef; ifname?: string; object: string }[];
  summary: Record<Badge, number>;
}

export interface AdoptResponse {
  lab: Lab;
  revision: number;
  marked: number;
  applied: boolean;
  added: string[];
  residual: string[];
  warnings: string[];
}

/**
 * The driver-independent operation model: where each step of an operation runs and which kernel objects it
 * reads and changes, as typed resources. Both encoders (iproute2 in render.ts, rtnetlink in netlink/) and
 * the one scheduler (schedule.ts) read this; nothing parses resource names back from strings.
 */
import { attachedKind } from './kinds';
import type { AnyOpBody, NetnsRef, VethEnd } from './types';

/** A kernel object an operation depends on or changes. */
export type Resource =
  /** A namespace's existence (root: `null`, never created or deleted by a plan). */
  | { kind: 'netns'; ns: NetnsRef }
  | { kind: 'link'; ns: NetnsRef; ifname: string }
  /** The address set of a namespace (up/down changes which routes the kernel accepts). */
  | { kind: 'addrs'; ns: NetnsRef }
  | { kind: 'routes'; ns: NetnsRef }
  | { kind: 'forwarding'; ns: NetnsRef }
  | { kind: 'sysctl'; ns: NetnsRef; key: string }
  | { kind: 'nft'; table: string };

/**
 * One step of an operation: a run of work in one namespace. The scheduler orders steps that conflict on a
 * resource and lets the rest share a wave. A step in a named namespace also reads that namespace.
 */
export interface Step {
  netns: NetnsRef;
  reads: Resource[];
  writes: Resource[];
  /** Deletions: may affect objects elsewhere (veth peers), so everything later waits for them. */
  barrier?: boolean;
}

/** Map key of a namespace (`''` = root). */
export const nsKey = (n: NetnsRef): string => (n === null ? '' : `/${n}`);

/** Stable identity of a resource (scheduler map key). */
export function resourceKey(r: Resource): string {
  switch (r.kind) {
    case 'link':
      return `link${nsKey(r.ns)}|${r.ifname}`;
    case 'sysctl':
      return `sysctl${nsKey(r.ns)}|${r.key}`;
    case 'nft':
      return `nft|${r.table}`;
    default:
      return `${r.kind}${nsKey(r.ns)}`;
  }
}

/** The namespace a resource lives in (nft tables: the root). */
export const resourceNs = (r: Resource): NetnsRef => (r.kind === 'nft' ? null : r.ns);

export const netnsR = (ns: NetnsRef): Resource => ({ kind: 'netns', ns });
export const linkR = (ns: NetnsRef, ifname: string): Resource => ({ kind: 'link', ns, ifname });
const addrsR = (ns: NetnsRef): Resource => ({ kind: 'addrs', ns });

const inNs = (n: NetnsRef): Resource[] => (n === null ? [] : [netnsR(n)]);
const step = (netns: NetnsRef, writes: Resource[], reads: Resource[] = []): Step => ({
  netns,
  reads: [...inNs(netns), ...reads],
  writes,
});
const on = (netns: NetnsRef, ifname: string): Step[] => [step(netns, [linkR(netns, ifname)])];
const masterOf = (e: { netns: NetnsRef; master?: string | undefined }): Resource[] =>
  e.master !== undefined ? [linkR(e.netns, e.master)] : [];

/**
 * The side a veth is created from (`l`) and the other end (`r`): the root side when there is one (a named
 * namespace cannot name the root by path), else the end that has a master (enslaved at creation).
 */
export function vethSides(op: { a: VethEnd; b: VethEnd }): [VethEnd, VethEnd] {
  return op.a.netns === null
    ? [op.a, op.b]
    : op.b.netns === null
      ? [op.b, op.a]
      : !op.a.master && op.b.master
        ? [op.b, op.a]
        : [op.a, op.b];
}

/** The steps of an operation, in order (an encoder emits one run of commands or messages per step). */
export function steps(op: AnyOpBody): Step[] {
  switch (op.kind) {
    case 'netns.create':
      // The namespace's marker lives on its `lo` (set from inside, so a separate step).
      return [step(null, [netnsR(op.netns)]), step(op.netns, [linkR(op.netns, 'lo')])];
    case 'netns.delete':
      return [{ ...step(null, [netnsR(op.netns)]), barrier: true }];
    case 'netns.setForwarding':
      return [step(op.netns, [{ kind: 'forwarding', ns: op.netns }])];
    case 'veth.create': {
      const [l, r] = vethSides(op);
      const lWrites = [linkR(l.netns, l.ifname), linkR(r.netns, r.ifname)];
      if (r.netns === l.netns) return [step(l.netns, lWrites, [...masterOf(l), ...masterOf(r)])];
      return [
        step(l.netns, lWrites, [...inNs(r.netns), ...masterOf(l)]),
        step(r.netns, [linkR(r.netns, r.ifname)], masterOf(r)),
      ];
    }
    case 'link.delete':
      return [{ ...step(op.netns, [linkR(op.netns, op.ifname)]), barrier: true }];
    case 'link.rename':
      return [step(op.netns, [linkR(op.netns, op.from), linkR(op.netns, op.to)])];
    case 'link.setUp':
      // Up/down changes which routes the kernel accepts: order it with addresses and routes too.
      return [step(op.netns, [linkR(op.netns, op.ifname), addrsR(op.netns)])];
    case 'link.setMaster':
      return [step(op.netns, [linkR(op.netns, op.ifname)], op.master === null ? [] : [linkR(op.netns, op.master)])];
    case 'addr.add':
    case 'addr.del':
      return [step(op.netns, [linkR(op.netns, op.ifname), addrsR(op.netns)])];
    case 'route.add':
    case 'route.del':
      return [
        step(
          op.netns,
          [{ kind: 'routes', ns: op.netns }],
          [addrsR(op.netns), ...(op.route.dev !== undefined ? [linkR(op.netns, op.route.dev)] : [])],
        ),
      ];
    case 'nat.apply':
    case 'nat.delete':
      return [step(null, [{ kind: 'nft', table: op.table }])];
    case 'sysctl.set':
      return [step(op.netns, [{ kind: 'sysctl', ns: op.netns, key: op.key }])];
    case 'iface.create': {
      const kind = attachedKind(op.spec.kind)!;
      const self = [linkR(op.netns, op.ifname)];
      const under = kind.under(op.spec, op.netns);
      if (kind.fromRoot) {
        // Added from the root straight into its namespace; marked and enslaved there.
        if (op.netns === null) return [step(null, self, [...under, ...masterOf(op)])];
        return [step(null, self, [...under, netnsR(op.netns)]), step(op.netns, self, masterOf(op))];
      }
      return [step(op.netns, self, [...masterOf(op), ...under])];
    }
    // Every other operation changes one interface in place.
    case 'bridge.create':
    case 'bridge.setStp':
    case 'bridge.setVlanFiltering':
    case 'bridge.vlanAdd':
    case 'bridge.vlanDel':
    case 'link.setMtu':
    case 'link.setMac':
    case 'link.setAlias':
    case 'qdisc.replace':
    case 'qdisc.delete':
      return on(op.netns, op.ifname);
  }
}

/** Named namespaces a step runs in or touches. */
export function stepNamespaces(s: Step): Set<string> {
  const out = new Set<string>();
  if (s.netns !== null) out.add(s.netns);
  for (const r of [...s.reads, ...s.writes]) {
    const n = resourceNs(r);
    if (n !== null) out.add(n);
  }
  return out;
}

/** Every named namespace the operations run in, create, delete or reach into. */
export function touchedNamespaces(ops: readonly AnyOpBody[]): Set<string> {
  const out = new Set<string>();
  for (const op of ops) for (const s of steps(op)) for (const n of stepNamespaces(s)) out.add(n);
  return out;
}

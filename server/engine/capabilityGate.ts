/**
 * The one capability gate: what this kernel lacks is refused before anything runs. At plan time (with the
 * field's path: the interface kinds' needs from their modules, bridge VLAN filtering, netem) and, after the
 * probe, on the planned operations themselves (a device kind or nftables the probe found missing).
 */
import type { Lab } from '../../shared';
import { NETEM_FIELDS, NETEM_WORDS } from '../../shared/lab';
import type { DesiredLab } from './desired';
import { attachedKind, attachedKinds } from './kinds';
import type { Operation, PlanError } from './types';

/**
 * Kernel features by capabilities() key (truthy: present), plus what PlanOptions adds (WireGuard's mode
 * and the reason it has none).
 */
export type Caps = Readonly<Record<string, unknown>>;

/** The capabilities() keys the plan-time gate reads (PlanOptions). */
export function gatedCapabilities(): string[] {
  return [...attachedKinds().flatMap((k) => (k.capability ? [k.capability.key] : [])), 'bridgeVlan', 'netem'];
}

/** Plan-time refusals (each group on its own, in a fixed order: the first group found is the answer). */
export function planRefusals(lab: Lab, desired: DesiredLab, caps: Caps): PlanError[] {
  // One group after the other, in registry order; within a group, in interface order.
  const done = new Set<string>();
  for (const kind of attachedKinds()) {
    const group = kind.capability?.group ?? kind.kind;
    if (!kind.capability || done.has(group)) continue;
    done.add(group);
    const refused: PlanError[] = [];
    for (const d of desired.ifaces) {
      const need = d.spec ? attachedKind(d.spec.kind)?.capability : undefined;
      if (!need || (need.group ?? d.spec!.kind) !== group || caps[need.key]) continue;
      refused.push({
        code: 'Unsupported',
        message: need.message(d.ifname, caps),
        path: `${d.path}.${need.field}`,
        object: d.object,
      });
    }
    if (refused.length) return refused;
  }
  if (!caps.bridgeVlan) {
    const errors: PlanError[] = [];
    lab.nodes.forEach((n, i) => {
      if (n.kind === 'bridge' && n.vlanFiltering === true)
        errors.push({
          code: 'Unsupported',
          message: `VLAN filtering on bridge '${n.name}' needs the kernel's bridge VLAN support (CONFIG_BRIDGE_VLAN_FILTERING), which this kernel does not have`,
          path: `nodes.${i}.vlanFiltering`,
          object: n.id,
        });
    });
    if (errors.length) return errors;
  }
  if (!caps.netem) {
    const errors: PlanError[] = [];
    for (const d of desired.ifaces) {
      if (d.qdisc?.kind !== 'netem') continue;
      for (const f of NETEM_FIELDS) {
        if (d.qdisc[f] === undefined) continue;
        errors.push({
          code: 'Unsupported',
          message: `${NETEM_WORDS[f]} on '${d.ifname}' needs the netem qdisc, which this kernel does not have (a rate limit alone works: rateKbit)`,
          path: `${d.impairmentPath}.${f}`,
          object: d.object,
        });
      }
    }
    if (errors.length) return errors;
  }
  return [];
}

/** The feature an operation needs and how a refusal names it, if any. */
function needOf(op: Operation): { key: string; what: string } | null {
  switch (op.kind) {
    case 'qdisc.replace':
      return { key: op.qdisc.kind, what: `${op.qdisc.kind} qdiscs` };
    case 'nat.apply':
      return { key: 'nftables', what: 'nftables' };
    case 'iface.create': {
      // Kinds the probe does not test (tap) are never refused here.
      const probe = attachedKind(op.spec.kind)?.probe;
      return probe ? { key: probe, what: `${probe} devices` } : null;
    }
    case 'bridge.setVlanFiltering':
      return op.on ? { key: 'bridgeVlan', what: 'bridgeVlan devices' } : null;
    case 'veth.create':
      return { key: 'veth', what: 'veth devices' };
    case 'bridge.create':
      return { key: 'bridge', what: 'bridge devices' };
    case 'netns.create':
      return { key: 'netns', what: 'netns devices' };
    default:
      return null;
  }
}

/** After the probe: the first operation needing a feature the probe found missing (`false`), if any. */
export function execRefusal(ops: readonly Operation[], caps: Caps): { message: string; object: string } | null {
  for (const op of ops) {
    const need = needOf(op);
    if (need && caps[need.key] === false)
      return { message: `this host does not support ${need.what}`, object: op.object };
  }
  return null;
}

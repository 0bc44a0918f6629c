/**
 * The registry of interface kinds attached to namespace nodes. Adding a kind: its module, one line here,
 * the schema and the UI. A kind the schema knows but this registry does not (WireGuard, until its module
 * joins) is refused at plan time as Unsupported.
 */
import type { AttachedSpec } from '../types';
import type { AttachedKind } from './kind';
import { macvlan } from './macvlan';
import { tap } from './tap';
import { vlan } from './vlan';
import { vxlan } from './vxlan';

const KINDS: { [K in AttachedSpec['kind']]: AttachedKind<K> } = { vxlan, tap, vlan, macvlan };

/** The module of an attached kind, or undefined when this engine cannot create it. */
export function attachedKind<K extends string>(kind: K): AttachedKind | undefined {
  return Object.hasOwn(KINDS, kind) ? (KINDS[kind as AttachedSpec['kind']] as AttachedKind) : undefined;
}

export const attachedKinds = (): AttachedKind[] => Object.values(KINDS) as AttachedKind[];

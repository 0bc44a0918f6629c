/**
 * What one interface kind attached to a namespace node (`namespace.interfaces[]`) owns: its desired
 * mapping, its steps (what it touches), its iproute2 encoding and the capability it needs. The registry
 * (index.ts) lists them; a kind without a module is refused at plan time as Unsupported.
 */
import type { AttachedInterface } from '../../../shared';
import type { Cmd } from '../render';
import type { Resource } from '../steps';
import type { AttachedSpec, NetnsRef } from '../types';

export type IfaceCreate = {
  netns: NetnsRef;
  ifname: string;
  marker: string;
  master?: string;
  mtu?: number;
};

export interface AttachedKind<K extends AttachedSpec['kind'] = AttachedSpec['kind']> {
  readonly kind: K;
  /** The kernel feature it needs (a capabilities() key), refused at plan time without it. */
  readonly capability?: {
    key: string;
    /** The field the refusal names, below the interface's path. */
    field: string;
    /** Kinds of one group are refused together, in interface order (default: the kind on its own). */
    group?: string;
    message(ifname: string, caps: Readonly<Record<string, unknown>>): string;
  };
  /** The capabilities() key the start-up probe sets for this device kind (none: not probed). */
  readonly probe?: string;
  /** Lab interface → what `iface.create` makes. */
  desired(x: Extract<AttachedInterface, { kind: K }>): Extract<AttachedSpec, { kind: K }>;
  /** Interfaces it is created on top of (read by its step), besides its bridge. */
  under(spec: Extract<AttachedSpec, { kind: K }>, netns: NetnsRef): Resource[];
  /** The device's `ip` creation command (marking and enslaving follow in render.ts). */
  ipAdd(op: IfaceCreate, spec: Extract<AttachedSpec, { kind: K }>, mtu: string[]): Cmd;
  /** Created from the root straight into its namespace (macvlan: the parent is in the root). */
  readonly fromRoot?: boolean;
  /** MTU set after creation instead of in the add command (tuntap has no `mtu`). */
  readonly mtuAfter?: boolean | ((spec: Extract<AttachedSpec, { kind: K }>) => boolean);
}

export const ipIn = (netns: NetnsRef, ...args: string[]): Cmd => ({ type: 'ip', netns, args });

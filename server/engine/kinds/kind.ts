/**
 * What one interface kind attached to a namespace node (`namespace.interfaces[]`) owns: its desired
 * mapping, its steps (what it touches), its iproute2 encoding and the capability it needs. The registry
 * (index.ts) lists them; a kind without a module is refused at plan time as Unsupported.
 */
import type { AttachedInterface } from '../../../shared';
import type { Cmd } from '../render';
import type { Resource } from '../steps';
import type { AttachedSpec, NetnsRef, ObservedLink } from '../types';

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
  /** Does an observed link (already of the right kind) have the designed parameters? Absent: yes. */
  matches?(spec: Extract<AttachedSpec, { kind: K }>, l: ObservedLink): boolean;
  /** The designed parameters in words, for the status condition when they differ. */
  paramsText?(spec: Extract<AttachedSpec, { kind: K }>): string;
  /** An interface of the root namespace it is created on (only read): it must exist and survive the plan. */
  rootParent?(spec: Extract<AttachedSpec, { kind: K }>): string;
  /**
   * The kind's own fields of the simulated link (simulate.ts); `root(ifname)` is a root-namespace link
   * (throws when missing, as the kernel would).
   */
  simulated?(spec: Extract<AttachedSpec, { kind: K }>, root: (ifname: string) => ObservedLink): Partial<ObservedLink>;
  /**
   * The MTU the kernel gives it when none is asked for, if fixed (tap: 1500); absent where it follows
   * something else (vlan and macvlan: their parent's; vxlan: its underlay's minus 50), so an unset MTU there
   * is never judged.
   */
  readonly defaultMtu?: number;
  /** Created from the root straight into its namespace (macvlan: the parent is in the root). */
  readonly fromRoot?: boolean;
  /** MTU set after creation instead of in the add command (tuntap has no `mtu`). */
  readonly mtuAfter?: boolean | ((spec: Extract<AttachedSpec, { kind: K }>) => boolean);
}

export const ipIn = (netns: NetnsRef, ...args: string[]): Cmd => ({ type: 'ip', netns, args });

/**
 * What one interface kind attached to a namespace node (`namespace.interfaces[]`) owns: its spec type, its
 * desired mapping, its steps (what it touches), its iproute2 encoding, the capability it needs and the
 * start-up probe line that finds it, how both observers decode its links, and how a destroy orders it.
 * The registry (index.ts) lists them; a kind without a module is refused at plan time as Unsupported.
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
  /**
   * Its line in the start-up probe batch (capabilities.ts), the words after `link add NAME`; `lower` is an
   * interface it may be created on. Absent: the probe key is set elsewhere (WireGuard) or not at all.
   */
  probeArgs?(lower: string): string[];
  /**
   * How both observers decode its links (whose kernel kind is `kind`): the kind's own ObservedLink fields
   * from `ip -j -d` (`linkinfo.info_data`) and from the IFLA_INFO_DATA attributes (type → payload) of a
   * netlink link dump. A kind on a lower device (`ip link add link LOWER …`) decodes an `attachment` with
   * `parent: null`; the observer resolves the lower device into it (same namespace or the root).
   */
  readonly decode?: {
    ip(data: Readonly<Record<string, unknown>>): Partial<ObservedLink>;
    netlink(data: ReadonlyMap<number, Buffer>): Partial<ObservedLink>;
  };
  /**
   * A destroy deletes an owned one whose lower device (`attachment.parent`) is outside its namespace before
   * the namespace: the namespace's own teardown runs later in the kernel, and until then the (foreign)
   * lower device still counts it (promiscuity, MAC filters).
   */
  readonly deleteBeforeNamespace?: boolean;
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
   * something else (kinds on a lower device: their parent's; vxlan: its underlay's minus 50), so an unset MTU there
   * is never judged.
   */
  readonly defaultMtu?: number;
  /** Created from the root straight into its namespace (its parent is in the root). */
  readonly fromRoot?: boolean;
  /** MTU set after creation instead of in the add command (tuntap has no `mtu`). */
  readonly mtuAfter?: boolean | ((spec: Extract<AttachedSpec, { kind: K }>) => boolean);
}

export const ipIn = (netns: NetnsRef, ...args: string[]): Cmd => ({ type: 'ip', netns, args });

/**
 * The one lab kind of interface that sits on one of the host's own interfaces (its parent), as the foreign
 * formats spell it: containerlab's `macvlan` link type (`host-interface`, `mode`) and brief end
 * `macvlan:PARENT`, iproute2's `type macvlan|macvtap` (not creatable from inside a node), and the lab's
 * `macvlan` interface. Import (containerlab.ts, model.ts) and export (exportClab.ts) read it here. Pure.
 */
import type { AttachedInterface } from '../../shared';

/** The lab kind (and containerlab's word for its link type and brief end). */
export const HOST_ATTACHED = 'macvlan' as const;
export type HostAttachedKind = typeof HOST_ATTACHED;

/** containerlab node names that are brief-end words, not nodes (an exported node never takes one). */
export const CLAB_SPECIAL_NODES = ['host', HOST_ATTACHED, 'mgmt-net'] as const;

/** A containerlab brief end whose "node" says its interface is the host's parent (`macvlan:PARENT`). */
export const isHostAttachedEnd = (node: string): boolean => node === HOST_ATTACHED;

/** A containerlab single-end link type that makes one (its parent in `host-interface`, its `mode`). */
export const isHostAttachedLink = (type: string): boolean => type === HOST_ATTACHED;

/** Why an `ip link add … type T` run inside a node is dropped, when T needs a host interface below it. */
export const inNodeDrop = (type: string): string | undefined =>
  type === 'macvlan' || type === 'macvtap'
    ? "a macvlan on an interface inside the node is not part of a Netloom lab (a macvlan's parent is an interface of the host)"
    : undefined;

/** The import report's words about one. */
export const hostAttachedWords = {
  notOnNamespace: (node: string, kind: string) => `a macvlan end must be on a namespace node; "${node}" is a ${kind}`,
  badParent: (parent: string) => `macvlan parent "${parent}" is not an interface name (is a \${VAR} unset?)`,
  mode: (mode: string) =>
    mode === 'bridge' ? undefined : `macvlan mode ${mode} becomes mode bridge (the only one in a Netloom lab)`,
  mac: (mac: string | undefined) => `mac ${mac}: a MAC address on a macvlan is not part of a Netloom lab`,
  parentNeeded: (parent: string) =>
    `the macvlan sits on the host's ${parent}, which must exist when the lab is applied`,
};

type Base = Omit<Extract<AttachedInterface, { kind: HostAttachedKind }>, 'kind' | 'parent' | 'mode'>;

/** The lab interface an imported model interface of this kind becomes (mode bridge only); other kinds: none. */
export const hostAttachedToLab = (
  kind: string,
  base: Base,
  parent: string | undefined,
): AttachedInterface | undefined =>
  kind === HOST_ATTACHED ? { kind: HOST_ATTACHED, ...base, parent: parent!, mode: 'bridge' } : undefined;

/**
 * Export: the containerlab link for a lab interface of this kind on node `node` (containerlab creates it and
 * brings it up), or undefined for other kinds (their exec lines create them).
 */
export function hostAttachedClabLink(x: AttachedInterface, node: string): Record<string, unknown> | undefined {
  if (x.kind !== HOST_ATTACHED) return undefined;
  return { type: HOST_ATTACHED, 'host-interface': x.parent, endpoint: { node, interface: x.name } };
}

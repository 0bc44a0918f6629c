/**
 * macvlan (mode bridge) on `parent`, an interface of the root namespace that is only read, never changed:
 * `ip link add link PARENT name X netns NS type macvlan mode bridge` runs in the root, then X is marked
 * (and enslaved) inside NS. Observed: its mode (IFLA_MACVLAN_MODE in netlink) and lower device (`attachment`).
 */
import { type AttachedKind, ipIn } from './kind';

/** `parent` is an interface of the root namespace; the link is created from the root into its namespace. */
export type MacvlanSpec = { kind: 'macvlan'; parent: string; mode: 'bridge' };

/** linux/if_link.h: IFLA_MACVLAN_MODE inside IFLA_INFO_DATA, a u32. */
const IFLA_MACVLAN_MODE = 1;
/** IFLA_MACVLAN_MODE values, as `ip -d` names them. */
const MODES: Record<number, string> = { 1: 'private', 2: 'vepa', 4: 'bridge', 8: 'passthru', 16: 'source' };

export const macvlan: AttachedKind<'macvlan'> = {
  kind: 'macvlan',
  probe: 'macvlan',
  probeArgs: (lower) => ['link', lower, 'type', 'macvlan', 'mode', 'bridge'],
  fromRoot: true,
  capability: {
    key: 'macvlan',
    field: 'kind',
    message: (ifname) => `macvlan interface '${ifname}' needs macvlan support, which this kernel does not have`,
  },
  decode: {
    ip: (data) => ({ attachment: { mode: typeof data.mode === 'string' ? data.mode : 'unknown', parent: null } }),
    netlink: (data) => {
      const m = data.get(IFLA_MACVLAN_MODE);
      return { attachment: { mode: (m && m.length >= 4 && MODES[m.readUInt32LE(0)]) || 'unknown', parent: null } };
    },
  },
  deleteBeforeNamespace: true,
  desired: (x) => ({ kind: 'macvlan', parent: x.parent, mode: x.mode ?? 'bridge' }),
  under: (x) => [{ kind: 'link', ns: null, ifname: x.parent }],
  rootParent: (x) => x.parent,
  matches: (x, l) =>
    l.attachment !== undefined &&
    l.attachment.mode === x.mode &&
    l.attachment.parent !== null &&
    l.attachment.parent.netns === null &&
    l.attachment.parent.ifname === x.parent,
  paramsText: (x) => ` (parent '${x.parent}', mode ${x.mode})`,
  simulated: (x, root) => {
    const lower = root(x.parent);
    return { attachment: { mode: x.mode, parent: { netns: null, ifname: lower.ifname, ifindex: lower.ifindex } } };
  },
  ipAdd: (op, x, mtu) =>
    ipIn(
      null,
      'link',
      'add',
      'link',
      x.parent,
      'name',
      op.ifname,
      ...(op.netns !== null ? ['netns', op.netns] : []),
      ...mtu,
      'type',
      'macvlan',
      'mode',
      x.mode,
    ),
};

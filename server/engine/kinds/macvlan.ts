/**
 * macvlan (mode bridge) on `parent`, an interface of the root namespace that is only read, never changed:
 * `ip link add link PARENT name X netns NS type macvlan mode bridge` runs in the root, then X is marked
 * (and enslaved) inside NS.
 */
import { type AttachedKind, ipIn } from './kind';

export const macvlan: AttachedKind<'macvlan'> = {
  kind: 'macvlan',
  probe: 'macvlan',
  fromRoot: true,
  capability: {
    key: 'macvlan',
    field: 'kind',
    message: (ifname) => `macvlan interface '${ifname}' needs macvlan support, which this kernel does not have`,
  },
  desired: (x) => ({ kind: 'macvlan', parent: x.parent, mode: x.mode ?? 'bridge' }),
  under: (x) => [{ kind: 'link', ns: null, ifname: x.parent }],
  rootParent: (x) => x.parent,
  matches: (x, l) =>
    l.macvlan !== undefined &&
    l.macvlan.mode === x.mode &&
    l.macvlan.parent !== null &&
    l.macvlan.parent.netns === null &&
    l.macvlan.parent.ifname === x.parent,
  paramsText: (x) => ` (parent '${x.parent}', mode ${x.mode})`,
  simulated: (x, root) => {
    const lower = root(x.parent);
    return { macvlan: { mode: x.mode, parent: { netns: null, ifname: lower.ifname, ifindex: lower.ifindex } } };
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

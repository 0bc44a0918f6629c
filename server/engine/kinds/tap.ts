/** TAP: a persistent `tuntap` device (no process attached); its MTU is set after creation. */
import { type AttachedKind, ipIn } from './kind';

export const tap: AttachedKind<'tap'> = {
  kind: 'tap',
  mtuAfter: true,
  desired: () => ({ kind: 'tap' }),
  under: () => [],
  ipAdd: (op) => ipIn(op.netns, 'tuntap', 'add', 'dev', op.ifname, 'mode', 'tap'),
};

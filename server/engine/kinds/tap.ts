/** TAP: a persistent `tuntap` device (no process attached); its MTU is set after creation. */
import { type AttachedKind, ipIn } from './kind';

export type TapSpec = { kind: 'tap' };

export const tap: AttachedKind<'tap'> = {
  kind: 'tap',
  mtuAfter: true,
  defaultMtu: 1500,
  desired: () => ({ kind: 'tap' }),
  under: () => [],
  matches: (_x, l) => l.tunType === undefined || l.tunType === 'tap',
  ipAdd: (op) => ipIn(op.netns, 'tuntap', 'add', 'dev', op.ifname, 'mode', 'tap'),
};

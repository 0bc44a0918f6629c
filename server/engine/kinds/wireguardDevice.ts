/**
 * WireGuard's device (issue #15): the kernel's `wireguard` link, or for wireguard-go a persistent TUN
 * device (`ip tuntap add … mode tun`, MTU set after). The planner fills `mode` in from the world's
 * capability (PlanOptions.wireguard); keys, peers and daemons are the runtime's (wireguard.ts).
 */
import { type AttachedKind, ipIn } from './kind';

/**
 * `kernel` = the kernel's wireguard link; `userspace` = a persistent TUN device that a supervised
 * wireguard-go daemon attaches to (server/wireguard/). The planner fills `mode` in from the world's
 * capability; desired state leaves it out.
 */
export type WireguardSpec = { kind: 'wireguard'; mode?: 'kernel' | 'userspace' };

const FALLBACK =
  "WireGuard needs the kernel's wireguard module or wireguard-go on a TUN device, and this host has neither";

export const wireguard: AttachedKind<'wireguard'> = {
  kind: 'wireguard',
  probe: 'wireguard',
  capability: {
    key: 'wireguard',
    field: 'kind',
    group: 'tunnel',
    message: (ifname, caps) =>
      `WireGuard interface '${ifname}' cannot be created here: ${typeof caps.wireguardMessage === 'string' ? caps.wireguardMessage : FALLBACK}`,
  },
  desired: () => ({ kind: 'wireguard' }),
  under: () => [],
  mtuAfter: (x) => x.mode !== 'kernel',
  ipAdd: (op, x, mtu) =>
    x.mode === 'kernel'
      ? ipIn(op.netns, 'link', 'add', 'name', op.ifname, ...mtu, 'type', 'wireguard')
      : ipIn(op.netns, 'tuntap', 'add', 'dev', op.ifname, 'mode', 'tun'),
};

/**
 * Which WireGuard this world can run, found by trying inside a throwaway network namespace (entered through
 * the runner, so the sandbox's world is probed): the kernel module (`ip link add … type wireguard` works,
 * and `wg` is there to configure it), else userspace wireguard-go on a TUN device (/dev/net/tun opens and a
 * TUN device can be made), else none — and then a message for the plan's Unsupported error.
 */
import type { CommandRunner } from '../engine/contract';

export type WireguardMode = 'kernel' | 'userspace';

export interface WireguardCapability {
  /** What a WireGuard interface would be realized with here; null = it cannot be. */
  mode: WireguardMode | null;
  kernel: boolean;
  userspace: boolean;
  /** Why there is no WireGuard here (for Unsupported at plan time); absent when there is. */
  message?: string;
}

const probe = (runner: CommandRunner, argv: string[]) =>
  runner.run(['unshare', '--net', '--', ...argv], { timeoutMs: 10_000 }).then((r) => r.code === 0);

export async function detectWireguard(runner: CommandRunner): Promise<WireguardCapability> {
  const [module, wg, go, tun] = await Promise.all([
    probe(runner, ['ip', 'link', 'add', 'nlp-wg', 'type', 'wireguard']),
    runner.run(['wg', '--version'], { timeoutMs: 10_000 }).then((r) => r.code === 0),
    runner.run(['wireguard-go', '--version'], { timeoutMs: 10_000 }).then((r) => r.code === 0),
    probe(runner, ['ip', 'tuntap', 'add', 'dev', 'nlp-tun', 'mode', 'tun']),
  ]);
  return capability({ module, wg, go, tun });
}

/** The decision, apart from the probing (unit-tested). */
export function capability(found: { module: boolean; wg: boolean; go: boolean; tun: boolean }): WireguardCapability {
  const kernel = found.module && found.wg;
  const userspace = found.go && found.tun;
  if (kernel) return { mode: 'kernel', kernel, userspace };
  if (userspace) return { mode: 'userspace', kernel, userspace };
  const missing: string[] = [];
  if (!found.module) missing.push("the kernel's wireguard module (CONFIG_WIREGUARD)");
  else if (!found.wg) missing.push('the wg tool (apt-get install wireguard-tools) for the kernel module');
  if (!found.go) missing.push('wireguard-go (apt-get install wireguard-go)');
  else if (!found.tun) missing.push('TUN devices (/dev/net/tun, CONFIG_TUN) for wireguard-go');
  return {
    mode: null,
    kernel,
    userspace,
    message: `WireGuard needs the kernel's wireguard module or wireguard-go on a TUN device; this host lacks ${missing.join(' and ')}`,
  };
}

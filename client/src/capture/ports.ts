/**
 * Which UDP ports of a lab carry tunnels, for the capture decoder: its VXLANs' `dstPort`s and its WireGuard
 * interfaces' `listenPort`s (the decoder knows the standard ports by itself). Pure; reads the lab only.
 */
import type { Lab } from '../../../shared/lab';
import type { DecodeOptions } from '../../../shared/pcap';

export function tunnelPorts(lab: Lab): DecodeOptions {
  const vxlan = new Set<number>();
  const wireguard = new Set<number>();
  for (const n of lab.nodes) {
    if (n.kind !== 'namespace') continue;
    for (const x of n.interfaces ?? []) {
      if (x.kind === 'vxlan') vxlan.add(x.dstPort ?? 4789);
      else if (x.kind === 'wireguard' && x.listenPort !== undefined) wireguard.add(x.listenPort);
    }
  }
  return { vxlanPorts: [...vxlan], wireguardPorts: [...wireguard] };
}

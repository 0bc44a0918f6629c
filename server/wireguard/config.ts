/**
 * Lab → what each WireGuard interface must become: its namespace, port, MTU, peers with public keys
 * (derived from the keys Netloom keeps for lab peers), endpoints with their ports filled in, allowed IPs,
 * and the routes `routeAllowedIps` asks for; the device config handed to the UAPI socket; and the
 * equivalent shell commands for a plan, which name the key file, never the key. Pure (keys come in as a
 * function); expects a lab that passed validate().
 */
import type { Lab } from '../../shared';
import { DEFAULT_WIREGUARD_MTU, resolvePeer, wireguardInterfaces } from '../../shared/wireguard';
import { shellText } from '../engine/render';
import type { WireguardMode } from './capability';
import type { PrivateKey } from './keys';
import { type DeviceConfig, endpointText, type PeerConfig } from './uapi';

export interface WireguardSpec {
  lab: string;
  /** Namespace node id and interface name; `object` = `<node>/<ifname>`, the marker's object. */
  node: string;
  ifname: string;
  object: string;
  netns: string;
  mtu: number;
  listenPort?: number;
  peers: (PeerConfig & { /** JSON path of the peer entry */ path: string })[];
  /** Networks routed through the interface (the allowed IPs, when routeAllowedIps). */
  routes: string[];
  /** JSON path of the interface (`nodes.I.interfaces.K`). */
  path: string;
}

/** Every WireGuard interface of a (valid) lab; `publicKey(node, ifname)` gives a lab interface's public key. */
export function wireguardSpecs(lab: Lab, publicKey: (node: string, ifname: string) => string): WireguardSpec[] {
  const all = wireguardInterfaces(lab);
  const out: WireguardSpec[] = [];
  for (const at of all.values()) {
    const { node, i, k, x } = at;
    const peers: WireguardSpec['peers'] = [];
    x.peers.forEach((p, j) => {
      const r = resolvePeer(lab, all, p);
      const key = r.ok ? publicKey(r.at.node.id, r.at.x.name) : p.publicKey;
      if (key === undefined || (!r.ok && r.reason !== 'external')) return;
      const port = p.endpoint?.port ?? (r.ok ? r.at.x.listenPort : undefined);
      peers.push({
        publicKey: key,
        ...(p.endpoint && port !== undefined && { endpoint: endpointText(p.endpoint.address, port) }),
        allowedIps: [...p.allowedIps],
        ...(p.persistentKeepalive !== undefined && { persistentKeepalive: p.persistentKeepalive }),
        path: `nodes.${i}.interfaces.${k}.peers.${j}`,
      });
    });
    out.push({
      lab: lab.name,
      node: node.id,
      ifname: x.name,
      object: `${node.id}/${x.name}`,
      netns: node.name,
      mtu: x.mtu ?? DEFAULT_WIREGUARD_MTU,
      ...(x.listenPort !== undefined && { listenPort: x.listenPort }),
      peers,
      routes: x.routeAllowedIps ? [...new Set(peers.flatMap((p) => p.allowedIps))] : [],
      path: `nodes.${i}.interfaces.${k}`,
    });
  }
  return out;
}

/** The UAPI configuration of one interface. */
export function deviceConfig(spec: WireguardSpec, privateKey: PrivateKey): DeviceConfig {
  return {
    privateKey,
    ...(spec.listenPort !== undefined && { listenPort: spec.listenPort }),
    peers: spec.peers.map(({ path: _path, ...p }) => p),
  };
}

/**
 * What a person would type to build the interface by hand (the plan's "equivalent shell commands"). The
 * private key appears only as the path of its file; Netloom itself hands it over the UAPI socket.
 */
export function shellLines(spec: WireguardSpec, mode: WireguardMode, keyPath: string): string[] {
  const ns = spec.netns;
  const create =
    mode === 'kernel'
      ? ['ip', '-n', ns, 'link', 'add', spec.ifname, 'type', 'wireguard']
      : ['ip', '-n', ns, 'tuntap', 'add', 'dev', spec.ifname, 'mode', 'tun'];
  const wgSet = ['ip', 'netns', 'exec', ns, 'wg', 'set', spec.ifname, 'private-key', keyPath];
  if (spec.listenPort !== undefined) wgSet.push('listen-port', String(spec.listenPort));
  for (const p of spec.peers) {
    wgSet.push('peer', p.publicKey);
    if (p.endpoint) wgSet.push('endpoint', p.endpoint);
    if (p.persistentKeepalive) wgSet.push('persistent-keepalive', String(p.persistentKeepalive));
    wgSet.push('allowed-ips', p.allowedIps.join(','));
  }
  const lines = [shellText(create)];
  // wireguard-go attaches to the TUN device and opens /run/wireguard/IF.sock (Netloom gives each daemon a
  // private /run, so equal names in two namespaces do not collide).
  if (mode === 'userspace')
    lines.push(`WG_PROCESS_FOREGROUND=1 ${shellText(['ip', 'netns', 'exec', ns, 'wireguard-go', spec.ifname])} &`);
  lines.push(shellText(wgSet));
  if (spec.mtu !== DEFAULT_WIREGUARD_MTU)
    lines.push(shellText(['ip', '-n', ns, 'link', 'set', 'dev', spec.ifname, 'mtu', String(spec.mtu)]));
  for (const r of spec.routes) lines.push(shellText(['ip', '-n', ns, 'route', 'replace', r, 'dev', spec.ifname]));
  return lines;
}

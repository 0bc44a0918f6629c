/**
 * Test data: the WireGuard lab every tier starts from — two sites ("a", "b") across an "internet" router
 * (`inet`, forwarding), each site with `wg0` peering the other's by reference. Input form (defaults not
 * filled in), overridable per interface. Pure; no keys (the server keeps those).
 */
import type { LabInput } from '../lab';

type NamespaceInput = Extract<LabInput['nodes'][number], { kind: 'namespace' }>;
export type WireguardInput = Extract<NonNullable<NamespaceInput['interfaces']>[number], { kind: 'wireguard' }>;

/** Underlay (the "internet") and overlay addresses of the two sites. */
export const WG_SITES = {
  a: { underlay: '192.0.2.1', router: '192.0.2.254', tunnel: '10.99.0.1' },
  b: { underlay: '198.51.100.1', router: '198.51.100.254', tunnel: '10.99.0.2' },
} as const;

export function wireguardSite(side: 'a' | 'b', overrides: Partial<WireguardInput> = {}): WireguardInput {
  const other = side === 'a' ? 'b' : 'a';
  return {
    kind: 'wireguard',
    name: 'wg0',
    addresses: [`${WG_SITES[side].tunnel}/24`],
    listenPort: 51820,
    peers: [
      {
        node: other,
        interface: 'wg0',
        ...(side === 'a' && { endpoint: { address: WG_SITES[other].underlay } }),
        allowedIps: [`${WG_SITES[other].tunnel}/32`],
      },
    ],
    ...overrides,
  };
}

/** The two-site lab; `a`/`b` override fields of each side's wg0. */
export function wireguardLab(
  opts: { a?: Partial<WireguardInput>; b?: Partial<WireguardInput>; name?: string } = {},
): LabInput {
  const site = (side: 'a' | 'b'): NamespaceInput => ({
    id: side,
    kind: 'namespace',
    name: `wg-${side}`,
    routes: [{ to: 'default', via: WG_SITES[side].router }],
    interfaces: [wireguardSite(side, opts[side])],
  });
  return {
    version: 1,
    name: opts.name ?? 'vpn',
    nodes: [site('a'), { id: 'inet', kind: 'namespace', name: 'wg-inet', forwarding: true }, site('b')],
    links: (['a', 'b'] as const).map((side) => ({
      id: `${side}-inet`,
      kind: 'veth' as const,
      endpoints: [
        { node: side, ifname: 'eth0', addresses: [`${WG_SITES[side].underlay}/24`] },
        { node: 'inet', ifname: `to-${side}`, addresses: [`${WG_SITES[side].router}/24`] },
      ],
    })),
  };
}

/** validate(): WireGuard interfaces (issue #15) — schema and the cross-reference rules of wireguard.ts. */
import { describe, expect, it } from 'vitest';
import type { LabInput } from './lab';
import { WG_SITES, type WireguardInput, wireguardLab } from './testing/wireguard';
import { validate } from './validate';

const issues = (input: unknown, severity: 'error' | 'warning' = 'error') =>
  validate(input)
    .issues.filter((i) => i.severity === severity)
    .map((i) => `${i.code} ${i.path.join('.')}`);
const errors = (input: unknown) => issues(input, 'error');
const warnings = (input: unknown) => issues(input, 'warning');

/** Site a's wg0 is nodes.0.interfaces.0, site b's nodes.2.interfaces.0. */
const A = 'nodes.0.interfaces.0';
const B = 'nodes.2.interfaces.0';
const peerOfA = (over: Partial<NonNullable<WireguardInput['peers']>[number]>): Partial<WireguardInput> => ({
  peers: [
    { node: 'b', interface: 'wg0', endpoint: { address: WG_SITES.b.underlay }, allowedIps: ['10.99.0.2/32'], ...over },
  ],
});

describe('WireGuard interfaces', () => {
  it('accept two sites that peer each other by reference, with no issue at all', () => {
    const v = validate(wireguardLab());
    expect(v.issues).toEqual([]);
    expect(v.ok).toBe(true);
    if (!v.ok) return;
    const ns = v.lab.nodes[0]!;
    expect(ns.kind === 'namespace' && ns.interfaces?.[0]).toMatchObject({
      kind: 'wireguard',
      listenPort: 51820,
      peers: [{ node: 'b', interface: 'wg0', allowedIps: ['10.99.0.2/32'] }],
    });
  });

  it('accept a peer outside the lab by public key, with an endpoint port', () => {
    const key = 'xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=';
    const lab = wireguardLab({
      a: {
        peers: [{ publicKey: key, endpoint: { address: '203.0.113.9', port: 51000 }, allowedIps: ['10.7.0.0/16'] }],
      },
      b: { peers: [] },
    });
    expect(errors(lab)).toEqual([]);
  });

  it('reject a malformed public key, port and keepalive in the schema, naming the field', () => {
    const lab = wireguardLab({
      a: { listenPort: 0, peers: [{ publicKey: 'not-a-key', allowedIps: [], persistentKeepalive: 0 }] },
    });
    expect(errors(lab)).toEqual([
      `TooSmall ${A}.listenPort`,
      `InvalidFormat ${A}.peers.0.publicKey`,
      `TooSmall ${A}.peers.0.persistentKeepalive`,
    ]);
    // 43 base64 digits whose last one leaves bits over: not 32 bytes.
    expect(errors(wireguardLab({ a: { peers: [{ publicKey: `${'A'.repeat(42)}B=`, allowedIps: [] }] } }))).toEqual([
      `InvalidFormat ${A}.peers.0.publicKey`,
    ]);
  });

  it('a peer is a lab interface or a public key, exactly one', () => {
    expect(errors(wireguardLab({ a: peerOfA({ publicKey: 'xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=' }) }))).toEqual(
      [`WireguardPeerNeedsKey ${A}.peers.0`],
    );
    expect(errors(wireguardLab({ a: { peers: [{ allowedIps: ['10.99.0.2/32'] }] } }))).toEqual([
      `WireguardPeerNeedsKey ${A}.peers.0`,
      `WireguardPeerNotMutual ${B}.peers.0`,
    ]);
    expect(errors(wireguardLab({ a: peerOfA({ interface: undefined }) }))).toContain(
      `UnknownWireguardPeer ${A}.peers.0.interface`,
    );
  });

  it('a referenced peer exists, is a WireGuard interface, and is not the interface itself', () => {
    expect(errors(wireguardLab({ a: peerOfA({ node: 'nope' }) }))).toEqual([
      `UnknownWireguardPeer ${A}.peers.0.interface`,
      // b still lists a: a must list b back, and does not any more.
      `WireguardPeerNotMutual ${B}.peers.0`,
    ]);
    expect(errors(wireguardLab({ a: peerOfA({ interface: 'wg9' }) }))).toContain(
      `UnknownWireguardPeer ${A}.peers.0.interface`,
    );
    const lab = wireguardLab({ a: peerOfA({ node: 'inet', interface: 'tap0' }) }) as LabInput & {
      nodes: { interfaces?: unknown[] }[];
    };
    lab.nodes[1]!.interfaces = [{ kind: 'tap', name: 'tap0' }];
    expect(errors(lab)).toContain(`NotAWireguardInterface ${A}.peers.0.interface`);
    expect(errors(wireguardLab({ a: peerOfA({ node: 'a' }) }))).toContain(`WireguardSelfPeer ${A}.peers.0.interface`);
  });

  it('both ends list each other, and at least one knows where the other is', () => {
    expect(errors(wireguardLab({ b: { peers: [] } }))).toEqual([`WireguardPeerNotMutual ${A}.peers.0`]);
    expect(errors(wireguardLab({ a: peerOfA({ endpoint: undefined }) }))).toEqual([
      `WireguardNoEndpoint ${A}.peers.0`,
      `WireguardNoEndpoint ${B}.peers.0`,
    ]);
  });

  it('the same peer twice on one interface is refused', () => {
    const peer = {
      node: 'b',
      interface: 'wg0',
      endpoint: { address: WG_SITES.b.underlay },
      allowedIps: ['10.99.0.2/32'],
    };
    expect(errors(wireguardLab({ a: { peers: [peer, { ...peer, allowedIps: ['10.2.0.0/24'] }] } }))).toEqual([
      `DuplicateWireguardPeer ${A}.peers.1`,
    ]);
  });

  it('endpoint ports meet the peer’s listenPort; without one, the port must be given', () => {
    expect(errors(wireguardLab({ a: peerOfA({ endpoint: { address: WG_SITES.b.underlay, port: 51821 } }) }))).toEqual([
      `WireguardEndpointPortMismatch ${A}.peers.0.endpoint.port`,
    ]);
    expect(errors(wireguardLab({ b: { listenPort: undefined } }))).toEqual([
      `WireguardEndpointNeedsPort ${A}.peers.0.endpoint.port`,
    ]);
    expect(
      errors(
        wireguardLab({
          b: { listenPort: undefined },
          a: peerOfA({ endpoint: { address: WG_SITES.b.underlay, port: 4000 } }),
        }),
      ),
    ).toEqual([]);
    expect(
      errors(
        wireguardLab({
          a: {
            peers: [
              {
                publicKey: 'xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=',
                endpoint: { address: '203.0.113.9' },
                allowedIps: [],
              },
            ],
          },
          b: { peers: [] },
        }),
      ),
    ).toEqual([`WireguardEndpointNeedsPort ${A}.peers.0.endpoint.port`]);
  });

  it('the endpoint is the peer’s underlay, never its tunnel address; another address is a warning (NAT)', () => {
    expect(errors(wireguardLab({ a: peerOfA({ endpoint: { address: WG_SITES.b.tunnel } }) }))).toEqual([
      `WireguardEndpointInTunnel ${A}.peers.0.endpoint.address`,
    ]);
    const elsewhere = wireguardLab({ a: peerOfA({ endpoint: { address: WG_SITES.b.router } }) });
    expect(errors(elsewhere)).toEqual([]);
    expect(warnings(elsewhere)).toEqual([`WireguardEndpointNotOnPeer ${A}.peers.0.endpoint.address`]);
  });

  it('allowed IPs are canonical networks, each given to one peer', () => {
    expect(errors(wireguardLab({ a: peerOfA({ allowedIps: ['10.99.0.2/32', '10.2.0.1/24'] }) }))).toEqual([
      `WireguardAllowedIpHostBits ${A}.peers.0.allowedIps.1`,
    ]);
    expect(errors(wireguardLab({ a: peerOfA({ allowedIps: ['10.99.0.2/32', 'fd00:0::/64'] }) }))).toEqual([
      `NonCanonicalAddress ${A}.peers.0.allowedIps.1`,
    ]);
    const two = wireguardLab({
      a: {
        peers: [
          {
            node: 'b',
            interface: 'wg0',
            endpoint: { address: WG_SITES.b.underlay },
            allowedIps: ['10.99.0.2/32', '10.5.0.0/16'],
          },
          { publicKey: 'xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=', allowedIps: ['10.5.0.0/16'] },
        ],
      },
    });
    expect(errors(two)).toEqual([`DuplicateAllowedIp ${A}.peers.1.allowedIps.0`]);
  });

  it('warns when the peer’s own tunnel address is not allowed (its pings would be dropped)', () => {
    const lab = wireguardLab({ a: peerOfA({ allowedIps: ['10.2.0.0/24'] }) });
    expect(errors(lab)).toEqual([]);
    expect(warnings(lab)).toEqual([`WireguardAllowedIpsMissPeer ${A}.peers.0.allowedIps`]);
    expect(validate(lab).issues.find((i) => i.code === 'WireguardAllowedIpsMissPeer')?.message).toContain(
      'add 10.99.0.2/32',
    );
  });

  it('derived routes: not twice, and the endpoint not inside them', () => {
    const lab = wireguardLab({
      a: { ...peerOfA({ allowedIps: ['10.99.0.2/32', '10.2.0.0/24'] }), routeAllowedIps: true },
    });
    expect(validate(lab).issues).toEqual([]);
    const twice = wireguardLab({
      a: { ...peerOfA({ allowedIps: ['10.99.0.2/32', '0.0.0.0/0'] }), routeAllowedIps: true },
    });
    expect(errors(twice)).toEqual([`WireguardRouteDuplicatesRoute ${A}.peers.0.allowedIps.1`]);
    expect(warnings(twice)).toEqual([`WireguardEndpointRouted ${A}.peers.0.endpoint.address`]);
  });

  it('a WireGuard interface is never a bridge port; its UDP port is its own in the namespace', () => {
    const lab = wireguardLab({ a: { bridge: 'br0' } });
    expect(errors(lab)).toContain(`WireguardBridgePort ${A}.bridge`);
    const clash = wireguardLab() as LabInput & { nodes: { interfaces?: unknown[] }[] };
    clash.nodes[0]!.interfaces!.push(
      { kind: 'vxlan', name: 'vx0', vni: 5, remote: WG_SITES.b.underlay, dstPort: 51820 },
      { kind: 'wireguard', name: 'wg1', listenPort: 51820 },
    );
    // The VXLAN holds UDP 51820 first; both WireGuard interfaces of that namespace clash with it.
    expect(errors(clash)).toEqual([
      `DuplicateListenPort ${A}.listenPort`,
      'DuplicateListenPort nodes.0.interfaces.2.listenPort',
    ]);
  });
});

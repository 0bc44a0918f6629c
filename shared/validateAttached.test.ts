/**
 * validate(): attached interfaces (tap, vxlan, vlan, macvlan, WireGuard, GRE, IPIP, ip6tnl, GENEVE) are
 * interfaces of their namespace for every rule — addresses, names, routes — and tunnel `local`/`dev` name
 * this namespace's own addresses and interfaces (issue #13 item 11).
 */
import { describe, expect, it } from 'vitest';
import { validate } from './validate';

type X = Record<string, unknown>;

/** ns1 (eth0 10.0.0.1/24, fd00::1/64) — veth — ns2 (eth0 10.0.0.2/24, fd00::2/64); attached interfaces on each. */
function lab(one: X[], two: X[] = [], extra: { nodes?: X[]; routes1?: X[]; routes2?: X[] } = {}) {
  return {
    version: 1,
    name: 'attached',
    nodes: [
      { id: 'ns1', kind: 'namespace', name: 'ns1', interfaces: one, routes: extra.routes1 ?? [] },
      { id: 'ns2', kind: 'namespace', name: 'ns2', interfaces: two, routes: extra.routes2 ?? [] },
      ...(extra.nodes ?? []),
    ],
    links: [
      {
        id: 'l',
        kind: 'veth',
        endpoints: [
          { node: 'ns1', ifname: 'eth0', addresses: ['10.0.0.1/24', 'fd00::1/64'] },
          { node: 'ns2', ifname: 'eth0', addresses: ['10.0.0.2/24', 'fd00::2/64'] },
        ],
      },
    ],
  };
}

const issues = (input: unknown, severity: 'error' | 'warning' = 'error') =>
  validate(input)
    .issues.filter((i) => i.severity === severity)
    .map((i) => `${i.code} ${i.path.join('.')}`);

/** One of each kind, as ns1 would hold it (`remote`s point at ns2's underlay). */
const KINDS: Record<string, X> = {
  tap: { kind: 'tap', name: 'tap0' },
  vxlan: { kind: 'vxlan', name: 'vx0', vni: 42, remote: '10.0.0.2' },
  vlan: { kind: 'vlan', name: 'eth0.10', parent: 'eth0', vlanId: 10 },
  macvlan: { kind: 'macvlan', name: 'mv0', parent: 'enp1s0' },
  wireguard: { kind: 'wireguard', name: 'wg0' },
  gre: { kind: 'gre', name: 'gre1', remote: '10.0.0.2' },
  ipip: { kind: 'ipip', name: 'ipip1', remote: '10.0.0.2' },
  ip6tnl: { kind: 'ip6tnl', name: 'ip6t1', remote: 'fd00::2' },
  geneve: { kind: 'geneve', name: 'gnv0', vni: 5, remote: '10.0.0.2' },
};
const kinds = Object.keys(KINDS);
const A = 'nodes.0.interfaces.0';

/** The same kind in ns2, pointing back at ns1: with KINDS[kind] in ns1, the two ends of one segment. */
function farEnd(kind: string): X {
  const x = KINDS[kind]!;
  if (kind === 'wireguard')
    return { ...x, listenPort: 51820, peers: [{ node: 'ns1', interface: 'wg0', allowedIps: ['192.168.9.1/32'] }] };
  if (kind === 'ip6tnl') return { ...x, remote: 'fd00::1' };
  if ('remote' in x) return { ...x, remote: '10.0.0.1' };
  return x;
}
function nearEnd(kind: string): X {
  const x = KINDS[kind]!;
  if (kind === 'wireguard')
    return {
      ...x,
      peers: [
        {
          node: 'ns2',
          interface: 'wg0',
          endpoint: { address: '10.0.0.2', port: 51820 },
          allowedIps: ['192.168.9.2/32'],
        },
      ],
    };
  return x;
}

describe('attached interfaces: address rules', () => {
  it.each(kinds)('%s: loopback and multicast addresses are refused (a plain one is accepted)', (kind) => {
    expect(issues(lab([{ ...KINDS[kind], addresses: ['10.5.0.1/24'] }]))).toEqual([]);
    expect(issues(lab([{ ...KINDS[kind], addresses: ['127.0.0.5/8', '224.1.1.1/24', '::1/128'] }]))).toEqual([
      `SpecialAddress ${A}.addresses.0`,
      `SpecialAddress ${A}.addresses.1`,
      `SpecialAddress ${A}.addresses.2`,
    ]);
  });

  it.each(kinds)('%s: the network and the broadcast address are not interface addresses', (kind) => {
    expect(issues(lab([{ ...KINDS[kind], addresses: ['10.5.0.0/24', '10.6.0.255/24'] }]))).toEqual([
      `NetworkAddress ${A}.addresses.0`,
      `BroadcastAddress ${A}.addresses.1`,
    ]);
  });

  it.each(kinds)('%s: an address is written the way ip prints it', (kind) => {
    const input = lab([{ ...KINDS[kind], addresses: ['fd09:0::1/64'] }]);
    expect(issues(input)).toEqual([`NonCanonicalAddress ${A}.addresses.0`]);
    expect(validate(input).issues.find((i) => i.code === 'NonCanonicalAddress')!.message).toContain('fd09::1/64');
  });

  it.each(kinds)('%s: an address listed twice on the interface', (kind) => {
    expect(issues(lab([{ ...KINDS[kind], addresses: ['10.5.0.1/24', '10.5.0.1/24'] }]))).toEqual([
      `DuplicateAddress ${A}.addresses.1`,
    ]);
  });

  it.each(kinds)('%s: a subnet overlapping (or repeating) another interface of the namespace', (kind) => {
    expect(issues(lab([{ ...KINDS[kind], addresses: ['10.0.0.9/25'] }]))).toEqual([
      `OverlappingSubnet ${A}.addresses.0`,
    ]);
    // The very address of eth0 again: the kernel could not tell the two interfaces apart.
    expect(issues(lab([{ ...KINDS[kind], addresses: ['10.0.0.1/24'] }]))).toEqual([
      `OverlappingSubnet ${A}.addresses.0`,
    ]);
    // Two attached interfaces of one namespace overlap each other just the same.
    const second = { kind: 'tap', name: 'tap9', addresses: ['10.5.0.2/25'] };
    expect(issues(lab([{ ...KINDS[kind], addresses: ['10.5.0.1/24'] }, second]))).toEqual([
      'OverlappingSubnet nodes.0.interfaces.1.addresses.0',
    ]);
  });

  it.each(kinds.filter((k) => k !== 'tap'))(
    '%s: both ends of one segment (across namespaces) cannot share an address',
    (kind) => {
      const near = { ...nearEnd(kind), addresses: ['192.168.9.1/24'] };
      const far = { ...farEnd(kind), addresses: ['192.168.9.2/24'] };
      expect(issues(lab([near], [far]))).toEqual([]);
      expect(issues(lab([near], [{ ...far, addresses: ['192.168.9.1/24'] }]))).toEqual([
        'DuplicateAddress nodes.1.interfaces.0.addresses.0',
      ]);
    },
  );

  it('vlan: only the same VLAN id on one segment is one network; a VLAN port joins its bridge to it', () => {
    const v = (vlanId: number, extra: X = {}) => ({
      kind: 'vlan',
      name: 'eth0.x',
      parent: 'eth0',
      vlanId,
      addresses: ['192.168.9.1/24'],
      ...extra,
    });
    expect(issues(lab([v(10)], [v(10)]))).toEqual(['DuplicateAddress nodes.1.interfaces.0.addresses.0']);
    expect(issues(lab([v(10)], [v(20)]))).toEqual([]);
    const br = { id: 'br', kind: 'bridge', name: 'br0', namespace: 'ns1', addresses: ['192.168.9.1/24'] };
    expect(issues(lab([v(10, { bridge: 'br', addresses: [] })], [v(10)], { nodes: [br] }))).toEqual([
      'DuplicateAddress nodes.1.interfaces.0.addresses.0',
    ]);
    expect(issues(lab([v(10, { bridge: 'br', addresses: [] })], [v(20)], { nodes: [br] }))).toEqual([]);
  });

  it('tap: two taps that are ports of one bridge hear each other', () => {
    const br = { id: 'br', kind: 'bridge', name: 'br0', namespace: 'ns1' };
    const taps = [
      { kind: 'tap', name: 'tap0', bridge: 'br', addresses: ['192.168.9.1/24'] },
      { kind: 'tap', name: 'tap1', bridge: 'br', addresses: ['192.168.9.1/24'] },
    ];
    expect(issues(lab(taps, [], { nodes: [br] }))).toContain('DuplicateAddress nodes.0.interfaces.1.addresses.0');
    // Not on one segment: the same address in two namespaces is fine.
    expect(
      issues(
        lab(
          [{ kind: 'tap', name: 'tap0', addresses: ['192.168.9.1/24'] }],
          [{ kind: 'tap', name: 'tap0', addresses: ['192.168.9.1/24'] }],
        ),
      ),
    ).toEqual([]);
    expect(issues(lab(taps, [], { nodes: [br] }), 'warning')).toEqual([
      'AddressOnBridgePort nodes.0.interfaces.0.addresses',
      'AddressOnBridgePort nodes.0.interfaces.1.addresses',
    ]);
  });
});

describe('attached interfaces: names', () => {
  it.each(kinds)('%s: "lo" is reserved, a name is unique in its namespace', (kind) => {
    expect(issues(lab([{ ...KINDS[kind], name: 'lo' }]))).toContain(`ReservedName ${A}.name`);
    expect(issues(lab([{ ...KINDS[kind], name: 'eth0' }]))).toContain(`DuplicateInterfaceName ${A}.name`);
  });

  it('a name taken by a bridge of the namespace is taken', () => {
    const br = { id: 'br', kind: 'bridge', name: 'br0', namespace: 'ns1' };
    expect(
      issues(
        lab(
          [
            { kind: 'tap', name: 'br0' },
            { kind: 'tap', name: 'lo' },
          ],
          [],
          { nodes: [br] },
        ),
      ),
    ).toEqual(['DuplicateInterfaceName nodes.0.interfaces.0.name', 'ReservedName nodes.0.interfaces.1.name']);
  });
});

describe('tunnel "local" and VXLAN "dev"', () => {
  const withLocal: [string, X, string, string][] = [
    ['vxlan', KINDS.vxlan!, '10.0.0.1', '10.0.0.9'],
    ['gre', KINDS.gre!, '10.0.0.1', '10.0.0.9'],
    ['ipip', KINDS.ipip!, '10.0.0.1', '10.0.0.9'],
    ['ip6tnl', KINDS.ip6tnl!, 'fd00::1', 'fd00::9'],
  ];

  it.each(withLocal)('%s: local is an underlay address of this namespace', (_kind, x, own, foreign) => {
    expect(issues(lab([{ ...x, local: own }]))).toEqual([]);
    expect(issues(lab([{ ...x, local: foreign }]))).toEqual([`TunnelLocalNotOwn ${A}.local`]);
    // The far end's address is not ours either.
    expect(issues(lab([{ ...x, local: own.replace(/1$/, '2') }]))).toEqual([`TunnelLocalNotOwn ${A}.local`]);
  });

  it.each(withLocal)('%s: local is not the tunnel’s own inner address', (_kind, x) => {
    const v6 = x.kind === 'ip6tnl';
    const r = validate(
      lab([{ ...x, addresses: [v6 ? 'fd09::1/64' : '10.9.0.1/24'], local: v6 ? 'fd09::1' : '10.9.0.1' }]),
    );
    expect(r.issues.filter((i) => i.severity === 'error').map((i) => `${i.code} ${i.path.join('.')}`)).toEqual([
      `TunnelLocalNotOwn ${A}.local`,
    ]);
    expect(r.issues.find((i) => i.code === 'TunnelLocalNotOwn')!.message).toContain('own tunnel address');
  });

  it.each(withLocal)('%s: local is a unicast address', (_kind, x) => {
    const bad =
      x.kind === 'ip6tnl' ? ['::1', 'ff02::1', '::'] : ['127.0.0.1', '224.0.0.5', '0.0.0.0', '255.255.255.255'];
    for (const local of bad) expect(issues(lab([{ ...x, local }]))).toEqual([`TunnelLocalNotUnicast ${A}.local`]);
  });

  it('ip6tnl: local is written the way ip prints it', () => {
    expect(issues(lab([{ ...KINDS.ip6tnl, local: 'fd00:0::1' }]))).toEqual([`NonCanonicalAddress ${A}.local`]);
  });

  it('vxlan: dev names another interface of the same namespace', () => {
    expect(issues(lab([{ ...KINDS.vxlan, dev: 'eth0' }]))).toEqual([]);
    expect(issues(lab([{ kind: 'vxlan', name: 'vx0', vni: 1, group: '239.1.1.1', dev: 'eth0' }]))).toEqual([]);
    expect(issues(lab([{ ...KINDS.vxlan, dev: 'eth9' }]))).toEqual([`UnknownDevice ${A}.dev`]);
    expect(issues(lab([{ ...KINDS.vxlan, dev: 'vx0' }]))).toEqual([`UnknownDevice ${A}.dev`]);
    // An interface of another namespace is not one of ours.
    expect(issues(lab([{ ...KINDS.vxlan, dev: 'tap2' }], [{ kind: 'tap', name: 'tap2' }]))).toEqual([
      `UnknownDevice ${A}.dev`,
    ]);
    // An attached interface of this namespace is.
    expect(issues(lab([{ ...KINDS.vxlan, dev: 'eth0.10' }, KINDS.vlan!]))).toEqual([]);
  });
});

describe('routes over attached interfaces', () => {
  it.each(kinds)('%s: dev routes through it are accepted; gateways on its subnet are connected', (kind) => {
    const x = KINDS[kind]!;
    const route = { to: '10.77.0.0/24', dev: x.name };
    expect(issues(lab([x], [], { routes1: [route] }))).toEqual([]);
    const withAddr = { ...x, addresses: ['10.5.0.1/24'] };
    expect(issues(lab([withAddr], [], { routes1: [route] }))).toEqual([]);
    expect(issues(lab([withAddr], [], { routes1: [{ to: '10.77.0.0/24', via: '10.5.0.9' }] }))).toEqual([]);
    expect(issues(lab([withAddr], [], { routes1: [{ to: '10.77.0.0/24', via: '10.5.0.9', dev: 'eth0' }] }))).toEqual([
      'GatewayNotOnDev nodes.0.routes.0.via',
    ]);
    if (kind !== 'tap') {
      // A gateway at the far end of the tunnel / segment: connected, and someone answers for it.
      const near = { ...nearEnd(kind), addresses: ['192.168.9.1/24'] };
      const far = { ...farEnd(kind), addresses: ['192.168.9.2/24'] };
      const input = lab([near], [far], { routes1: [{ to: '10.77.0.0/24', via: '192.168.9.2' }] });
      expect(issues(input)).toEqual([]);
      expect(issues(input, 'warning').filter((w) => w.startsWith('GatewayAbsent'))).toEqual([]);
    }
    if (['tap', 'vxlan', 'vlan', 'macvlan', 'geneve'].includes(kind)) {
      // As a port of a bridge it is still an interface of the namespace, as a veth bridge port is.
      const br = { id: 'br', kind: 'bridge', name: 'br0', namespace: 'ns1' };
      expect(issues(lab([{ ...x, bridge: 'br' }], [], { nodes: [br], routes1: [route] }))).toEqual([]);
    }
  });
});

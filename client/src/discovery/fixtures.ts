/** Test data for the host view: a discovery as GET /api/discovery returns it (owned pair + foreign objects). */

import type { DiscoveryResponse, Extra, ObjectInfo } from '../../../shared/discovery';
import { makeBridge, makeEndpoint, makeLab, makeNamespace, makeVeth } from '../testing/factories';

const owned = (lab: string, object: string) => ({ ownership: 'owned' as const, marker: { lab, object } });

export function makeDiscovery(over: Partial<DiscoveryResponse> = {}): DiscoveryResponse {
  const lab = makeLab({
    name: 'host',
    nodes: [
      makeNamespace('red'),
      makeNamespace('blue'),
      makeNamespace('ns-green', 'green'),
      makeBridge('br-br0', 'br0'),
    ],
    links: [
      makeVeth(
        'l1',
        makeEndpoint('red', 'veth-red', ['10.0.0.1/24']),
        makeEndpoint('blue', 'veth-blue', ['10.0.0.2/24']),
      ),
      makeVeth('veth-vg0-vg1', makeEndpoint('br-br0', 'vg0'), makeEndpoint('ns-green', 'vg1', ['192.168.50.2/24'])),
    ],
  });
  const objects: Record<string, ObjectInfo> = {
    red: { id: 'red', kind: 'namespace', netns: 'red', ...owned('veth-pair', 'red') },
    blue: { id: 'blue', kind: 'namespace', netns: 'blue', ...owned('veth-pair', 'blue') },
    'ns-green': { id: 'ns-green', kind: 'namespace', netns: 'green', ownership: 'foreign' },
    'br-br0': { id: 'br-br0', kind: 'bridge', netns: null, ifname: 'br0', ownership: 'foreign' },
    l1: { id: 'l1', kind: 'veth', netns: 'red', ifname: 'veth-red', ...owned('veth-pair', 'l1#0') },
    'l1#0': { id: 'l1#0', kind: 'endpoint', netns: 'red', ifname: 'veth-red', ...owned('veth-pair', 'l1#0') },
    'l1#1': { id: 'l1#1', kind: 'endpoint', netns: 'blue', ifname: 'veth-blue', ...owned('veth-pair', 'l1#1') },
    'veth-vg0-vg1': { id: 'veth-vg0-vg1', kind: 'veth', netns: null, ifname: 'vg0', ownership: 'foreign' },
    'veth-vg0-vg1#0': { id: 'veth-vg0-vg1#0', kind: 'endpoint', netns: null, ifname: 'vg0', ownership: 'foreign' },
    'veth-vg0-vg1#1': { id: 'veth-vg0-vg1#1', kind: 'endpoint', netns: 'green', ifname: 'vg1', ownership: 'foreign' },
  };
  const extras: Extra[] = [
    {
      id: 'x-host-mv0',
      kind: 'macvlan',
      netns: null,
      ifname: 'mv0',
      addresses: ['10.9.9.1/24'],
      parent: { netns: null, ifname: 'br0' },
      ownership: 'foreign',
      reason: "interfaces of kind 'macvlan' cannot be expressed in the lab format yet",
    },
    {
      id: 'x-pid1234',
      kind: 'netns',
      netns: 'pid:1234',
      addresses: [],
      pid: 1234,
      comm: 'sleep',
      ownership: 'foreign',
      reason: 'network namespace held by process 1234 (sleep) without a name under /run/netns',
    },
    {
      id: 'x-pid1234-vp1',
      kind: 'veth',
      netns: 'pid:1234',
      ifname: 'vp1',
      addresses: [],
      peer: { netns: null, ifname: 'vp0' },
      ownership: 'foreign',
      reason: 'interface in a namespace that has no name',
    },
    {
      id: 'x-host-vp0',
      kind: 'veth',
      netns: null,
      ifname: 'vp0',
      addresses: [],
      peer: { netns: 'pid:1234', ifname: 'vp1' },
      ownership: 'foreign',
      reason: 'veth to pid:1234 (sleep), a namespace without a name',
    },
  ];
  for (const x of extras) objects[x.id] = { id: x.id, kind: 'extra', netns: x.netns, ownership: 'foreign' };
  return {
    at: '2026-11-24T19:00:00.000Z',
    durationMs: 12,
    lab,
    extras,
    objects,
    warnings: [],
    namespaces: [
      { ref: null, source: 'root', links: [{ ifname: 'br0', kind: 'bridge', addresses: [], operstate: 'UP' }] },
      { ref: 'red', source: 'named', links: [{ ifname: 'veth-red', kind: 'veth', addresses: [], operstate: 'UP' }] },
    ],
    ...over,
  };
}

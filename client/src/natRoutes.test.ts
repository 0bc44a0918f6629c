import { describe, expect, it } from 'vitest';
import { natNeeds } from './natRoutes';
import { makeBridge, makeEndpoint, makeLab, makeNamespace, makeVeth } from './testing/factories';

describe('natNeeds', () => {
  const lab = () =>
    makeLab({
      nodes: [
        { id: 'h', kind: 'host' },
        makeNamespace('a'),
        makeNamespace('b'),
        makeNamespace('c'),
        makeNamespace('d', 'd', { routes: [{ to: 'default', via: '10.1.0.1' }] }),
        makeBridge('lan', 'br-lan', { addresses: ['10.2.0.1/24'] }),
      ],
      links: [
        makeVeth('ha', makeEndpoint('h', 'up-a', ['10.9.0.1/30']), makeEndpoint('a', 'up0', ['10.9.0.2/30'])),
        makeVeth('ab', makeEndpoint('a', 'eth1', ['10.1.0.1/24']), makeEndpoint('b', 'eth0', ['10.1.0.2/24'])),
        makeVeth('cl', makeEndpoint('c', 'eth0', ['10.2.0.5/24']), makeEndpoint('lan', 'br-lan-p1')),
        makeVeth('ad', makeEndpoint('a', 'eth2', ['10.1.1.1/24']), makeEndpoint('d', 'eth0', ['10.1.1.2/24'])),
      ],
    });

  it('a default route via the host: on a veth to the host, or via a root bridge with the host address', () => {
    expect(natNeeds(lab())).toEqual([
      { node: 'a', name: 'a', route: { to: 'default', via: '10.9.0.1' } },
      { node: 'b', name: 'b', route: null }, // behind a: not linked to the host
      { node: 'c', name: 'c', route: { to: 'default', via: '10.2.0.1' } },
    ]); // d has its default route already
  });

  it('nothing without a host node', () => {
    const l = lab();
    l.nodes = l.nodes.filter((n) => n.kind !== 'host');
    expect(natNeeds(l)).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
import { validate } from '../../../shared/validate';
import { makeBridge, makeEndpoint, makeLab, makeNamespace, makeVeth } from '../testing/factories';
import { applyRenames, derivedRenames } from './renameIfaces';

// red was renamed pc1: its interfaces still carry the old name.
const lab = () =>
  makeLab({
    nodes: [
      makeNamespace('n1', 'pc1', {
        routes: [{ to: '10.7.0.0/24', dev: 'red-eth0' }],
        interfaces: [{ kind: 'vlan', name: 'v10', parent: 'veth-red', vlanId: 10, addresses: [] }],
      } as never),
      makeNamespace('n2', 'blue'),
      makeBridge('b', 'br0'),
    ],
    links: [
      makeVeth('a', makeEndpoint('n1', 'red-eth0', ['10.0.0.1/30']), makeEndpoint('n2', 'blue-eth0', ['10.0.0.2/30'])),
      makeVeth('b2', makeEndpoint('n1', 'veth-red', ['10.0.1.1/30']), makeEndpoint('n2', 'red-peer', ['10.0.1.2/30'])),
      makeVeth('c', makeEndpoint('n1', 'redish0'), makeEndpoint('b', 'br0-p1')),
    ],
  });

describe('derivedRenames / applyRenames', () => {
  it('finds the names holding the old name as a token on this node only, and what they become', () => {
    expect(derivedRenames(lab(), 'n1', 'red', 'pc1')).toEqual([
      { key: 'a#0', from: 'red-eth0', to: 'pc1-eth0' },
      { key: 'b2#0', from: 'veth-red', to: 'veth-pc1' },
    ]); // not 'redish0' (no token), not blue's 'red-peer' (another node)
  });

  it('keeps the kernel limit (15 bytes) by shortening the new name; skips clashes', () => {
    expect(derivedRenames(lab(), 'n1', 'red', 'workstation-long').map((r) => r.to)).toEqual([
      'workstatio-eth0',
      'veth-workstatio',
    ]);
    const clash = lab();
    clash.links[2]!.endpoints[0]!.ifname = 'pc1-eth0';
    expect(derivedRenames(clash, 'n1', 'red', 'pc1').map((r) => r.from)).toEqual(['veth-red']);
  });

  it('renames them and what names them in the namespace: routes (dev), VLAN parents', () => {
    const before = lab();
    const after = applyRenames(before, 'n1', derivedRenames(before, 'n1', 'red', 'pc1'));
    expect(after.links.map((l) => l.endpoints[0].ifname)).toEqual(['pc1-eth0', 'veth-pc1', 'redish0']);
    expect(after.nodes[0]).toMatchObject({
      routes: [{ to: '10.7.0.0/24', dev: 'pc1-eth0' }],
      interfaces: [{ parent: 'veth-pc1' }],
    });
    expect(validate(after).issues.filter((i) => i.severity === 'error')).toEqual([]);
    expect(before.links[0]!.endpoints[0]!.ifname).toBe('red-eth0'); // pure
  });
});

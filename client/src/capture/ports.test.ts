/** tunnelPorts(): a lab's own VXLAN and WireGuard ports reach the capture decoder. */
import { describe, expect, it } from 'vitest';
import { Lab } from '../../../shared/lab';
import { wireguardLab } from '../../../shared/testing/wireguard';
import { tunnelPorts } from './ports';

describe('tunnelPorts', () => {
  it('lists VXLAN dstPorts and WireGuard listenPorts of every namespace', () => {
    const input = wireguardLab({ b: { listenPort: 40000 } }) as { nodes: { interfaces?: unknown[] }[] };
    input.nodes[1]!.interfaces = [{ kind: 'vxlan', name: 'vx0', vni: 7, remote: '192.0.2.1', dstPort: 9000 }];
    expect(tunnelPorts(Lab.parse(input))).toEqual({ vxlanPorts: [9000], wireguardPorts: [51820, 40000] });
    expect(tunnelPorts(Lab.parse({ version: 1, name: 'x', nodes: [], links: [] }))).toEqual({
      vxlanPorts: [],
      wireguardPorts: [],
    });
  });
});

import { describe, expect, it } from 'vitest';
import { Lab } from '../../../shared/lab';
import { wireguardLab } from '../../../shared/testing/wireguard';
import { wireguardTunnels } from './tunnelEdge';

describe('WireGuard tunnels on the canvas', () => {
  it('one dashed tunnel edge per pair of mutual peers, coloured by both ends', () => {
    const lab = Lab.parse(wireguardLab());
    expect(wireguardTunnels(lab, {})).toEqual([
      expect.objectContaining({
        id: 'wg:a/wg0~b/wg0',
        type: 'wgtunnel',
        source: 'a',
        target: 'b',
        selectable: false,
        data: expect.objectContaining({ ends: ['a/wg0', 'b/wg0'], label: 'WireGuard wg0', state: 'absent' }),
      }),
    ]);
    const ready = { state: 'ready' as const, conditions: [] };
    expect(
      wireguardTunnels(lab, { 'a/wg0': { id: 'a/wg0', ...ready }, 'b/wg0': { id: 'b/wg0', ...ready } })[0]!.data!.state,
    ).toBe('ready');
    expect(wireguardTunnels(lab, { 'a/wg0': { id: 'a/wg0', ...ready } })[0]!.data!.state).toBe('drifted');
    // Both ends reported, neither on the host (before apply, after destroy): absent, not drifted.
    const absent = { state: 'absent' as const, conditions: [] };
    expect(
      wireguardTunnels(lab, { 'a/wg0': { id: 'a/wg0', ...absent }, 'b/wg0': { id: 'b/wg0', ...absent } })[0]!.data!
        .state,
    ).toBe('absent');
  });

  it('no edge while only one end lists the other', () => {
    const lab = Lab.parse(wireguardLab({ b: { peers: [] } }));
    expect(wireguardTunnels(lab, {})).toEqual([]);
  });
});

/**
 * Until the WireGuard kind module joins the engine (issue #15, phase 2), a lab with a WireGuard interface is
 * valid but its plan is refused: Unsupported, naming the interface's path, and no operation at all.
 */
import { describe, expect, it } from 'vitest';
import { Lab } from '../../shared';
import { wireguardLab } from '../../shared/testing/wireguard';
import { plan } from '../engine/plan';
import { emptyObserved } from '../engine/simulate';

describe('WireGuard before its kind module', () => {
  it('is refused at plan time with nothing to run', () => {
    const p = plan(Lab.parse(wireguardLab()), emptyObserved());
    expect(p.ops).toEqual([]);
    expect(p.errors).toEqual([
      expect.objectContaining({ code: 'Unsupported', path: 'nodes.0.interfaces.0.kind', object: 'a/wg0' }),
      expect.objectContaining({ code: 'Unsupported', path: 'nodes.2.interfaces.0.kind', object: 'b/wg0' }),
    ]);
    expect(p.errors[0]!.message).toContain("WireGuard interface 'wg0'");
  });
});

import { describe, expect, it } from 'vitest';
import type { Lab } from '../../../shared/lab';
import { makeVethPair } from '../testing/factories';
import { formatKbit, impairmentLabel } from './impairment';
import { sameEdgeView, toFlow } from './toFlow';

const layout = { version: 1 as const, positions: {}, notes: [] };

function withEnds(f: (lab: Lab) => void): Lab {
  const lab = structuredClone(makeVethPair());
  f(lab);
  return lab;
}

describe('impairment badges', () => {
  it('formats rates and netem settings', () => {
    expect(formatKbit(512)).toBe('512 kbit/s');
    expect(formatKbit(1000)).toBe('1 Mbit/s');
    expect(formatKbit(1500)).toBe('1.5 Mbit/s');
    expect(formatKbit(2_500_000)).toBe('2.5 Gbit/s');
    expect(impairmentLabel(undefined)).toBeUndefined();
    expect(impairmentLabel({})).toBeUndefined();
    expect(impairmentLabel({ rateKbit: 1000, burstKb: 64 })).toBe('⏱ 1 Mbit/s');
    expect(impairmentLabel({ delayMs: 50, jitterMs: 5, lossPct: 1 })).toBe('delay 50 ms ±5 ms · loss 1%');
    expect(impairmentLabel({ duplicatePct: 2, corruptPct: 0.5 })).toBe('dup 2% · corrupt 0.5%');
  });

  it('toFlow puts the badge on the end it applies to and marks a down link', () => {
    const plain = toFlow(makeVethPair(), layout, {}, new Map()).edges[0]!.data!;
    expect(plain.ends.map((e) => e.impairment)).toEqual([undefined, undefined]);
    expect(plain.down).toBeUndefined();
    const lab = withEnds((l) => {
      l.links[0]!.endpoints[1].impairment = { rateKbit: 1000, delayMs: 50 };
      l.links[0]!.endpoints[0].up = false;
    });
    const view = toFlow(lab, layout, {}, new Map()).edges[0]!.data!;
    expect(view.ends[0].impairment).toBeUndefined();
    expect(view.ends[1].impairment).toBe('⏱ 1 Mbit/s · delay 50 ms');
    expect(view.down).toBe(true);
    // The structural sharing notices both changes (memoized edges re-render).
    expect(sameEdgeView(plain, view)).toBe(false);
    const onlyDown = toFlow(
      withEnds((l) => {
        l.links[0]!.endpoints[0].up = false;
      }),
      layout,
      {},
      new Map(),
    ).edges[0]!.data!;
    expect(sameEdgeView(plain, onlyDown)).toBe(false);
    expect(sameEdgeView(onlyDown, view)).toBe(false);
  });
});

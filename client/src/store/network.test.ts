import { beforeEach, describe, expect, it } from 'vitest';
import { makeVethPair } from '../testing/factories';
import { createEditorStore, type EditorStore } from './editorStore';
import { netemUseOf, selectApplyBlocker } from './selectors';

let store: EditorStore;
const s = () => store.getState();
const history = () => store.temporal.getState();
const ends = () => s().lab.links[0]!.endpoints;
const red = () => s().lab.nodes.find((n) => n.id === 'red')!;

beforeEach(() => {
  store = createEditorStore();
  s().loadDocument(makeVethPair(), { version: 1, positions: {}, notes: [] }, 1);
  history().clear();
  s().setConnection('connected');
});

describe('network feature verbs', () => {
  it('toggleLinkUp sets both ends down, then both up: one history entry each', () => {
    expect(s().toggleLinkUp('l1')).toBe(false);
    expect(ends().map((e) => e.up)).toEqual([false, false]);
    expect(history().pastStates).toHaveLength(1);
    expect(s().toggleLinkUp('l1')).toBe(true);
    expect(ends().map((e) => e.up)).toEqual([true, true]);
    expect(history().pastStates).toHaveLength(2);
    history().undo();
    expect(ends().map((e) => e.up)).toEqual([false, false]);
  });

  it('toggleLinkUp with one end down brings both up; unknown link is a no-op', () => {
    s().updateEndpoint('l1', 1, { up: false });
    expect(s().toggleLinkUp('l1')).toBe(true);
    expect(ends().map((e) => e.up)).toEqual([true, true]);
    const n = history().pastStates.length;
    expect(s().toggleLinkUp('nope')).toBeNull();
    expect(history().pastStates).toHaveLength(n);
  });

  it('setImpairment merges fields, clears one with undefined and removes an empty impairment', () => {
    s().setImpairment('l1', 0, { rateKbit: 1000 });
    expect(ends()[0].impairment).toEqual({ rateKbit: 1000 });
    expect(history().pastStates).toHaveLength(1);
    s().setImpairment('l1', 0, { burstKb: 64 });
    expect(ends()[0].impairment).toEqual({ rateKbit: 1000, burstKb: 64 });
    s().setImpairment('l1', 0, { burstKb: undefined });
    expect(ends()[0].impairment).toEqual({ rateKbit: 1000 });
    s().setImpairment('l1', 0, { rateKbit: undefined });
    expect('impairment' in ends()[0]).toBe(false);
    s().setImpairment('l1', 1, { delayMs: 50 });
    s().setImpairment('l1', 1, null);
    expect('impairment' in ends()[1]).toBe(false);
    expect(history().pastStates).toHaveLength(6);
    expect(ends()[0].ifname).toBe('red-eth0');
  });

  it('addRoute / updateRoute / removeRoute: one history entry each', () => {
    s().addRoute('red', { to: '10.0.2.0/24', via: '10.0.0.2' });
    s().addRoute('red', { to: 'default', via: '10.0.0.2', metric: 100 });
    expect(red()).toMatchObject({ routes: [{ to: '10.0.2.0/24' }, { to: 'default', metric: 100 }] });
    s().updateRoute('red', 0, { to: '10.0.3.0/24', dev: 'red-eth0' });
    expect(red()).toMatchObject({ routes: [{ to: '10.0.3.0/24', dev: 'red-eth0' }, { to: 'default' }] });
    s().removeRoute('red', 0);
    expect(red()).toMatchObject({ routes: [{ to: 'default', via: '10.0.0.2', metric: 100 }] });
    expect(history().pastStates).toHaveLength(4);
    history().undo();
    expect(red()).toMatchObject({ routes: [{ to: '10.0.3.0/24' }, { to: 'default' }] });
  });

  it('Apply is blocked when the kernel has no netem and an end uses a netem field', () => {
    s().setImpairment('l1', 0, { delayMs: 50 });
    expect(selectApplyBlocker(s())).toBeNull(); // capabilities unknown: the plan decides
    s().setCapabilities({ netem: false, tbf: true });
    expect(netemUseOf(s().lab)).toBe('delay on red-eth0');
    expect(selectApplyBlocker(s())).toMatch(/delay on red-eth0 needs netem/);
    s().setImpairment('l1', 0, { delayMs: undefined, rateKbit: 1000 });
    expect(selectApplyBlocker(s())).toBeNull();
  });
});

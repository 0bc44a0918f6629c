import { beforeEach, describe, expect, it } from 'vitest';
import { makeVethPair } from '../testing/factories';
import { createEditorStore, type EditorStore } from './editorStore';
import { problemsOf, selectApplyBlocker, selectDirty } from './selectors';

let store: EditorStore;
const s = () => store.getState();
const history = () => store.temporal.getState();

beforeEach(() => {
  store = createEditorStore();
  s().loadDocument(
    makeVethPair(),
    { version: 1, positions: { red: { x: 0, y: 0 }, blue: { x: 300, y: 0 } }, notes: [] },
    3,
  );
  history().clear();
  s().setConnection('connected');
});

describe('editor store', () => {
  it('addNode adds a node with a position and selects it: one history entry', () => {
    const id = s().addNode('namespace', { x: 10, y: 20 });
    expect(s().lab.nodes.find((n) => n.id === id)).toMatchObject({ kind: 'namespace', name: 'green' });
    expect(s().layout.positions[id]).toEqual({ x: 10, y: 20 });
    expect(s().selection.nodes).toEqual([id]);
    expect(history().pastStates).toHaveLength(1);
  });

  it('connect creates one veth with proposed names and addresses: one history entry', () => {
    const a = s().addNode('namespace', { x: 0, y: 0 });
    const b = s().addNode('bridge', { x: 0, y: 0 });
    const before = history().pastStates.length;
    const id = s().connect(a, b)!;
    const link = s().lab.links.find((l) => l.id === id)!;
    expect(link.endpoints.map((e) => e.ifname)).toEqual(['green-eth0', 'br0-p1']);
    expect(link.endpoints[0].addresses).toEqual(['10.0.1.1/24']);
    expect(history().pastStates.length).toBe(before + 1);
    expect(s().connect(a, a)).toBeNull();
  });

  it('a drag is one history entry, undo restores the start position', () => {
    s().beginDrag();
    for (let i = 1; i <= 20; i++) s().moveNodes({ red: { x: i * 5, y: i } });
    s().endDrag();
    expect(s().layout.positions.red).toEqual({ x: 100, y: 20 });
    expect(history().pastStates).toHaveLength(1);
    history().undo();
    expect(s().layout.positions.red).toEqual({ x: 0, y: 0 });
    history().redo();
    expect(s().layout.positions.red).toEqual({ x: 100, y: 20 });
  });

  it('selection and status never enter history', () => {
    s().select({ nodes: ['red'] });
    s().applyDelta({ objects: {}, removed: [], appliedRevision: 1, observedRevision: 3 });
    s().setTheme('dark');
    expect(history().pastStates).toHaveLength(0);
  });

  it('removeSelection removes nodes with their links and positions; undo brings them back', () => {
    s().select({ nodes: ['red'] });
    s().removeSelection();
    expect(s().lab.nodes.map((n) => n.id)).toEqual(['blue']);
    expect(s().lab.links).toHaveLength(0);
    expect(s().layout.positions.red).toBeUndefined();
    expect(history().pastStates).toHaveLength(1);
    history().undo();
    expect(s().lab.links).toHaveLength(1);
    expect(s().layout.positions.red).toEqual({ x: 0, y: 0 });
  });

  it('updateEndpoint edits one end; an invalid name blocks Apply with a reason', () => {
    s().updateEndpoint('l1', 0, { ifname: 'a;b' });
    expect(s().lab.links[0]!.endpoints[0].ifname).toBe('a;b');
    const p = problemsOf(s().lab);
    expect(p.errors).toBeGreaterThan(0);
    expect(p.byObject.get('l1#0')?.[0]?.message).toMatch(/interface name/);
    expect(selectApplyBlocker(s())).toMatch(/problem/);
    history().undo();
    expect(selectApplyBlocker(s())).toBeNull();
  });

  it('copy/paste and duplicate make new ids, names and addresses', () => {
    s().select({ nodes: ['red', 'blue'], links: ['l1'] });
    s().copySelection();
    const ids = s().paste();
    expect(ids).toHaveLength(2);
    const lab = s().lab;
    expect(lab.nodes).toHaveLength(4);
    expect(new Set(lab.nodes.map((n) => (n.kind === 'host' ? 'host' : n.name))).size).toBe(4);
    expect(lab.links).toHaveLength(2);
    expect(lab.links[1]!.endpoints[0].addresses[0]).not.toBe(lab.links[0]!.endpoints[0].addresses[0]);
    expect(problemsOf(lab).errors).toBe(0);
    expect(history().pastStates).toHaveLength(1);
    s().select({ nodes: [ids[0]!] });
    expect(s().duplicate()).toHaveLength(1);
    expect(s().lab.nodes).toHaveLength(5);
  });

  it('tracks dirty against the saved document', () => {
    expect(selectDirty(s())).toBe(false);
    s().addNode('bridge', { x: 0, y: 0 });
    expect(selectDirty(s())).toBe(true);
    s().markSaved(4);
    expect(selectDirty(s())).toBe(false);
    expect(s().revision).toBe(4);
  });

  it('only one host node', () => {
    const a = s().addNode('host', { x: 0, y: 0 });
    const b = s().addNode('host', { x: 5, y: 5 });
    expect(a).toBe(b);
    expect(s().lab.nodes.filter((n) => n.kind === 'host')).toHaveLength(1);
  });

  it('progress and result', () => {
    s().startOperation('op1', 'apply');
    s().setProgress({ operationId: 'op1', step: 1, total: 3, phase: 'execute', command: 'ip netns add red' });
    expect(s().progress).toMatchObject({ action: 'apply', step: 1, total: 3 });
    expect(s().progress?.command).toBe('ip netns add red');
    s().setResult({ operationId: 'op1', lab: 'veth-pair', action: 'apply', ok: true, ran: 3, durationMs: 10 });
    expect(s().progress).toBeNull();
  });
});

describe('adoptPositions', () => {
  it('places a lab opened without a layout: no history entry, not dirty', () => {
    const store = createEditorStore();
    store.getState().loadDocument(makeVethPair(), { version: 1, positions: {}, notes: [] }, 1);
    store.temporal.getState().clear();
    store.getState().adoptPositions({ red: { x: 1, y: 2 }, blue: { x: 3, y: 4 } });
    expect(store.getState().layout.positions.red).toEqual({ x: 1, y: 2 });
    expect(store.temporal.getState().pastStates).toHaveLength(0);
    expect(selectDirty(store.getState())).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { createEditorStore } from '../store/editorStore';
import { makeVethPair } from '../testing/factories';
import { applyPatch } from './adapters';
import { makeDiscovery } from './fixtures';
import { createDiscoveryStore } from './store';

describe('discovery store', () => {
  it('keeps the previous discovery object when a poll brings nothing new', () => {
    const s = createDiscoveryStore();
    expect(s.getState().receive(makeDiscovery())).toBe(true);
    const first = s.getState().data;
    let renders = 0;
    const unsub = s.subscribe((st, prev) => {
      if (st.data !== prev.data) renders++;
    });
    expect(s.getState().receive(makeDiscovery({ at: '2026-11-24T19:00:02.000Z' }))).toBe(false);
    expect(s.getState().data).toBe(first);
    expect(s.getState().at).toBe('2026-11-24T19:00:02.000Z');
    const changed = makeDiscovery();
    changed.lab.nodes.pop();
    expect(s.getState().receive(changed)).toBe(true);
    expect(renders).toBe(1);
    unsub();
  });

  it('merges positions (known ones stay), selection, errors clear on the next poll', () => {
    const s = createDiscoveryStore();
    s.getState().setPositions({ a: { x: 1, y: 2 } });
    s.getState().setPositions({ b: { x: 3, y: 4 } });
    expect(s.getState().positions).toEqual({ a: { x: 1, y: 2 }, b: { x: 3, y: 4 } });
    s.getState().select(['l1'], 'l1#0');
    expect(s.getState()).toMatchObject({ selection: ['l1'], endpoint: 'l1#0' });
    s.getState().fail('boom');
    s.getState().receive(makeDiscovery());
    expect(s.getState().error).toBeNull();
    s.getState().setOpen(true);
    s.getState().setAdoptOpen(true);
    s.getState().setOpen(false);
    expect(s.getState().adoptOpen).toBe(false);
  });

  it('stores are independent', () => {
    const a = createDiscoveryStore();
    const b = createDiscoveryStore();
    a.getState().setQuery('red');
    expect(b.getState().query).toBe('');
  });
});

describe('take live value through the editor store', () => {
  it('is ONE undoable edit', () => {
    const editor = createEditorStore({ lab: makeVethPair() });
    const before = editor.getState().lab;
    const next = applyPatch(
      before,
      { id: 'l1#1' },
      {
        field: 'mtu',
        design: 1500,
        live: 9000,
        changedBy: 'host',
        patch: { path: ['links', 0, 'endpoints', 1, 'mtu'], value: 9000 },
      },
    );
    if ('error' in next) throw new Error(next.error);
    editor.setState({ lab: next });
    expect(editor.getState().lab.links[0]!.endpoints[1].mtu).toBe(9000);
    expect(editor.temporal.getState().pastStates).toHaveLength(1);
    editor.temporal.getState().undo();
    expect(editor.getState().lab).toBe(before);
  });
});

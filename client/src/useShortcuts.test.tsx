// @vitest-environment jsdom
import { cleanup, fireEvent, render } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Actions } from './actions';
import { createEditorStore, type EditorStore } from './store/editorStore';
import { makeVethPair } from './testing/factories';
import { useShortcuts } from './useShortcuts';

let store: EditorStore;
const save = vi.fn(async () => true);
function Harness() {
  useShortcuts(store, { save } as unknown as Actions);
  return <input data-testid="field" />;
}

beforeEach(() => {
  store = createEditorStore();
  store.getState().loadDocument(makeVethPair(), { version: 1, positions: {}, notes: [] }, 1);
  store.temporal.getState().clear();
  save.mockClear();
});
afterEach(cleanup);

const key = (k: string, mods: Partial<KeyboardEventInit> = {}, target: Window | Element = window) =>
  fireEvent.keyDown(target, { key: k, ...mods });

describe('keyboard shortcuts', () => {
  it('Delete removes the selection; Ctrl+Z / Ctrl+Y / Ctrl+Shift+Z undo and redo', () => {
    render(<Harness />);
    store.getState().select({ nodes: ['red'] });
    key('Delete');
    expect(store.getState().lab.nodes.map((n) => n.id)).toEqual(['blue']);
    key('z', { ctrlKey: true });
    expect(store.getState().lab.nodes).toHaveLength(2);
    key('y', { ctrlKey: true });
    expect(store.getState().lab.nodes).toHaveLength(1);
    key('z', { ctrlKey: true });
    key('z', { ctrlKey: true, shiftKey: true });
    expect(store.getState().lab.nodes).toHaveLength(1);
  });

  it('Ctrl+C / Ctrl+V paste copies with new ids; Ctrl+D duplicates; Ctrl+S saves', () => {
    render(<Harness />);
    store.getState().select({ nodes: ['red', 'blue'] });
    key('c', { ctrlKey: true });
    key('v', { ctrlKey: true });
    expect(store.getState().lab.nodes).toHaveLength(4);
    expect(store.getState().lab.links).toHaveLength(2);
    key('d', { ctrlKey: true });
    expect(store.getState().lab.nodes).toHaveLength(6);
    key('s', { ctrlKey: true });
    expect(save).toHaveBeenCalledOnce();
  });

  it('ignores editing keys while typing in a field (but Ctrl+S still saves)', () => {
    const { getByTestId } = render(<Harness />);
    store.getState().select({ nodes: ['red'] });
    const field = getByTestId('field');
    key('Backspace', {}, field);
    expect(store.getState().lab.nodes).toHaveLength(2);
    key('s', { ctrlKey: true }, field);
    expect(save).toHaveBeenCalledOnce();
  });
});

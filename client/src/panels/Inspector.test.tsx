// @vitest-environment jsdom
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EditorProvider } from '../store/context';
import { createEditorStore, type EditorStore } from '../store/editorStore';
import { makeVethPair } from '../testing/factories';
import { Inspector } from './Inspector';
import ProblemsList from './ProblemsList';

let store: EditorStore;
beforeEach(() => {
  store = createEditorStore();
  store.getState().loadDocument(makeVethPair(), { version: 1, positions: {}, notes: [] }, 1);
  store.temporal.getState().clear();
});
afterEach(cleanup);

const ui = () =>
  render(
    <EditorProvider store={store}>
      <Inspector />
      <ProblemsList />
    </EditorProvider>,
  );

describe('Inspector + ProblemsList', () => {
  it('edits an endpoint on Enter: one undo entry; an invalid name shows inline and in the problems list', () => {
    ui();
    act(() => store.getState().select({ endpoint: 'l1#0' }));
    const field = screen.getByTestId('inspector.end0.ifname') as HTMLInputElement;
    expect(field.value).toBe('red-eth0');
    fireEvent.change(field, { target: { value: 'a;b' } });
    // Live check while typing, before anything reaches the store.
    expect(screen.getByTestId('inspector.end0.ifname.error').textContent).toMatch(/may only use/);
    expect(store.getState().lab.links[0]!.endpoints[0].ifname).toBe('red-eth0');
    fireEvent.keyDown(field, { key: 'Enter' });
    expect(store.getState().lab.links[0]!.endpoints[0].ifname).toBe('a;b');
    expect(store.temporal.getState().pastStates).toHaveLength(1);
    const item = screen.getByTestId('problems.item');
    expect(item.getAttribute('data-object')).toBe('l1#0');
    act(() => store.getState().clearSelection());
    fireEvent.click(item);
    expect(store.getState().selection.endpoint).toBe('l1#0');
    expect(store.getState().focus?.id).toBe('l1#0');
  });

  it('router toggle sets forwarding and shows the routes hint', () => {
    ui();
    act(() => store.getState().select({ nodes: ['red'] }));
    fireEvent.click(screen.getByTestId('inspector.forwarding'));
    expect(store.getState().lab.nodes[0]).toMatchObject({ forwarding: true });
    expect(screen.getByTestId('inspector.router-hint').textContent).toMatch(/routes via this router/);
  });

  it('shows the lab form when nothing is selected, and no problems', () => {
    ui();
    expect((screen.getByTestId('inspector.lab-title') as HTMLInputElement).value).toBe('');
    expect(screen.getByTestId('problems.empty')).toBeTruthy();
  });
});

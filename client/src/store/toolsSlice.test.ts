import { beforeEach, describe, expect, it } from 'vitest';
import { makeVethPair } from '../testing/factories';
import { createEditorStore, type EditorStore } from './editorStore';

let store: EditorStore;
const s = () => store.getState();

beforeEach(() => {
  store = createEditorStore();
  s().loadDocument(makeVethPair(), { version: 1, positions: {}, notes: [] }, 1);
  store.temporal.getState().clear();
});

describe('tools slice', () => {
  it('opens one terminal tab per node (re-opening focuses it); bridges get none', () => {
    s().openTerminalTab('red');
    s().openTerminalTab('blue');
    s().openTerminalTab('red');
    expect(s().dock.tabs.map((t) => t.key)).toEqual(['red', 'blue']);
    expect(s().dock.active).toBe('red');
    s().openTerminalTab('nope');
    expect(s().dock.tabs).toHaveLength(2);
  });

  it('capture tabs are keyed by link and end and carry the interface name', () => {
    s().openCaptureTab('l1', 1);
    expect(s().dock.tabs[0]).toEqual({
      kind: 'capture',
      key: 'capture.l1.1',
      lab: 'veth-pair',
      link: 'l1',
      end: 1,
      ifname: 'blue-eth0',
    });
  });

  it('closing the active tab activates its neighbour; closing the matrix forgets it', () => {
    s().openTerminalTab('red');
    s().openTerminalTab('blue');
    s().setMatrix({ state: 'loading', result: null, selected: null });
    s().openTab({ kind: 'matrix', key: 'matrix' });
    s().setActiveTab('blue');
    s().closeTab('blue');
    expect(s().dock.active).toBe('matrix');
    s().closeTab('matrix');
    expect(s().dock.active).toBe('red');
    expect(s().matrix).toBeNull();
    s().closeTab('red');
    expect(s().dock).toMatchObject({ tabs: [], active: null });
  });

  it('clearPath drops the ping result, its prompt and the menu; none of it is undoable', () => {
    s().openMenu(10, 20, { kind: 'node', id: 'red' });
    s().setPingPrompt({ from: 'red', x: 10, y: 20 });
    expect(s().menu).toBeNull();
    s().setPing({ from: 'red', to: 'blue', state: 'running' });
    s().clearPath();
    expect([s().ping, s().pingPrompt, s().menu]).toEqual([null, null, null]);
    expect(store.temporal.getState().pastStates).toHaveLength(0);
  });

  it('counts tool sockets and never below zero; dock height has a floor', () => {
    s().socketOpened();
    s().socketOpened();
    s().socketClosed();
    s().socketClosed();
    s().socketClosed();
    expect(s().toolSockets).toBe(0);
    s().setDockHeight(10);
    expect(s().dock.height).toBe(120);
  });
});

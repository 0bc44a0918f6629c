// @vitest-environment jsdom
/**
 * The app actions against a fake API client: the names the UI calls, what apply refuses in the browser, a
 * revision conflict on save, opening a lab, and the link fault putting the design back when its apply is
 * refused.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { Layout } from '../../shared/layout';
import { createActions } from './actions';
import { type ApiClient, ApiError } from './api/client';
import { createEditorStore, type EditorStore } from './store/editorStore';
import { makeVethPair } from './testing/factories';

const layout: Layout = { version: 1, positions: { red: { x: 0, y: 0 }, blue: { x: 100, y: 0 } }, notes: [] };

let store: EditorStore;
let api: Record<string, ReturnType<typeof vi.fn>>;
const make = () => createActions(store, api as unknown as ApiClient);

beforeEach(() => {
  store = createEditorStore();
  api = {
    plan: vi.fn(async () => ({ ops: [], errors: [], warnings: [] })),
    namesInUse: vi.fn(async () => ({ namespaces: ['taken'], rootInterfaces: [] })),
    getLab: vi.fn(async () => ({ lab: makeVethPair(), layout, revision: 3 })),
    saveLab: vi.fn(async () => ({ lab: makeVethPair(), layout, revision: 4 })),
    createLab: vi.fn(async () => ({ lab: makeVethPair(), layout, revision: 1 })),
    apply: vi.fn(async () => ({ operationId: 'op1' })),
    destroy: vi.fn(async () => ({ operationId: 'op2' })),
  };
});

describe('createActions', () => {
  it('offers every action the UI calls', () => {
    expect(Object.keys(make()).sort()).toEqual(
      [
        'socket',
        'init',
        'openLab',
        'openExample',
        'listLabs',
        'listExamples',
        'createLab',
        'renameLab',
        'duplicateLab',
        'deleteLab',
        'newLab',
        'save',
        'saveIfDirty',
        'apply',
        'toggleLinkUp',
        'destroy',
        'recover',
        'loadPlan',
        'importText',
        'ping',
        'reachability',
      ].sort(),
    );
  });

  it('opens a stored lab: its document, the names in use, a plan check', async () => {
    const actions = make();
    await actions.openLab('veth-pair');
    await vi.waitFor(() => expect(store.getState().reserved.namespaces.has('taken')).toBe(true));
    expect(store.getState().lab.name).toBe('veth-pair');
    expect(store.getState().revision).toBe(3);
    expect(api.namesInUse).toHaveBeenCalledWith('veth-pair');
    await vi.waitFor(() => expect(api.plan).toHaveBeenCalledWith('veth-pair', 3));
    expect(location.hash).toBe('#veth-pair');
  });

  it('apply refuses a lab with problems without asking the server', async () => {
    const actions = make();
    const lab = makeVethPair();
    lab.links[0]!.endpoints[1].ifname = 'lo';
    store.getState().loadDocument(lab, layout, 3);
    expect(await actions.apply()).toBeNull();
    expect(store.getState().toast?.text).toBe('Apply refused: fix the problems first');
    expect(api.apply).not.toHaveBeenCalled();
  });

  it('apply saves a dirty lab first, then starts the operation', async () => {
    const actions = make();
    store.getState().loadDocument(makeVethPair(), layout, null);
    expect(await actions.apply()).toBe('op1');
    expect(api.createLab).toHaveBeenCalledTimes(1);
    expect(api.apply).toHaveBeenCalledWith('veth-pair', 1);
    expect(store.getState().progress).toMatchObject({ operationId: 'op1', action: 'apply' });
  });

  it('a revision conflict on save says so', async () => {
    api.saveLab = vi.fn(async () => {
      throw new ApiError(409, { error: 'Conflict', message: 'stale' } as never);
    });
    const actions = make();
    store.getState().loadDocument(makeVethPair(), layout, 3);
    store.setState({ lab: { ...store.getState().lab, title: 'edited' } });
    expect(await actions.save()).toBe(false);
    expect(store.getState().toast?.text).toMatch(/revision conflict/);
  });

  it('a link set down whose apply is refused is put back up', async () => {
    api.apply = vi.fn(async () => {
      throw new ApiError(409, { error: 'Busy', message: 'busy' } as never);
    });
    const actions = make();
    store.getState().loadDocument(makeVethPair(), layout, 3);
    await actions.toggleLinkUp('l1');
    expect(api.apply).toHaveBeenCalledTimes(1);
    expect(store.getState().toast?.text).toBe('Apply refused: busy');
    expect(store.getState().lab.links[0]!.endpoints.every((e) => e.up)).toBe(true);
  });
});

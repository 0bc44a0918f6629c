/**
 * Host view state: its own small zustand store (never undoable, never saved, separate from the editor store).
 * `receive()` keeps the previous discovery object when the content did not change, so a poll that brings
 * nothing new re-renders nothing but the "updated" line.
 */
import { useStore } from 'zustand';
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { DiscoveryResponse, LabDiff } from '../../../shared/discovery';
import type { Position } from '../../../shared/layout';
import { contentKey } from './adapters';

export interface DiffState {
  state: 'idle' | 'loading' | 'ready' | 'error';
  result: LabDiff | null;
  error?: string;
}

export interface DiscoveryState {
  open: boolean;
  diffOpen: boolean;
  data: DiscoveryResponse | null;
  key: string | null;
  /** `at` of the last successful poll (changes every poll; only the status line reads it). */
  at: string | null;
  durationMs: number | null;
  error: string | null;
  paused: boolean;
  /** Node positions; known ids keep theirs across polls. */
  positions: Record<string, Position>;
  /** Selected node / link / extra ids; `endpoint` = a clicked veth end. */
  selection: string[];
  endpoint: string | null;
  query: string;
  adoptOpen: boolean;
  diff: DiffState;
  setOpen(open: boolean): void;
  setDiffOpen(open: boolean): void;
  /** Returns true when the content changed. */
  receive(d: DiscoveryResponse): boolean;
  fail(message: string): void;
  setPaused(paused: boolean): void;
  setPositions(p: Record<string, Position>): void;
  resetPositions(): void;
  select(ids: string[], endpoint?: string | null): void;
  setQuery(q: string): void;
  setAdoptOpen(open: boolean): void;
  setDiff(d: DiffState): void;
}

export type DiscoveryStore = StoreApi<DiscoveryState>;

export function createDiscoveryStore(): DiscoveryStore {
  return createStore<DiscoveryState>()((set, get) => ({
    open: false,
    diffOpen: false,
    data: null,
    key: null,
    at: null,
    durationMs: null,
    error: null,
    paused: false,
    positions: {},
    selection: [],
    endpoint: null,
    query: '',
    adoptOpen: false,
    diff: { state: 'idle', result: null },
    setOpen(open) {
      set(open ? { open } : { open, adoptOpen: false, error: null });
    },
    setDiffOpen(diffOpen) {
      set({ diffOpen });
    },
    receive(d) {
      const key = contentKey(d);
      const changed = key !== get().key;
      set({
        at: d.at,
        durationMs: d.durationMs,
        error: null,
        ...(changed ? { data: d, key } : {}),
      });
      return changed;
    },
    fail(error) {
      set({ error });
    },
    setPaused(paused) {
      if (paused !== get().paused) set({ paused });
    },
    setPositions(p) {
      set((s) => ({ positions: { ...s.positions, ...p } }));
    },
    resetPositions() {
      set({ positions: {} });
    },
    select(selection, endpoint = null) {
      set({ selection, endpoint });
    },
    setQuery(query) {
      set({ query });
    },
    setAdoptOpen(adoptOpen) {
      set({ adoptOpen });
    },
    setDiff(diff) {
      set({ diff });
    },
  }));
}

/** The app's one host-view store (tests create their own with createDiscoveryStore()). */
export const discoveryStore = createDiscoveryStore();

export function useDiscovery<T>(selector: (s: DiscoveryState) => T, store: DiscoveryStore = discoveryStore): T {
  return useStore(store, selector);
}

/**
 * The editor store: ONE vanilla zustand store built by `createEditorStore()` from four slices
 * (lab+layout, ui, status, tools). zundo's `temporal` tracks lab + layout only; ui and live status never enter history.
 */
import { type TemporalState, temporal } from 'zundo';
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { Lab } from '../../../shared/lab';
import type { Layout } from '../../../shared/layout';
import { createLabSlice, type LabSlice } from './labSlice';
import { createStatusSlice, type StatusSlice } from './statusSlice';
import { createToolsSlice, type ToolsSlice } from './toolsSlice';
import { createUiSlice, type UiSlice } from './uiSlice';

export type EditorState = LabSlice & UiSlice & StatusSlice & ToolsSlice;
export type Tracked = { lab: Lab; layout: Layout };
export type TemporalApi = StoreApi<TemporalState<Tracked>>;
export type EditorStore = StoreApi<EditorState> & { temporal: TemporalApi };

export function createEditorStore(init?: Partial<Pick<EditorState, 'lab' | 'layout' | 'theme'>>): EditorStore {
  const store = createStore<EditorState>()(
    temporal(
      (...a) => ({
        ...createLabSlice(...a),
        ...createUiSlice(...a),
        ...createStatusSlice(...a),
        ...createToolsSlice(...a),
        ...init,
      }),
      {
        partialize: (s): Tracked => ({ lab: s.lab, layout: s.layout }),
        // Selection and status changes do not create history entries: only a new lab or layout object does.
        equality: (a, b) => a.lab === b.lab && a.layout === b.layout,
        limit: 200,
      },
    ),
  );
  return store as unknown as EditorStore;
}

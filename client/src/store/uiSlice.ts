/** UI slice: selection, panels, theme, clipboard, focus requests. Never undoable, never saved with the lab. */
import type { StateCreator } from 'zustand';
import type { EditorState } from './editorStore';
import type { Clip } from './labSlice';
import type { SuspendedRoute } from './linkFault';

export type Theme = 'light' | 'dark';
export interface Selection {
  nodes: string[];
  links: string[];
  /** Endpoint key `${linkId}#0|#1` when the user clicked one end of a veth. */
  endpoint: string | null;
}
export type Panel = 'inspector' | 'problems' | 'plan';

export interface UiSlice {
  selection: Selection;
  theme: Theme;
  panel: Panel;
  clipboard: Clip | null;
  /** Bumped to ask the canvas to center an object (problems list click). */
  focus: { id: string; seq: number } | null;
  dialog: 'open' | 'examples' | 'new' | null;
  toast: { text: string; kind: 'info' | 'error'; seq: number } | null;
  /** Routes a link set down took out of the design (the kernel deletes them), by link id: back when it goes up. */
  suspended: Record<string, SuspendedRoute[]>;
  /** The object whose fields were edited last (an endpoint key, a node id): problems of a clash go there. */
  edited: string | null;
  /** A short note on an object about what the canvas just did to it (e.g. a route removed with a link). */
  notices: Record<string, string>;
  setSuspended(linkId: string, routes: SuspendedRoute[] | null): void;
  /** Sets (string) or clears (null) the notices of some objects; `{}` with `clear` drops them all. */
  setNotices(patch: Record<string, string | null>, clear?: boolean): void;
  select(sel: Partial<Selection>): void;
  selectObject(id: string): void;
  clearSelection(): void;
  setTheme(theme: Theme): void;
  setPanel(panel: Panel): void;
  requestFocus(id: string): void;
  setDialog(d: UiSlice['dialog']): void;
  notify(text: string, kind?: 'info' | 'error'): void;
}

const EMPTY: Selection = { nodes: [], links: [], endpoint: null };

export const createUiSlice: StateCreator<EditorState, [], [], UiSlice> = (set, get) => ({
  selection: EMPTY,
  theme: 'light',
  panel: 'inspector',
  clipboard: null,
  focus: null,
  dialog: null,
  toast: null,
  suspended: {},
  edited: null,
  notices: {},
  setSuspended(linkId, routes) {
    set((s) => {
      const { [linkId]: _old, ...rest } = s.suspended;
      return { suspended: routes?.length ? { ...rest, [linkId]: routes } : rest };
    });
  },
  setNotices(patch, clear = false) {
    set((s) => {
      const notices: Record<string, string> = clear ? {} : { ...s.notices };
      for (const [id, text] of Object.entries(patch)) {
        if (text === null) delete notices[id];
        else notices[id] = text;
      }
      return { notices };
    });
  },
  select(sel) {
    set({ selection: { ...EMPTY, ...sel } });
  },
  selectObject(id) {
    const { lab } = get();
    if (id.includes('#')) set({ selection: { ...EMPTY, endpoint: id } });
    else if (lab.links.some((l) => l.id === id)) set({ selection: { ...EMPTY, links: [id] } });
    else if (lab.nodes.some((n) => n.id === id)) set({ selection: { ...EMPTY, nodes: [id] } });
  },
  clearSelection() {
    const s = get().selection;
    if (s.nodes.length || s.links.length || s.endpoint) set({ selection: EMPTY });
  },
  setTheme(theme) {
    set({ theme });
  },
  setPanel(panel) {
    set({ panel });
  },
  requestFocus(id) {
    set((s) => ({ focus: { id, seq: (s.focus?.seq ?? 0) + 1 } }));
  },
  setDialog(dialog) {
    set({ dialog });
  },
  notify(text, kind = 'info') {
    set((s) => ({ toast: { text, kind, seq: (s.toast?.seq ?? 0) + 1 } }));
  },
});

/** Provides the one editor store to the tree; `useEditor(selector)` reads it with a narrow selector. */
import { createContext, type ReactNode, useContext } from 'react';
import type { TemporalState } from 'zundo';
import { useStore } from 'zustand';
import type { EditorState, EditorStore, Tracked } from './editorStore';

const Ctx = createContext<EditorStore | null>(null);

export function EditorProvider({ store, children }: { store: EditorStore; children: ReactNode }) {
  return <Ctx.Provider value={store}>{children}</Ctx.Provider>;
}

export function useEditorStore(): EditorStore {
  const s = useContext(Ctx);
  if (!s) throw new Error('useEditorStore outside <EditorProvider>');
  return s;
}

export function useEditor<T>(selector: (s: EditorState) => T): T {
  return useStore(useEditorStore(), selector);
}

export function useHistory<T>(selector: (s: TemporalState<Tracked>) => T): T {
  return useStore(useEditorStore().temporal, selector);
}

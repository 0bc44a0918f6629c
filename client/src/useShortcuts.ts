/** Keyboard shortcuts → store verbs. Ignored while typing in a form field. */
import { useEffect } from 'react';
import type { Actions } from './actions';
import { readOnlyView } from './classroom/viewMode';
import type { EditorStore } from './store/editorStore';

function typing(t: EventTarget | null): boolean {
  const el = t as HTMLElement | null;
  if (!el?.tagName) return false;
  return el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName);
}

export function useShortcuts(store: EditorStore, actions: Actions): void {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const mod = e.ctrlKey || e.metaKey;
      const k = e.key.toLowerCase();
      if (mod && k === 's') {
        e.preventDefault();
        void actions.save();
        return;
      }
      if (typing(e.target)) return;
      const s = store.getState();
      const t = store.temporal.getState();
      if (!mod && (e.key === 'Delete' || e.key === 'Backspace')) {
        e.preventDefault();
        s.removeSelection();
      } else if (mod && k === 'z' && !e.shiftKey) {
        e.preventDefault();
        t.undo();
      } else if (mod && (k === 'y' || (k === 'z' && e.shiftKey))) {
        e.preventDefault();
        t.redo();
      } else if (mod && k === 'c') {
        s.copySelection();
      } else if (mod && k === 'v') {
        e.preventDefault();
        s.paste();
      } else if (mod && k === 'd') {
        e.preventDefault();
        s.duplicate();
      } else if (mod && k === 'a') {
        e.preventDefault();
        s.select({ nodes: s.lab.nodes.map((n) => n.id), links: s.lab.links.map((l) => l.id) });
      } else if (e.key === 'Escape') {
        s.clearSelection();
        s.setDialog(null);
        s.clearPath();
      }
    };
    // A read-only view (the teacher viewing a student) takes no editing shortcuts.
    if (readOnlyView()) return;
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [store, actions]);
}

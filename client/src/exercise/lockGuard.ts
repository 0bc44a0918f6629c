/**
 * Locks in the canvas: an edit of the lab on the canvas that breaks one of its exercise's locks (the same
 * `lockViolations` rule the server enforces) is taken back at once and the student is told why. The server
 * refuses such a write anyway; this keeps the canvas from ever showing it.
 */
import type { Issue } from '../../../shared/errors';
import { lockViolations } from '../../../shared/exercise';
import type { EditorStore } from '../store/editorStore';
import type { ExerciseStore } from './store';

const key = (i: Issue) => `${i.object ?? ''}|${i.path.join('.')}`;

/** Watches the editor store; returns the function that stops watching. */
export function installLockGuard(store: EditorStore, exercises: ExerciseStore): () => void {
  let prev = store.getState().lab;
  let reverting = false;
  return store.subscribe((s) => {
    const lab = s.lab;
    if (lab === prev || reverting) {
      prev = lab;
      return;
    }
    const before = prev;
    prev = lab;
    const ex = exercises.getState();
    // Only an edit of the exercise's own lab (not opening another lab).
    if (!ex.current || ex.lab !== lab.name || before.name !== lab.name) return;
    const now = lockViolations(ex.current.exercise, lab);
    if (!now.length) return;
    const had = new Set(lockViolations(ex.current.exercise, before).map(key));
    const fresh = now.filter((v) => !had.has(key(v)));
    if (!fresh.length) return;
    reverting = true;
    try {
      const t = store.temporal.getState();
      if (t.pastStates.length) t.undo();
      if (store.getState().lab !== before) store.setState({ lab: before });
      // The refused edit must not come back with redo.
      store.temporal.setState({ futureStates: [] });
    } finally {
      reverting = false;
      prev = store.getState().lab;
    }
    store.getState().notify(fresh[0]!.message, 'error');
  });
}

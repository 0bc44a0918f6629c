/**
 * The exercise feature's mount points, one line each in the shell: `<ExerciseMount />` (the stage: checklist
 * panel, exercises dialog, lock guard; loads the exercise of the lab on the canvas) and `<ExerciseButton />`
 * (toolbar). Live reports arrive through the status socket (actions.ts hands `exercise` messages to the store).
 */
import { useStore as useFlowStore, useReactFlow } from '@xyflow/react';
import { lazy, Suspense, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useActions } from '../actions';
import { ApiError } from '../api/client';
import { PathIcon } from '../canvas/icons';
import { useEditor, useEditorStore } from '../store/context';
import { createExerciseApi } from './api';
import { Checklist } from './Checklist';
import { installLockGuard } from './lockGuard';
import { exerciseStore, useExercise } from './store';
import './exercise.css';

const Catalogue = lazy(() => import('./Catalogue'));

const message = (e: unknown) => (e instanceof ApiError ? e.body.message : (e as Error).message);

export function ExerciseMount() {
  const editor = useEditorStore();
  const actions = useActions();
  const api = useMemo(() => createExerciseApi(), []);
  const labName = useEditor((s) => s.lab.name);
  const stored = useEditor((s) => s.revision !== null);
  const catalogueOpen = useExercise((s) => s.catalogueOpen);
  const docked = useExercise((s) => s.current !== null && !s.folded);
  const [confirmReset, setConfirmReset] = useState(false);
  const rf = useReactFlow();

  useEffect(() => installLockGuard(editor, exerciseStore), [editor]);

  // The docked checklist takes room from the canvas (or gives it back): once React Flow has seen its new width,
  // fit the lab into what is left.
  const flowWidth = useFlowStore((s) => s.width);
  const fitPending = useRef(false);
  useEffect(() => {
    void docked;
    fitPending.current = true;
  }, [docked]);
  useEffect(() => {
    void flowWidth;
    if (!fitPending.current) return;
    fitPending.current = false;
    const raf = requestAnimationFrame(() => void rf.fitView({ padding: 0.25, maxZoom: 1.4, duration: 200 }));
    return () => cancelAnimationFrame(raf);
  }, [flowWidth, rf]);

  // The lab on the canvas: is it an exercise?
  useEffect(() => {
    const st = exerciseStore.getState();
    st.setLab(stored ? labName : null);
    if (!stored) return;
    api.ofLab(labName).then(
      (ex) => exerciseStore.getState().setCurrent(labName, ex),
      () => exerciseStore.getState().setCurrent(labName, null),
    );
  }, [api, labName, stored]);

  /** Shows an operation's progress and result even if its socket messages came before the subscription. */
  const follow = useCallback(
    (operationId: string) => {
      editor.getState().startOperation(operationId, 'apply');
      const deadline = Date.now() + 120_000;
      const poll = async () => {
        const r = await api.operation(operationId).catch(() => null);
        const s = editor.getState();
        if (r) {
          if (s.result?.operationId !== operationId) s.setResult(r);
          return;
        }
        if (s.progress?.operationId === operationId && Date.now() < deadline) setTimeout(() => void poll(), 400);
      };
      setTimeout(() => void poll(), 400);
    },
    [api, editor],
  );

  const load = useCallback(async () => {
    try {
      exerciseStore.getState().setCatalogue(await api.list());
    } catch (e) {
      exerciseStore.getState().setError(message(e));
    }
  }, [api]);

  const start = useCallback(
    async (file: string) => {
      const st = exerciseStore.getState();
      st.setBusy(true);
      try {
        const r = await api.start(file);
        await actions.openLab(r.lab);
        st.setCatalogueOpen(false);
        if (r.operationId) follow(r.operationId);
      } catch (e) {
        st.setError(message(e));
      } finally {
        st.setBusy(false);
      }
    },
    [actions, api, follow],
  );

  const reset = useCallback(async () => {
    if (!confirmReset) {
      setConfirmReset(true);
      setTimeout(() => setConfirmReset(false), 4000);
      editor.getState().notify('Click "Start over" again to put the starting lab back (your design is replaced)');
      return;
    }
    setConfirmReset(false);
    const st = exerciseStore.getState();
    st.setBusy(true);
    try {
      const r = await api.reset(labName);
      await actions.openLab(r.lab);
      if (r.operationId) follow(r.operationId);
    } catch (e) {
      editor.getState().notify(`Start over failed: ${message(e)}`, 'error');
    } finally {
      st.setBusy(false);
    }
  }, [actions, api, confirmReset, editor, follow, labName]);

  return (
    <>
      <Checklist api={api} onReset={() => void reset()} />
      {catalogueOpen && (
        <Suspense fallback={null}>
          <Catalogue load={load} start={start} close={() => exerciseStore.getState().setCatalogueOpen(false)} />
        </Suspense>
      )}
    </>
  );
}

const CAP = 'M22 10 12 5 2 10l10 5 10-5zM6 12v5c3 2 9 2 12 0v-5';

export function ExerciseButton() {
  const open = useExercise((s) => s.catalogueOpen);
  return (
    <div className="nl-tgroup">
      <button
        type="button"
        className={`nl-tbtn shrink${open ? ' on' : ''}`}
        data-testid="toolbar.exercises"
        aria-pressed={open}
        title="Exercises: labs graded live as you work"
        onClick={() => exerciseStore.getState().setCatalogueOpen(!open)}
      >
        <PathIcon d={CAP} />
        <span>Exercises</span>
      </button>
    </div>
  );
}

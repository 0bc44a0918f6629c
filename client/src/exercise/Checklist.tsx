/**
 * The checklist of the exercise on the canvas: progress in points, each goal with its live state and the
 * reason the server saw, its hint on demand and what it teaches once met; instructions, "check now" and
 * "start over". Click a goal to find its objects on the canvas.
 */
import { lazy, Suspense } from 'react';
import type { GoalResult } from '../../../shared/exercise';
import { useEditorStore } from '../store/context';
import type { ExerciseApi } from './api';
import { exerciseStore, useExercise } from './store';

const Instructions = lazy(() => import('./Instructions'));

const ICON = { met: '✓', fail: '✗', pending: '…' } as const;
const stateOf = (g: GoalResult | undefined) => (g?.met === true ? 'met' : g?.met === false ? 'fail' : 'pending');

export function Checklist({ api, onReset }: { api: ExerciseApi; onReset: () => void }) {
  const current = useExercise((s) => s.current);
  const report = useExercise((s) => s.report);
  const hints = useExercise((s) => s.hints);
  const folded = useExercise((s) => s.folded);
  const instructionsOpen = useExercise((s) => s.instructionsOpen);
  const busy = useExercise((s) => s.busy);
  const editor = useEditorStore();
  if (!current) return null;
  const ex = current.exercise;
  const results = new Map((report?.goals ?? []).map((g) => [g.id, g]));
  const total = ex.goals.reduce((n, g) => n + g.points, 0);
  const earned = report?.earned ?? 0;
  const met = (report?.goals ?? []).filter((g) => g.met === true).length;
  const st = exerciseStore.getState();
  const checkNow = async () => {
    st.setBusy(true);
    try {
      st.receive(current.exercise.lab.name, await api.check(current.exercise.lab.name));
    } catch (e) {
      editor.getState().notify(`Check failed: ${(e as Error).message}`, 'error');
    } finally {
      st.setBusy(false);
    }
  };
  return (
    <section
      className={`nl-exercise${folded ? ' folded' : ''}`}
      data-testid="exercise.panel"
      data-complete={report?.complete ? 'true' : 'false'}
      aria-label="Exercise checklist"
    >
      <header className="nl-exercise-head">
        <div className="nl-exercise-title">
          <small>Exercise</small>
          <b>{ex.title}</b>
        </div>
        <button
          type="button"
          className="nl-x"
          aria-label={folded ? 'Show the checklist' : 'Fold the checklist'}
          title={folded ? 'Show the checklist' : 'Fold the checklist'}
          data-testid="exercise.fold"
          onClick={() => st.setFolded(!folded)}
        >
          {folded ? '▸' : '▾'}
        </button>
      </header>
      <div className="nl-exercise-progress" data-testid="exercise.progress" data-earned={earned} data-total={total}>
        <div className="nl-exercise-bar">
          <div style={{ width: `${total ? Math.round((earned / total) * 100) : 0}%` }} />
        </div>
        <span>
          {earned}/{total} points · {met}/{ex.goals.length} goals
        </span>
      </div>
      {!folded && (
        <>
          <div className="nl-exercise-actions">
            <button
              type="button"
              data-testid="exercise.instructions-toggle"
              onClick={() => st.setInstructionsOpen(!instructionsOpen)}
            >
              {instructionsOpen ? 'Hide instructions' : 'Instructions'}
            </button>
            <button type="button" data-testid="exercise.check" disabled={busy} onClick={() => void checkNow()}>
              Check now
            </button>
            <button
              type="button"
              data-testid="exercise.reset"
              disabled={busy}
              title="Put the starting lab back (your design is replaced) and apply it"
              onClick={onReset}
            >
              Start over
            </button>
          </div>
          {instructionsOpen && (
            <Suspense fallback={<div className="nl-empty">Loading…</div>}>
              <Instructions text={ex.instructions} />
            </Suspense>
          )}
          {report?.complete && (
            <div className="nl-exercise-done" data-testid="exercise.done">
              All goals met — well done.
            </div>
          )}
          <ol className="nl-goals">
            {ex.goals.map((g) => {
              const r = results.get(g.id);
              const state = stateOf(r);
              const hintOpen = hints.includes(g.id);
              return (
                <li key={g.id} className={`nl-goal ${state}`} data-testid={`goal.${g.id}`} data-state={state}>
                  <span className="nl-goal-icon" aria-hidden>
                    {ICON[state]}
                  </span>
                  <div className="nl-goal-body">
                    <button
                      type="button"
                      className="nl-goal-title"
                      title="Show on the canvas"
                      onClick={() => {
                        const first = r?.objects[0];
                        if (first) {
                          editor.getState().selectObject(first);
                          editor.getState().requestFocus(first);
                        }
                      }}
                    >
                      {g.title}
                    </button>
                    <span className="nl-goal-points">
                      {g.points} pt{g.points === 1 ? '' : 's'}
                    </span>
                    <div className="nl-goal-reason" data-testid={`goal.${g.id}.reason`}>
                      {r?.reason ?? 'checking…'}
                    </div>
                    {state === 'met' && g.explain && <div className="nl-goal-explain">{g.explain}</div>}
                    {g.hint && state !== 'met' && (
                      <button
                        type="button"
                        className="nl-goal-hint-btn"
                        data-testid={`goal.${g.id}.hint`}
                        aria-expanded={hintOpen}
                        onClick={() => st.toggleHint(g.id)}
                      >
                        {hintOpen ? 'Hide hint' : 'Hint'}
                      </button>
                    )}
                    {hintOpen && state !== 'met' && <div className="nl-goal-hint">{g.hint}</div>}
                  </div>
                </li>
              );
            })}
          </ol>
        </>
      )}
    </section>
  );
}

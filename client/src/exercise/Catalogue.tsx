/** The exercises dialog (lazy): the server's catalogue; "Start" opens the exercise's lab (brought up if new). */
import { useEffect } from 'react';
import { useExercise } from './store';

export default function Catalogue({
  load,
  start,
  close,
}: {
  load: () => Promise<void>;
  start: (file: string) => Promise<void>;
  close: () => void;
}) {
  const list = useExercise((s) => s.catalogue);
  const error = useExercise((s) => s.error);
  const busy = useExercise((s) => s.busy);
  useEffect(() => {
    void load();
  }, [load]);
  return (
    <div className="nl-modal-back" onClick={close}>
      <div
        className="nl-modal"
        role="dialog"
        aria-label="Exercises"
        data-testid="dialog.exercises"
        onClick={(e) => e.stopPropagation()}
      >
        <div className="nl-modal-head">
          <h2>Exercises</h2>
          <button type="button" className="nl-x" aria-label="Close" onClick={close}>
            ×
          </button>
        </div>
        <p className="nl-exercise-intro">
          Each exercise brings up a lab and grades it live while you work — on the canvas or with <code>ip</code> in a
          terminal.
        </p>
        {error && <div className="nl-callout error">{error}</div>}
        {!list && !error && <div className="nl-empty">Loading…</div>}
        {list?.length === 0 && <div className="nl-empty">No exercises on this server.</div>}
        <ul className="nl-open-list">
          {list?.map((x) => (
            <li key={x.file}>
              <button
                type="button"
                disabled={busy}
                data-testid={`exercise.start.${x.lab}`}
                onClick={() => void start(x.file)}
              >
                <b>{x.title}</b>
                <small>
                  {x.summary ? `${x.summary} · ` : ''}
                  {x.goals} goals, {x.points} points
                </small>
              </button>
            </li>
          ))}
        </ul>
      </div>
    </div>
  );
}

/** Progress (step k of n + current command) while an operation runs, then the result / failure banner. */
import { useMaybeActions } from '../actions';
import { useEditor, useEditorStore } from '../store/context';
import { selectBusy, selectProgress, selectResult } from '../store/selectors';
import { resultSummary } from './resultText';

export function ProgressBar() {
  const p = useEditor(selectProgress);
  if (!p) return null;
  const pct = p.total ? Math.round((Math.min(p.step, p.total) / p.total) * 100) : 0;
  return (
    <div
      className="nl-progress"
      data-testid="progress"
      role="status"
      data-step={p.step}
      data-total={p.total}
      data-phase={p.phase}
    >
      <div className="nl-progress-head">
        <span className="nl-spinner" aria-hidden />
        <b>{p.action === 'destroy' ? 'Destroying' : p.action === 'recover' ? 'Recovering' : 'Applying'}</b>
        <span className="nl-phase">{p.phase}</span>
        {p.total > 0 && (
          <span data-testid="progress.step">
            step {p.step} of {p.total}
          </span>
        )}
      </div>
      <div className="nl-progress-track">
        <div className="nl-progress-fill" style={{ width: `${pct}%` }} />
      </div>
      {p.command && (
        <code className="nl-progress-cmd" data-testid="progress.command">
          $ {p.command}
        </code>
      )}
    </div>
  );
}

export function ResultBanner() {
  const r = useEditor(selectResult);
  const store = useEditorStore();
  const actions = useMaybeActions();
  const busy = useEditor(selectBusy);
  if (!r) return null;
  const verb = r.action === 'destroy' ? 'Destroy' : r.action === 'recover' ? 'Recovery' : 'Apply';
  const sum = resultSummary(r);
  return (
    <div
      className={`nl-result ${r.ok ? 'ok' : 'fail'}`}
      data-testid="result"
      data-ok={String(r.ok)}
      data-ran={r.ran}
      role="status"
    >
      <div className="nl-result-head">
        <b>{r.ok ? `${verb} succeeded` : `${verb} failed`}</b>
        <span data-testid="result.summary">{sum.text}</span>
        <button type="button" className="nl-x" aria-label="Dismiss" onClick={() => store.getState().setResult(null)}>
          ×
        </button>
      </div>
      {r.notice && (
        <div className="nl-result-notice" data-testid="result.notice">
          {r.notice}
        </div>
      )}
      {!r.ok && r.error && (
        <div className="nl-result-body">
          <div>{r.error.message}</div>
          {r.error.argv && (
            <code className="nl-progress-cmd" data-testid="result.command">
              $ {r.error.argv.join(' ')}
            </code>
          )}
          {r.error.stderr && r.error.stderr.trim() !== r.error.message.trim() && (
            <pre className="nl-stderr">{r.error.stderr}</pre>
          )}
          {r.error.object && (
            <button
              type="button"
              className="nl-btn small"
              onClick={() => {
                store.getState().selectObject(r.error!.object!);
                store.getState().requestFocus(r.error!.object!);
              }}
            >
              Show it on the canvas
            </button>
          )}
          {r.error.rolledBack && <span className="nl-chip">rolled back</span>}
          {sum.recover && actions && (
            <button
              type="button"
              className="nl-btn small primary"
              data-testid="result.recover"
              disabled={busy}
              title="Undo what an interrupted or failed change left on the host (as `netloom recover`)"
              onClick={() => void actions.recover()}
            >
              Recover
            </button>
          )}
          {sum.destroyAgain && actions && (
            <button
              type="button"
              className="nl-btn small"
              data-testid="result.destroy-again"
              disabled={busy}
              onClick={() => void actions.destroy()}
            >
              Destroy again
            </button>
          )}
        </div>
      )}
      {r.commands && r.commands.length > 0 && (
        <details className="nl-result-log">
          <summary>Show the commands ({r.commands.length})</summary>
          <pre data-testid="result.commands">{r.commands.join('\n')}</pre>
        </details>
      )}
    </div>
  );
}

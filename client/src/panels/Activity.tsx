/** Progress (step k of n + current command) while an operation runs, then the result / failure banner. */
import { useEditor, useEditorStore } from '../store/context';
import { selectProgress, selectResult } from '../store/selectors';

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
        <b>{p.action === 'destroy' ? 'Destroying' : 'Applying'}</b>
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
  const commands = useEditor((s) => s.commands);
  const store = useEditorStore();
  if (!r) return null;
  const verb = r.action === 'destroy' ? 'Destroy' : r.action === 'recover' ? 'Recovery' : 'Apply';
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
        <span>
          {r.ok
            ? r.ran === 0
              ? 'nothing to do — the host already matched'
              : `${r.ran} operation${r.ran > 1 ? 's' : ''} in ${(r.durationMs / 1000).toFixed(1)} s`
            : r.error?.rolledBack
              ? 'everything was rolled back'
              : 'not rolled back — run recover'}
        </span>
        <button type="button" className="nl-x" aria-label="Dismiss" onClick={() => store.getState().setResult(null)}>
          ×
        </button>
      </div>
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
        </div>
      )}
      {r.ok && commands.length > 0 && (
        <details className="nl-result-log">
          <summary>Show the commands</summary>
          <pre data-testid="result.commands">{commands.join('\n')}</pre>
        </details>
      )}
    </div>
  );
}

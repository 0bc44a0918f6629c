/** Plan preview (lazy): the operations the server would run, and the equivalent shell script to copy. */
import { useState } from 'react';
import { useActions } from '../actions';
import { useEditor } from '../store/context';
import { selectPlan } from '../store/selectors';

export default function PlanPanel() {
  const plan = useEditor(selectPlan);
  const actions = useActions();
  const [view, setView] = useState<'ops' | 'script'>('ops');
  const [copied, setCopied] = useState(false);
  const r = plan.result;
  return (
    <div className="nl-plan" data-testid="plan">
      <div className="nl-plan-bar">
        <div className="nl-seg">
          <button type="button" className={view === 'ops' ? 'on' : ''} onClick={() => setView('ops')}>
            Operations{r ? ` (${r.operations.length})` : ''}
          </button>
          <button
            type="button"
            className={view === 'script' ? 'on' : ''}
            onClick={() => setView('script')}
            data-testid="plan.script-tab"
          >
            Shell script
          </button>
        </div>
        <button
          type="button"
          className="nl-btn small"
          onClick={() => void actions.loadPlan()}
          data-testid="plan.refresh"
        >
          {plan.state === 'loading' ? 'Planning…' : 'Refresh'}
        </button>
      </div>
      {plan.state === 'error' && <div className="nl-callout error">{plan.error}</div>}
      {plan.state === 'idle' && !r && <div className="nl-empty">Press “Plan” to preview what Apply would run.</div>}
      {r && r.errors.length > 0 && (
        <ul className="nl-callout error">
          {r.errors.map((e) => (
            <li key={e.code + e.message}>{e.message}</li>
          ))}
        </ul>
      )}
      {r?.warnings && r.warnings.length > 0 && (
        <ul className="nl-callout warn" data-testid="plan.warnings">
          {r.warnings.map((w) => (
            <li key={w.code + w.message}>{w.message}</li>
          ))}
        </ul>
      )}
      {r &&
        view === 'ops' &&
        // A refused plan has no operations either: its errors say why, not "nothing to do".
        !(r.errors.length > 0 && r.operations.length === 0) &&
        (r.operations.length === 0 ? (
          <div className="nl-empty" data-testid="plan.nothing">
            <span className="nl-ok-mark">✓</span> Nothing to do: the host already matches the lab.
          </div>
        ) : (
          <ol className="nl-ops" data-testid="plan.operations">
            {r.operations.map((op) => (
              <li key={op.index} data-testid="plan.op" data-kind={op.kind} data-object={op.object}>
                <div className="nl-op-head">
                  <span className="nl-op-kind">{op.kind}</span>
                  <span className="nl-op-obj">{op.object}</span>
                </div>
                <code className="nl-op-cmd">{op.argv.join(' ')}</code>
                <div className="nl-op-reason">{op.reason}</div>
              </li>
            ))}
          </ol>
        ))}
      {r && view === 'script' && (
        <div className="nl-script">
          <button
            type="button"
            className="nl-btn small"
            data-testid="plan.copy"
            onClick={() => {
              void navigator.clipboard?.writeText(r.script).then(() => setCopied(true));
            }}
          >
            {copied ? 'Copied ✓' : 'Copy script'}
          </button>
          <pre data-testid="plan.script">{r.script}</pre>
        </div>
      )}
    </div>
  );
}

/**
 * Diff panel (lazy): the current lab — design vs last applied vs live host (GET /api/labs/:name/diff). Per object
 * a badge, per field the three values; "Take live value" patches the design as ONE undoable edit, "Revert to
 * design" re-applies the lab. Badges are also put on the editor canvas as `data-diff` attributes.
 */
import { useCallback, useEffect, useState } from 'react';
import type { Badge, FieldDiff, LabDiff, ObjectDiff } from '../../../shared/discovery';
import { useActions } from '../actions';
import { ApiError } from '../api/client';
import { useEditor, useEditorStore } from '../store/context';
import { selectLab, selectLabName } from '../store/selectors';
import { applyPatch, formatValue, isTaken } from './adapters';
import { createDiscoveryApi } from './api';
import { type DiscoveryStore, discoveryStore, useDiscovery } from './store';
import { useSidePanelWidth, useToolbarOffset } from './useToolbarOffset';
import './hostview.css';

const api = createDiscoveryApi();

const BADGE_TEXT: Record<Badge, string> = {
  'in-sync': 'in sync',
  drifted: 'drifted',
  missing: 'missing',
  foreign: 'foreign',
};

/** A field the design leaves unset, compared with the kernel's default (design `default 1500`): Apply keeps it. */
const leftToKernel = (f: FieldDiff) => typeof f.design === 'string' && f.design.startsWith('default ');

/** Puts each object's badge on the editor canvas (node or veth end); removed when the panel closes. */
function useCanvasBadges(result: LabDiff | null) {
  const lab = useEditor(selectLab);
  useEffect(() => {
    void lab; // re-mark after edits (React may re-create a node element)
    const canvas = document.querySelector('[data-testid="canvas"]');
    if (!canvas || !result) return;
    const marked: Element[] = [];
    for (const o of result.objects) {
      const el = canvas.querySelector(
        `[data-testid="${o.kind === 'veth-end' ? 'endpoint' : 'node'}.${CSS.escape(o.id)}"]`,
      );
      if (!el) continue;
      el.setAttribute('data-diff', o.badge);
      marked.push(el);
    }
    return () => {
      for (const el of marked) el.removeAttribute('data-diff');
    };
  }, [result, lab]);
}

export default function DiffPanel({ store = discoveryStore }: { store?: DiscoveryStore }) {
  const editor = useEditorStore();
  const actions = useActions();
  const name = useEditor(selectLabName);
  const lab = useEditor(selectLab);
  const revision = useEditor((s) => s.revision);
  const resultSeq = useEditor((s) => s.result?.operationId ?? null);
  const diff = useDiscovery((s) => s.diff, store);
  const [onlyChanges, setOnlyChanges] = useState(false);
  const top = useToolbarOffset();
  const right = useSidePanelWidth();

  const refresh = useCallback(async () => {
    const st = store.getState();
    if (editor.getState().revision === null) {
      st.setDiff({ state: 'error', result: null, error: 'Save the lab first: the diff compares the stored lab.' });
      return;
    }
    st.setDiff({ state: 'loading', result: st.diff.result?.lab === name ? st.diff.result : null });
    try {
      st.setDiff({ state: 'ready', result: await api.diff(name) });
    } catch (e) {
      st.setDiff({
        state: 'error',
        result: null,
        error: e instanceof ApiError ? e.body.message : (e as Error).message,
      });
    }
  }, [store, editor, name]);

  // Fresh on open, on another lab, after a save and after every apply/destroy result.
  useEffect(() => {
    void revision;
    void resultSeq;
    void refresh();
  }, [refresh, revision, resultSeq]);

  const result = diff.result?.lab === name ? diff.result : null;
  useCanvasBadges(result);

  const take = (obj: ObjectDiff, f: FieldDiff) => {
    const next = applyPatch(editor.getState().lab, obj, f);
    if ('error' in next) editor.getState().notify(`Cannot take the live value: ${next.error}`, 'error');
    else editor.setState({ lab: next }); // one set = one undo entry
  };

  const objects = result?.objects.filter((o) => !onlyChanges || o.badge !== 'in-sync') ?? [];
  return (
    <section className="hv-diff" data-testid="diff" aria-label="Diff: design vs host" style={{ top, right }}>
      <div className="hv-diff-head">
        <h2>Diff</h2>
        <span className="hv-muted">design · applied · live</span>
        <div className="nl-spacer" />
        <button
          type="button"
          className="nl-btn small"
          data-testid="diff.refresh"
          disabled={diff.state === 'loading'}
          onClick={() => void refresh()}
        >
          {diff.state === 'loading' ? 'Reading…' : 'Refresh'}
        </button>
        <button
          type="button"
          className="nl-x"
          aria-label="Close the diff"
          data-testid="diff.close"
          onClick={() => store.getState().setDiffOpen(false)}
        >
          ×
        </button>
      </div>
      <div className="hv-diff-body">
        {diff.state === 'error' && (
          <div className="nl-callout error" data-testid="diff.error">
            {diff.error}
          </div>
        )}
        {result && (
          <div className="hv-diff-summary" data-testid="diff.summary">
            {(Object.keys(BADGE_TEXT) as Badge[]).map((b) => (
              <span
                key={b}
                className={`hv-dbadge b-${b}`}
                data-testid={`diff.summary.${b}`}
                data-count={result.summary[b]}
              >
                {result.summary[b]} {BADGE_TEXT[b]}
              </span>
            ))}
            <label className="hv-only">
              <input type="checkbox" checked={onlyChanges} onChange={(e) => setOnlyChanges(e.target.checked)} /> only
              changes
            </label>
          </div>
        )}
        {result && result.summary.drifted + result.summary.missing > 0 && (
          <button
            type="button"
            className="nl-btn small hv-revert-all"
            data-testid="diff.revert"
            title="Apply the design: the host goes back to what the lab says"
            onClick={() => void actions.apply()}
          >
            Revert host to design (Apply)
          </button>
        )}
        {result && objects.length === 0 && <div className="nl-empty">Nothing to show.</div>}
        <ul className="hv-diff-list">
          {objects.map((o) => (
            <li key={o.id} data-testid={`diff.object.${o.id}`} data-badge={o.badge} className={`b-${o.badge}`}>
              <button
                type="button"
                className="hv-diff-obj"
                onClick={() => {
                  editor.getState().selectObject(o.id);
                  editor.getState().requestFocus(o.id);
                }}
              >
                <span className={`hv-dbadge b-${o.badge}`}>{BADGE_TEXT[o.badge]}</span>
                <code title={`object ${o.id}`}>{o.kind === 'namespace' ? (o.netns ?? o.id) : (o.ifname ?? o.id)}</code>
                <span className="hv-muted">
                  {o.kind === 'veth-end' ? 'veth end' : o.kind}
                  {o.kind === 'namespace' ? '' : o.netns ? ` in ${o.netns}` : ' in root'}
                </span>
              </button>
              {o.badge === 'foreign' && (
                <div className="hv-muted hv-note">
                  {o.marker ? `belongs to lab ${o.marker.lab}` : 'exists on the host but Netloom did not create it'}
                </div>
              )}
              {o.badge === 'missing' && <div className="hv-muted hv-note">not on the host: Apply creates it</div>}
              {o.fields.length > 0 && (
                <div className="hv-fields-wrap">
                  <table className="hv-fields">
                    <thead>
                      <tr>
                        <th>{''}</th>
                        <th>design</th>
                        <th>applied</th>
                        <th>live</th>
                      </tr>
                    </thead>
                    <tbody>
                      {o.fields.map((f) => {
                        const taken = isTaken(lab, f);
                        return (
                          <tr key={f.field} data-testid={`diff.field.${o.id}.${f.field}`} data-taken={taken}>
                            <th title={`changed by: ${f.changedBy}`}>
                              {f.field}
                              {f.changedBy !== 'unknown' && <small className="hv-muted"> ({f.changedBy})</small>}
                            </th>
                            <td>{formatValue(f.design)}</td>
                            <td>{formatValue(f.applied)}</td>
                            <td>{formatValue(f.live)}</td>
                          </tr>
                        );
                      })}
                    </tbody>
                  </table>
                </div>
              )}
              {o.fields.length > 0 && (
                <div className="hv-field-actions">
                  {o.fields.map((f) =>
                    isTaken(lab, f) ? (
                      <span key={f.field} className="hv-taken" data-testid={`diff.taken.${o.id}.${f.field}`}>
                        {f.field}: live value taken (save to keep)
                      </span>
                    ) : (
                      <span key={f.field} className="hv-field-btns">
                        <button
                          type="button"
                          className="nl-btn small"
                          data-testid={`diff.take.${o.id}.${f.field}`}
                          disabled={!f.patch}
                          title={f.patch ? 'Put the live value into the design (undoable)' : 'Not expressible in a lab'}
                          onClick={() => take(o, f)}
                        >
                          Take live {f.field}
                        </button>
                        <button
                          type="button"
                          className="nl-btn small ghost"
                          data-testid={`diff.revert.${o.id}.${f.field}`}
                          disabled={leftToKernel(f)}
                          title={
                            leftToKernel(f)
                              ? 'The design leaves this to the kernel: Apply does not change it (set it in the design)'
                              : 'Re-apply the design (Apply)'
                          }
                          onClick={() => void actions.apply()}
                        >
                          Revert to design
                        </button>
                      </span>
                    ),
                  )}
                </div>
              )}
            </li>
          ))}
        </ul>
        {result && result.orphans.length > 0 && (
          <div className="nl-callout hv-warn" data-testid="diff.orphans">
            {result.orphans.length} object(s) on the host still carry this lab's marker but are not in the design (Apply
            removes them): {result.orphans.map((o) => o.ifname ?? o.netns ?? o.object).join(', ')}
          </div>
        )}
      </div>
    </section>
  );
}

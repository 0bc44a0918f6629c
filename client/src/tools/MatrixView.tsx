/** The reachability matrix: rows = from, columns = to; click a cell for its explanation (and its object). */
import { useMemo, useState } from 'react';
import { useActions } from '../actions';
import { useEditor, useEditorStore } from '../store/context';
import { canvasObject, matrixGrid } from './model';

export default function MatrixView() {
  const store = useEditorStore();
  const actions = useActions();
  const matrix = useEditor((s) => s.matrix);
  const nodes = useEditor((s) => s.lab.nodes);
  const grid = useMemo(() => {
    if (!matrix?.result) return null;
    const names = new Map(nodes.map((n) => [n.id, n.kind === 'host' ? 'host' : n.name]));
    return matrixGrid(matrix.result, (id) => names.get(id) ?? id);
  }, [matrix?.result, nodes]);
  const [hover, setHover] = useState<{ from: string; to: string } | null>(null);
  if (!matrix) return null;
  const sel = matrix.selected;
  const shown = hover ?? sel;
  const selCell = shown && grid?.rows.find((r) => r.from === shown.from)?.cells.find((c) => c.to === shown.to);
  return (
    <div className="nl-matrix" data-testid="matrix" data-state={matrix.state}>
      <div className="nl-matrix-bar">
        <b>Reachability</b>
        {matrix.state === 'loading' && <span className="nl-muted">pinging every pair…</span>}
        {grid && matrix.state === 'ready' && (
          <span className="nl-muted" data-testid="matrix.summary">
            {grid.reachable} reachable · {grid.unreachable} unreachable
            {grid.unexpected ? ` · ${grid.unexpected} unexpected` : ''} · {matrix.result?.durationMs} ms
          </span>
        )}
        <button
          type="button"
          className="nl-btn small"
          data-testid="matrix.run"
          disabled={matrix.state === 'loading'}
          onClick={() => void actions.reachability()}
        >
          Run again
        </button>
      </div>
      {matrix.state === 'error' && (
        <div className="nl-callout error" data-testid="matrix.error">
          {matrix.error}
        </div>
      )}
      {grid && grid.nodes.length === 0 && <div className="nl-empty">No namespace has an address: nothing to ping.</div>}
      {grid && grid.nodes.length > 0 && (
        <div className="nl-matrix-body">
          <table className={`nl-matrix-grid${matrix.state === 'loading' ? ' stale' : ''}`}>
            <thead>
              <tr>
                <th className="nl-matrix-corner">from ↓ to →</th>
                {grid.nodes.map((n) => (
                  <th key={n.id} scope="col">
                    {n.label}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {grid.rows.map((r) => (
                <tr key={r.from}>
                  <th scope="row">{r.label}</th>
                  {r.cells.map((c) => (
                    <td
                      key={c.to}
                      className={`nl-cell ${c.kind}${c.unexpected ? ' unexpected' : ''}${
                        sel?.from === c.from && sel?.to === c.to ? ' on' : ''
                      }`}
                      title={c.title}
                      data-testid={`matrix.cell.${c.from}.${c.to}`}
                      data-reachable={c.kind === 'ok' ? 'true' : c.kind === 'fail' ? 'false' : undefined}
                      data-unexpected={c.unexpected ? 'true' : undefined}
                      onMouseEnter={() => c.cell && setHover({ from: c.from, to: c.to })}
                      onMouseLeave={() => setHover(null)}
                      onClick={() => {
                        if (c.kind === 'self' || c.kind === 'none') return;
                        store.getState().selectCell({ from: c.from, to: c.to });
                        const obj = c.cell?.problem?.object;
                        if (obj) store.getState().requestFocus(canvasObject(obj));
                      }}
                    >
                      <span className="nl-cell-sym">{c.symbol}</span>
                      {c.reason && <span className="nl-cell-reason">{c.reason}</span>}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
          <div className="nl-matrix-explain" data-testid="matrix.explain">
            {selCell ? (
              <>
                <div className="nl-matrix-explain-title">
                  {selCell.symbol} {selCell.title.split('\n')[0]}
                </div>
                {selCell.cell?.problem && (
                  <p>
                    <b>{selCell.cell.problem.reason}</b> — {selCell.cell.problem.message}
                    {selCell.cell.problem.direction === 'reverse' ? ' (on the way back)' : ''}
                  </p>
                )}
                {selCell.unexpected && (
                  <p className="nl-warn-text">
                    The design predicts {selCell.cell?.expected ? 'reachable' : 'unreachable'}: the host may be out of
                    sync with the lab (re-apply) or something outside Netloom interferes.
                  </p>
                )}
              </>
            ) : (
              <span className="nl-muted">
                Hover or click a cell for its explanation. Reasons of the failures are also shown on the canvas.
              </span>
            )}
          </div>
        </div>
      )}
    </div>
  );
}

/** Open / Examples dialog (lazy): lists saved labs or bundled examples from the server. */
import { useEffect, useState } from 'react';
import { useActions } from '../actions';
import { useEditor, useEditorStore } from '../store/context';

interface Row {
  key: string;
  title: string;
  sub: string;
}

export default function OpenDialog() {
  const kind = useEditor((s) => s.dialog);
  const store = useEditorStore();
  const actions = useActions();
  const [rows, setRows] = useState<Row[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    setRows(null);
    setError(null);
    const load =
      kind === 'examples'
        ? actions.listExamples().then((xs) => xs.map((x) => ({ key: x.file, title: x.title, sub: x.description })))
        : actions.listLabs().then((xs) =>
            xs.map((x) => ({
              key: x.name,
              title: x.title ?? x.name,
              sub: `${x.name} · ${x.nodes} nodes, ${x.links} links · rev ${x.revision}${x.appliedRevision !== null ? ` · applied rev ${x.appliedRevision}` : ''}`,
            })),
          );
    load.then(setRows, (e: Error) => setError(e.message));
  }, [kind, actions]);

  if (!kind) return null;
  const close = () => store.getState().setDialog(null);
  return (
    <div className="nl-modal-back" onClick={close}>
      <div
        className="nl-modal"
        role="dialog"
        aria-label={kind === 'examples' ? 'Examples' : 'Open lab'}
        data-testid={`dialog.${kind}`}
        onClick={(e) => e.stopPropagation()}
      >
        <div className="nl-modal-head">
          <h2>{kind === 'examples' ? 'Example labs' : 'Open a lab'}</h2>
          <button type="button" className="nl-x" aria-label="Close" onClick={close}>
            ×
          </button>
        </div>
        {error && <div className="nl-callout error">{error}</div>}
        {!rows && !error && <div className="nl-empty">Loading…</div>}
        {rows?.length === 0 && <div className="nl-empty">Nothing here yet.</div>}
        <ul className="nl-open-list">
          {rows?.map((r) => (
            <li key={r.key}>
              <button
                type="button"
                data-testid={`dialog.item.${r.key}`}
                onClick={() => void (kind === 'examples' ? actions.openExample(r.key) : actions.openLab(r.key))}
              >
                <b>{r.title}</b>
                <small>{r.sub}</small>
              </button>
            </li>
          ))}
        </ul>
      </div>
    </div>
  );
}

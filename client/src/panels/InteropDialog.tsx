/**
 * Import (containerlab .clab.yml / CORE scenario .xml: drop or pick a file, see the report, the lab opens)
 * and export (the current lab as containerlab: preview, what did not map, download). Talks to the server
 * through the typed API client; the report comes from the server's importer.
 */
import { useEffect, useRef, useState } from 'react';
import type { ForeignFormat, ImportReport, InteropExportResponse } from '../../../shared/interop';
import { useActions } from '../actions';
import { ApiError, createApiClient } from '../api/client';
import { useEditor } from '../store/context';
import './interop.css';

const api = createApiClient();
const message = (e: unknown) => (e instanceof ApiError ? e.body.message : (e as Error).message);

export default function InteropDialog({ mode, onClose }: { mode: 'import' | 'export'; onClose: () => void }) {
  return (
    <div className="nl-modal-back" onClick={onClose}>
      <div
        className="nl-modal nl-interop"
        role="dialog"
        aria-label={mode === 'import' ? 'Import a topology' : 'Export as containerlab'}
        data-testid={`interop.${mode}`}
        onClick={(e) => e.stopPropagation()}
      >
        <div className="nl-modal-head">
          <h2>{mode === 'import' ? 'Import containerlab / CORE' : 'Export as containerlab'}</h2>
          <span className="nl-interop-spacer" />
          <button type="button" className="nl-x" aria-label="Close" data-testid="interop.close" onClick={onClose}>
            ×
          </button>
        </div>
        {mode === 'import' ? <ImportPane /> : <ExportPane />}
      </div>
    </div>
  );
}

function ImportPane() {
  const actions = useActions();
  const input = useRef<HTMLInputElement>(null);
  const [from, setFrom] = useState<'' | ForeignFormat>('');
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [report, setReport] = useState<ImportReport | null>(null);
  const [over, setOver] = useState(false);

  const importFile = async (file: File) => {
    setBusy(file.name);
    setError(null);
    setReport(null);
    try {
      const res = await api.importForeign(await file.text(), file.name, from || undefined);
      setReport(res.report);
      await actions.openLab(res.lab.name);
    } catch (e) {
      setError(message(e));
    } finally {
      setBusy(null);
    }
  };

  return (
    <>
      <div
        className={`nl-interop-drop${over ? ' over' : ''}`}
        data-testid="interop.drop"
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={(e) => {
          e.preventDefault();
          setOver(false);
          const f = e.dataTransfer.files[0];
          if (f) void importFile(f);
        }}
      >
        <p>
          Drop a <code>.clab.yml</code> or CORE <code>.xml</code> file here, or{' '}
          <button
            type="button"
            className="nl-linkbtn"
            data-testid="interop.pick"
            onClick={() => input.current?.click()}
          >
            pick one
          </button>
          .
        </p>
        <label className="nl-interop-from">
          Format{' '}
          <select
            value={from}
            data-testid="interop.from"
            onChange={(e) => setFrom(e.target.value as '' | ForeignFormat)}
          >
            <option value="">detect</option>
            <option value="containerlab">containerlab</option>
            <option value="core">CORE scenario</option>
          </select>
        </label>
        <input
          ref={input}
          type="file"
          hidden
          accept=".yml,.yaml,.xml,.gotmpl,application/yaml,application/xml,text/xml"
          data-testid="interop.file"
          onChange={(e) => {
            const f = e.target.files?.[0];
            if (f) void importFile(f);
            e.target.value = '';
          }}
        />
      </div>
      {busy && (
        <div className="nl-empty" data-testid="interop.busy">
          Importing {busy}…
        </div>
      )}
      {error && (
        <div className="nl-callout error" role="alert" data-testid="interop.error">
          {error}
        </div>
      )}
      {report && <ReportView report={report} />}
    </>
  );
}

const MARK = { imported: '✓', approximated: '≈', dropped: '✗' } as const;

/** Stable React keys from content (a repeated text gets a counter). */
function keyed<T>(list: readonly T[], text: (x: T) => string): { value: T; key: string }[] {
  const seen = new Map<string, number>();
  return list.map((value) => {
    const t = text(value);
    const n = seen.get(t) ?? 0;
    seen.set(t, n + 1);
    return { value, key: n ? `${t}#${n}` : t };
  });
}

function ReportView({ report }: { report: ImportReport }) {
  const [all, setAll] = useState(false);
  const items = report.items.filter((i) => all || i.status !== 'imported' || i.notes.some((n) => n.effect !== 'info'));
  return (
    <div className="nl-interop-report" data-testid="interop.report" data-lab={report.lab}>
      <p className="nl-interop-summary" data-testid="interop.summary">
        <b>{report.source}</b> → lab <b>{report.lab}</b>: <span className="ok">{report.counts.imported} imported</span>,{' '}
        <span className="approx">{report.counts.approximated} approximated</span>,{' '}
        <span className="drop">{report.counts.dropped} dropped</span>. The lab is open on the canvas.
      </p>
      <label className="nl-interop-all">
        <input type="checkbox" checked={all} onChange={(e) => setAll(e.target.checked)} /> show everything
      </label>
      <ul className="nl-interop-items">
        {keyed(items, (i) => `${i.kind}/${i.source}`).map(({ value: it, key }) => (
          <li key={key} className={`st-${it.status}`} data-testid="interop.item" data-status={it.status}>
            <div className="head">
              <span className="mark" aria-hidden>
                {it.kind === 'lab' ? '•' : MARK[it.status]}
              </span>
              <span className="kind">{it.kind}</span> <b>{it.source}</b>
              {it.target && it.target !== it.source && <span className="target"> → {it.target}</span>}
              <span className="status">{it.status}</span>
            </div>
            {it.notes.length > 0 && (
              <ul className="notes">
                {keyed(it.notes, (n) => `${n.effect}:${n.text}`).map(({ value: n, key: nk }) => (
                  <li key={nk} className={`n-${n.effect}`}>
                    {n.effect === 'dropped' ? 'dropped: ' : n.effect === 'approximated' ? '≈ ' : ''}
                    {n.text}
                  </li>
                ))}
              </ul>
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}

function ExportPane() {
  const actions = useActions();
  const name = useEditor((s) => s.lab.name);
  const [res, setRes] = useState<InteropExportResponse | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    (async () => {
      // The server exports the stored lab: save first so the file is what the canvas shows.
      if (!(await actions.saveIfDirty())) throw new Error('save the lab first (it has problems)');
      return api.exportContainerlab(name);
    })().then(
      (r) => live && setRes(r),
      (e) => live && setError(message(e)),
    );
    return () => {
      live = false;
    };
  }, [actions, name]);
  const download = async () => {
    if (!res) return;
    const { downloadText } = await import('../canvas/exportImage');
    downloadText(res.text, res.filename, 'application/yaml');
  };
  return (
    <>
      {error && (
        <div className="nl-callout error" role="alert" data-testid="interop.error">
          {error}
        </div>
      )}
      {!res && !error && <div className="nl-empty">Exporting…</div>}
      {res && (
        <>
          {res.notes.length > 0 && (
            <ul className="nl-callout" data-testid="interop.export-notes">
              {res.notes.map((n) => (
                <li key={n}>Not exported: {n}</li>
              ))}
            </ul>
          )}
          <pre className="nl-interop-preview" data-testid="interop.preview">
            {res.text}
          </pre>
          <button
            type="button"
            className="nl-tbtn primary"
            data-testid="interop.download"
            onClick={() => void download()}
          >
            Download {res.filename}
          </button>
        </>
      )}
    </>
  );
}

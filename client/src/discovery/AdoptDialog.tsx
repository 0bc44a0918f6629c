/**
 * Adopt dialog: the lab name, what will be marked (selected + pulled in), what is left out or will be refused, the
 * warnings; confirm → POST /api/discovery/adopt → open the new lab in the editor. A refusal (409) stays in the dialog.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import { LabName } from '../../../shared/lab';
import type { Actions } from '../actions';
import { ApiError } from '../api/client';
import type { EditorStore } from '../store/editorStore';
import { previewAdoption, proposeLabName } from './adapters';
import type { DiscoveryApi } from './api';
import { type DiscoveryStore, useDiscovery } from './store';

export function AdoptDialog({
  store,
  editor,
  actions,
  api,
}: {
  store: DiscoveryStore;
  editor: EditorStore;
  actions: Actions;
  api: DiscoveryApi;
}) {
  // The preview is taken when the dialog opens: polls must not reshuffle the list under the user's eyes.
  const [snapshot] = useState(() => {
    const s = store.getState();
    return { data: s.data!, selection: s.selection };
  });
  const preview = useMemo(() => previewAdoption(snapshot.data, snapshot.selection), [snapshot]);
  const [name, setName] = useState(() => proposeLabName(new Set([editor.getState().lab.name])));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [taken, setTaken] = useState<Set<string>>(new Set());
  const input = useRef<HTMLInputElement>(null);
  const open = useDiscovery((s) => s.adoptOpen, store);

  useEffect(() => {
    input.current?.select();
    actions
      .listLabs()
      .then((labs) => {
        const names = new Set(labs.map((l) => l.name));
        setTaken(names);
        setName((n) => (names.has(n) ? proposeLabName(names) : n));
      })
      .catch(() => undefined);
  }, [actions]);

  if (!open) return null;
  const valid = LabName.safeParse(name);
  const nameError = !valid.success
    ? (valid.error.issues[0]?.message ?? 'invalid name')
    : taken.has(name)
      ? `a lab named "${name}" already exists`
      : null;
  const close = () => store.getState().setAdoptOpen(false);
  const confirm = async () => {
    setBusy(true);
    setError(null);
    try {
      const res = await api.adopt(name, preview.select);
      close();
      store.getState().setOpen(false);
      await actions.openLab(res.lab.name);
      const extra = res.warnings.length ? ` — ${res.warnings.length} warning(s): ${res.warnings[0]}` : '';
      editor
        .getState()
        .notify(
          `Adopted ${res.lab.nodes.length + res.lab.links.length} objects into lab ${res.lab.name} (${res.marked} marked${res.applied ? ', in sync' : ''})${extra}`,
        );
    } catch (e) {
      setError(e instanceof ApiError ? `${e.body.code}: ${e.body.message}` : (e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="nl-modal-back" onClick={close}>
      <div
        className="nl-modal hv-adopt"
        role="dialog"
        aria-label="Adopt into a new lab"
        data-testid="hostview.adopt-dialog"
        onClick={(e) => e.stopPropagation()}
      >
        <div className="nl-modal-head">
          <h2>Adopt into a new lab</h2>
          <button type="button" className="nl-x" aria-label="Close" onClick={close}>
            ×
          </button>
        </div>
        <p className="hv-muted hv-lead">
          Netloom marks each object below as belonging to the new lab (an interface alias; nothing else changes). The
          lab then shows them live, and destroying it removes them.
        </p>
        <div className="nl-field">
          <label htmlFor="hv-adopt-name">Lab name</label>
          <input
            id="hv-adopt-name"
            ref={input}
            className={`nl-input mono${nameError ? ' invalid' : ''}`}
            data-testid="hostview.adopt-name"
            value={name}
            onChange={(e) => setName(e.target.value.trim())}
            onKeyDown={(e) => {
              if (e.key === 'Enter' && !nameError && !busy && preview.select.length) void confirm();
            }}
          />
          {nameError && <div className="nl-field-error">{nameError}</div>}
        </div>
        <div className="nl-section-title hv-sub">
          Will be marked ({preview.mark.length}){preview.added.length ? ` — ${preview.added.length} pulled in` : ''}
        </div>
        <ul className="hv-adopt-list" data-testid="hostview.adopt-list">
          {preview.mark.map((r) => (
            <li key={r.id} data-id={r.id}>
              <code>{r.id}</code> {r.what}
              {preview.added.includes(r.id) && <span className="hv-tag">needed</span>}
            </li>
          ))}
          {preview.mark.length === 0 && <li className="hv-muted">Nothing adoptable is selected.</li>}
        </ul>
        {preview.skipped.length > 0 && (
          <>
            <div className="nl-section-title hv-sub">Left out ({preview.skipped.length})</div>
            <ul className="hv-adopt-list muted">
              {preview.skipped.map((r) => (
                <li key={r.id}>{r.what}</li>
              ))}
            </ul>
          </>
        )}
        {(preview.refused.length > 0 || preview.warnings.length > 0) && (
          <ul className="nl-callout hv-warn" data-testid="hostview.adopt-warnings">
            {preview.refused.map((r) => (
              <li key={r.id}>{r.what}: the server will refuse it</li>
            ))}
            {preview.warnings.map((w) => (
              <li key={w}>{w}</li>
            ))}
          </ul>
        )}
        {error && (
          <div className="nl-callout error" role="alert" data-testid="hostview.adopt-error">
            {error}
          </div>
        )}
        <div className="hv-actions">
          <button type="button" className="nl-btn" data-testid="hostview.adopt-cancel" onClick={close}>
            Cancel
          </button>
          <button
            type="button"
            className="nl-btn primary"
            data-testid="hostview.adopt-confirm"
            disabled={busy || !!nameError || preview.select.length === 0}
            onClick={() => void confirm()}
          >
            {busy ? 'Adopting…' : `Adopt ${preview.mark.length} object${preview.mark.length === 1 ? '' : 's'}`}
          </button>
        </div>
      </div>
    </div>
  );
}

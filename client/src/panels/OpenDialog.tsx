/**
 * Lab dialogs (lazy): Open (saved labs, each renamed, duplicated or deleted in place), Examples (bundled
 * labs), New (a lab named and titled when it is created). Server calls go through the actions.
 */
import { useCallback, useEffect, useState } from 'react';
import type { LabSummary } from '../../../shared/api';
import { LabName } from '../../../shared/lab';
import { useActions } from '../actions';
import { useEditor, useEditorStore } from '../store/context';
import { fieldError } from './fields';

interface Row {
  key: string;
  title: string;
  sub: string;
}

/** A lab-name slug from a title ("Class A — routing" → "class-a-routing"), or '' when nothing is left. */
export function slugOf(title: string): string {
  const s = title
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '') // accents come apart from their letters: drop them
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .replace(/^[^a-z]+/, '')
    .slice(0, 32)
    .replace(/-+$/, '');
  return s;
}

/** `stem`, else `stem-2`, `stem-3`… : the first not in `taken` (within the 32 characters of a lab name). */
export function freeName(stem: string, taken: ReadonlySet<string>): string {
  if (!taken.has(stem)) return stem;
  for (let i = 2; ; i++) {
    const suffix = `-${i}`;
    const name = `${stem.slice(0, 32 - suffix.length)}${suffix}`;
    if (!taken.has(name)) return name;
  }
}

function problemOf(name: string, taken: ReadonlySet<string>, self?: string): string | null {
  if (!name) return 'a lab needs a name';
  if (name !== self && taken.has(name)) return `a lab named "${name}" already exists`;
  return fieldError(LabName, name);
}

export default function OpenDialog() {
  const kind = useEditor((s) => s.dialog);
  if (kind === 'new') return <NewLabDialog />;
  return <ListDialog kind={kind === 'examples' ? 'examples' : 'open'} />;
}

function Modal({ kind, title, children }: { kind: string; title: string; children: React.ReactNode }) {
  const store = useEditorStore();
  const close = () => store.getState().setDialog(null);
  return (
    <div className="nl-modal-back" onClick={close}>
      <div
        className="nl-modal"
        role="dialog"
        aria-label={title}
        data-testid={`dialog.${kind}`}
        onClick={(e) => e.stopPropagation()}
      >
        <div className="nl-modal-head">
          <h2>{title}</h2>
          <button type="button" className="nl-x" aria-label="Close" onClick={close}>
            ×
          </button>
        </div>
        {children}
      </div>
    </div>
  );
}

function NewLabDialog() {
  const actions = useActions();
  const [taken, setTaken] = useState<Set<string> | null>(null);
  const [title, setTitle] = useState('');
  const [name, setName] = useState('');
  // The name follows the title until the user types one of their own.
  const [own, setOwn] = useState(false);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    actions.listLabs().then(
      (labs) => setTaken(new Set(labs.map((l) => l.name))),
      () => setTaken(new Set()),
    );
  }, [actions]);
  const shown = own ? name : freeName(slugOf(title) || 'lab', taken ?? new Set());
  const problem = taken ? problemOf(shown, taken) : null;
  const create = async () => {
    if (problem || !taken || busy) return;
    setBusy(true);
    await actions.createLab(shown, title.trim() || undefined);
    setBusy(false);
  };
  return (
    <Modal kind="new" title="New lab">
      <form
        className="nl-new-lab"
        onSubmit={(e) => {
          e.preventDefault();
          void create();
        }}
      >
        <div className="nl-field">
          <label htmlFor="nl-new-title">Title</label>
          <input
            id="nl-new-title"
            className="nl-input"
            data-testid="dialog.new.title"
            value={title}
            maxLength={120}
            // biome-ignore lint/a11y/noAutofocus: the dialog exists to take this value
            autoFocus
            placeholder="Routing between two subnets"
            onChange={(e) => setTitle(e.target.value)}
          />
        </div>
        <div className="nl-field">
          <label htmlFor="nl-new-name">Name (in the URL, and in the marker of everything it creates on the host)</label>
          <input
            id="nl-new-name"
            className={`nl-input mono${problem ? ' invalid' : ''}`}
            data-testid="dialog.new.name"
            value={shown}
            spellCheck={false}
            autoComplete="off"
            aria-invalid={problem !== null}
            onChange={(e) => {
              setOwn(true);
              setName(e.target.value);
            }}
          />
          {problem && (
            <div className="nl-field-error" role="alert" data-testid="dialog.new.name.error">
              {problem}
            </div>
          )}
        </div>
        <div className="nl-row">
          <button
            type="submit"
            className="nl-btn primary"
            data-testid="dialog.new.create"
            disabled={problem !== null || !taken || busy}
          >
            Create
          </button>
        </div>
      </form>
    </Modal>
  );
}

function ListDialog({ kind }: { kind: 'open' | 'examples' }) {
  const actions = useActions();
  const current = useEditor((s) => s.lab.name);
  const [labs, setLabs] = useState<LabSummary[] | null>(null);
  const [rows, setRows] = useState<Row[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  const reload = useCallback(() => {
    if (kind === 'examples') {
      actions
        .listExamples()
        .then((xs) => setRows(xs.map((x) => ({ key: x.file, title: x.title, sub: x.description }))))
        .catch((e: Error) => setError(e.message));
      return;
    }
    actions
      .listLabs()
      .then((xs) => {
        setLabs(xs);
        setRows(
          xs.map((x) => ({
            key: x.name,
            title: x.title ?? x.name,
            sub: `${x.name} · ${x.nodes} nodes, ${x.links} links · rev ${x.revision}${x.appliedRevision !== null ? ` · applied rev ${x.appliedRevision}` : ''}`,
          })),
        );
      })
      .catch((e: Error) => setError(e.message));
  }, [kind, actions]);
  useEffect(() => {
    setRows(null);
    setError(null);
    reload();
  }, [reload]);

  const taken = new Set((labs ?? []).map((l) => l.name));
  /** Runs a lab-management call; its refusal is shown in the dialog, where the user is looking. */
  const run = async (fn: () => Promise<void>) => {
    setError(null);
    try {
      await fn();
    } catch (e) {
      setError((e as Error).message);
    }
    reload();
  };
  return (
    <Modal kind={kind} title={kind === 'examples' ? 'Example labs' : 'Open a lab'}>
      {error && (
        <div className="nl-callout error" data-testid="dialog.error">
          {error}
        </div>
      )}
      {!rows && !error && <div className="nl-empty">Loading…</div>}
      {rows?.length === 0 && <div className="nl-empty">Nothing here yet.</div>}
      <ul className="nl-open-list">
        {rows?.map((r) =>
          kind === 'examples' ? (
            <li key={r.key}>
              <button
                type="button"
                className="nl-open-item"
                data-testid={`dialog.item.${r.key}`}
                onClick={() => void actions.openExample(r.key)}
              >
                <b>{r.title}</b>
                <small>{r.sub}</small>
              </button>
            </li>
          ) : (
            <LabRow
              key={r.key}
              row={r}
              current={r.key === current}
              taken={taken}
              onOpen={() => void actions.openLab(r.key)}
              onRename={(to) => run(() => actions.renameLab(r.key, to))}
              onDuplicate={() => run(() => actions.duplicateLab(r.key, freeName(`${r.key}-copy`, taken)))}
              onDelete={() => run(() => actions.deleteLab(r.key))}
            />
          ),
        )}
      </ul>
    </Modal>
  );
}

function LabRow(p: {
  row: Row;
  current: boolean;
  taken: ReadonlySet<string>;
  onOpen(): void;
  onRename(to: string): Promise<void>;
  onDuplicate(): Promise<void>;
  onDelete(): Promise<void>;
}) {
  const { key } = p.row;
  const [mode, setMode] = useState<'idle' | 'rename' | 'delete'>('idle');
  const [to, setTo] = useState(key);
  const problem = mode === 'rename' ? problemOf(to.trim(), p.taken, key) : null;
  const rename = async () => {
    if (problem) return;
    setMode('idle');
    if (to.trim() !== key) await p.onRename(to.trim());
  };
  return (
    <li className={`nl-lab-row${p.current ? ' is-current' : ''}`} data-testid={`dialog.row.${key}`}>
      {mode === 'rename' ? (
        <form
          className="nl-lab-rename"
          onSubmit={(e) => {
            e.preventDefault();
            void rename();
          }}
        >
          <input
            className={`nl-input mono${problem ? ' invalid' : ''}`}
            data-testid={`dialog.rename-input.${key}`}
            value={to}
            // biome-ignore lint/a11y/noAutofocus: the user just asked to type the new name
            autoFocus
            spellCheck={false}
            aria-invalid={problem !== null}
            onChange={(e) => setTo(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Escape') {
                e.stopPropagation();
                setMode('idle');
              }
            }}
          />
          <button type="submit" className="nl-btn small primary" disabled={problem !== null}>
            Rename
          </button>
          <button type="button" className="nl-btn small ghost" onClick={() => setMode('idle')}>
            Cancel
          </button>
          {problem && <div className="nl-field-error">{problem}</div>}
        </form>
      ) : (
        <button type="button" className="nl-open-item" data-testid={`dialog.item.${key}`} onClick={p.onOpen}>
          <b>
            {p.row.title}
            {p.current && <span className="nl-chip">open</span>}
          </b>
          <small>{p.row.sub}</small>
        </button>
      )}
      {mode !== 'rename' && (
        <div className="nl-lab-actions">
          {mode === 'delete' ? (
            <>
              <span className="small">Delete {key}?</span>
              <button
                type="button"
                className="nl-btn small danger"
                data-testid={`dialog.delete-confirm.${key}`}
                onClick={() => {
                  setMode('idle');
                  void p.onDelete();
                }}
              >
                Delete
              </button>
              <button type="button" className="nl-btn small ghost" onClick={() => setMode('idle')}>
                Keep
              </button>
            </>
          ) : (
            <>
              <button
                type="button"
                className="nl-btn small ghost"
                data-testid={`dialog.rename.${key}`}
                title="Rename this lab"
                onClick={() => {
                  setTo(key);
                  setMode('rename');
                }}
              >
                Rename
              </button>
              <button
                type="button"
                className="nl-btn small ghost"
                data-testid={`dialog.duplicate.${key}`}
                title="Copy this lab under a new name"
                onClick={() => void p.onDuplicate()}
              >
                Duplicate
              </button>
              <button
                type="button"
                className="nl-btn small ghost"
                data-testid={`dialog.delete.${key}`}
                title="Delete this lab (refused while it is applied on the host)"
                onClick={() => setMode('delete')}
              >
                Delete
              </button>
            </>
          )}
        </div>
      )}
    </li>
  );
}

/** Toolbar: lab identity, file actions, history, layout, plan/apply/destroy, theme, mode and connection. */
import { useReactFlow } from '@xyflow/react';
import { lazy, Suspense, useRef, useState } from 'react';
import { useActions } from '../actions';
import { PathIcon } from '../canvas/icons';
import { DiscoveryButtons } from '../discovery/Mount';
import { ExerciseButton } from '../exercise/Mount';
import { useEditor, useEditorStore, useHistory } from '../store/context';
import {
  selectApplyBlocker,
  selectBusy,
  selectConnection,
  selectDesignErrorCount,
  selectDirty,
  selectLabName,
  selectLabTitle,
  selectMode,
  selectTheme,
} from '../store/selectors';
import { ExportMenu } from './ExportMenu';

const I = {
  undo: 'M9 14 4 9l5-5M4 9h10.5a5.5 5.5 0 0 1 0 11H11',
  redo: 'm15 14 5-5-5-5M20 9H9.5a5.5 5.5 0 0 0 0 11H13',
  layout: 'M3 3h7v7H3zM14 3h7v7h-7zM14 14h7v7h-7zM3 14h7v7H3z',
  play: 'M6 4l14 8-14 8z',
  trash: 'M3 6h18M8 6V4h8v2M19 6l-1 14H6L5 6',
  list: 'M8 6h13M8 12h13M8 18h13M3 6h.01M3 12h.01M3 18h.01',
  save: 'M19 21H5a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2h11l5 5v11a2 2 0 0 1-2 2zM17 21v-8H7v8M7 3v5h8',
  moon: 'M21 12.8A9 9 0 1 1 11.2 3a7 7 0 0 0 9.8 9.8z',
  sun: 'M12 3v2M12 19v2M5 5l1.4 1.4M17.6 17.6 19 19M3 12h2M19 12h2M5 19l1.4-1.4M17.6 6.4 19 5M12 8a4 4 0 1 0 0 8 4 4 0 0 0 0-8z',
  download: 'M12 3v12M7 10l5 5 5-5M5 21h14',
  folder: 'M3 7a2 2 0 0 1 2-2h4l2 2h8a2 2 0 0 1 2 2v8a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2z',
  plus: 'M12 5v14M5 12h14',
  book: 'M4 19.5A2.5 2.5 0 0 1 6.5 17H20V3H6.5A2.5 2.5 0 0 0 4 5.5zM4 19.5A2.5 2.5 0 0 0 6.5 22H20v-5',
  upload: 'M12 21V9M7 14l5-5 5 5M5 3h14',
  grid: 'M3 3h18v18H3zM3 9h18M3 15h18M9 3v18M15 3v18',
};

const InteropDialog = lazy(() => import('./InteropDialog'));

export function Toolbar() {
  const store = useEditorStore();
  const actions = useActions();
  const rf = useReactFlow();
  const name = useEditor(selectLabName);
  const title = useEditor(selectLabTitle);
  const dirty = useEditor(selectDirty);
  const blocker = useEditor(selectApplyBlocker);
  const errors = useEditor(selectDesignErrorCount);
  const busy = useEditor(selectBusy);
  const mode = useEditor(selectMode);
  const conn = useEditor(selectConnection);
  const theme = useEditor(selectTheme);
  const canUndo = useHistory((t) => t.pastStates.length > 0);
  const canRedo = useHistory((t) => t.futureStates.length > 0);
  const [labOpen, setLabOpen] = useState(false);
  const [interop, setInterop] = useState<'import' | 'export' | null>(null);
  const fileInput = useRef<HTMLInputElement>(null);

  const autoLayout = async () => {
    const { autoLayout: run, READABLE_ZOOM } = await import('../canvas/autoLayout');
    const sizes = new Map(
      rf.getNodes().map((n) => [n.id, { width: n.measured?.width ?? 230, height: n.measured?.height ?? 100 }]),
    );
    const pane = document.querySelector('[data-testid="canvas"]')?.getBoundingClientRect();
    const view = pane ? { width: pane.width, height: pane.height } : undefined;
    const { lab, layout } = store.getState();
    const positions = await run(lab, sizes, view, layout.positions);
    store.getState().setPositions(positions);
    // Fit once React Flow has the new positions (two frames: store → render → internals), never below a
    // zoom where the text can be read (a big lab is then centred, not shrunk to dots).
    requestAnimationFrame(() =>
      requestAnimationFrame(
        () => void rf.fitView({ padding: 0.15, duration: 400, maxZoom: 1.4, minZoom: READABLE_ZOOM }),
      ),
    );
  };

  return (
    <header className="nl-toolbar" data-testid="toolbar">
      <div className="nl-brand" title="Netloom">
        <svg width="26" height="26" viewBox="0 0 32 32" aria-hidden>
          <circle cx="7" cy="9" r="4" fill="var(--brand-a)" />
          <circle cx="25" cy="9" r="4" fill="var(--brand-b)" />
          <circle cx="16" cy="24" r="4" fill="var(--brand-c)" />
          <path d="M7 9 25 9 16 24Z" fill="none" stroke="currentColor" strokeWidth="1.8" opacity=".55" />
        </svg>
        <span>Netloom</span>
      </div>
      <div className="nl-labname" data-testid="toolbar.lab">
        <span className="nl-lab-title">{title || name}</span>
        <span className="nl-lab-key">{name}</span>
        {dirty && <span className="nl-dirty" title="Unsaved changes" data-testid="toolbar.dirty" />}
      </div>

      <div className="nl-tgroup">
        <div className="nl-menu">
          <button
            type="button"
            className="nl-tbtn"
            data-testid="toolbar.lab-menu"
            aria-expanded={labOpen}
            onClick={() => setLabOpen((o) => !o)}
          >
            <PathIcon d={I.folder} />
            <span>Lab ▾</span>
          </button>
          {labOpen && (
            <div className="nl-menu-pop" role="menu" onMouseLeave={() => setLabOpen(false)}>
              <button
                type="button"
                role="menuitem"
                data-testid="toolbar.new"
                onClick={() => {
                  setLabOpen(false);
                  store.getState().setDialog('new');
                }}
              >
                New lab…
              </button>
              <button
                type="button"
                role="menuitem"
                data-testid="toolbar.open"
                onClick={() => {
                  setLabOpen(false);
                  store.getState().setDialog('open');
                }}
              >
                Open…
              </button>
              <button
                type="button"
                role="menuitem"
                data-testid="toolbar.examples"
                onClick={() => {
                  setLabOpen(false);
                  store.getState().setDialog('examples');
                }}
              >
                Examples…
              </button>
              <button
                type="button"
                role="menuitem"
                data-testid="toolbar.import"
                onClick={() => {
                  setLabOpen(false);
                  fileInput.current?.click();
                }}
              >
                Import JSON / YAML…
              </button>
              <button
                type="button"
                role="menuitem"
                data-testid="toolbar.import-foreign"
                onClick={() => {
                  setLabOpen(false);
                  setInterop('import');
                }}
              >
                Import containerlab / CORE…
              </button>
            </div>
          )}
        </div>
        <button
          type="button"
          className="nl-tbtn"
          data-testid="toolbar.save"
          title="Save (Ctrl+S)"
          onClick={() => void actions.save()}
        >
          <PathIcon d={I.save} />
          <span>Save</span>
        </button>
        <input
          ref={fileInput}
          type="file"
          accept=".json,.yaml,.yml,application/json,application/yaml"
          hidden
          data-testid="toolbar.import-file"
          onChange={async (e) => {
            const f = e.target.files?.[0];
            if (f) await actions.importText(await f.text(), f.name);
            e.target.value = '';
          }}
        />
        <ExportMenu
          testid="toolbar"
          className="nl-tbtn"
          label={
            <>
              <PathIcon d={I.download} />
              <span>Export ▾</span>
            </>
          }
          basename={() => store.getState().lab.name}
          lab={() => store.getState().lab}
          rf={() => rf}
          title={() => store.getState().lab.title || store.getState().lab.name}
          whilePng={async (take) => {
            // Drop the selection while the picture is taken, with transitions off (a fading selection ring
            // would be caught half-way).
            const selection = store.getState().selection;
            const canvas = document.querySelector('[data-testid="canvas"]');
            canvas?.classList.add('nl-exporting');
            store.getState().clearSelection();
            await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
            try {
              await take();
            } finally {
              canvas?.classList.remove('nl-exporting');
              store.getState().select(selection);
            }
          }}
          onError={(m) => store.getState().notify(m, 'error')}
          extra={(close) => (
            <button
              type="button"
              role="menuitem"
              data-testid="toolbar.export-clab"
              onClick={() => {
                close();
                setInterop('export');
              }}
            >
              containerlab (.clab.yml)
            </button>
          )}
        />
      </div>

      <div className="nl-tgroup">
        <button
          type="button"
          className="nl-tbtn icon"
          data-testid="toolbar.undo"
          title="Undo (Ctrl+Z)"
          disabled={!canUndo}
          onClick={() => store.temporal.getState().undo()}
        >
          <PathIcon d={I.undo} />
        </button>
        <button
          type="button"
          className="nl-tbtn icon"
          data-testid="toolbar.redo"
          title="Redo (Ctrl+Y)"
          disabled={!canRedo}
          onClick={() => store.temporal.getState().redo()}
        >
          <PathIcon d={I.redo} />
        </button>
        <button
          type="button"
          className="nl-tbtn shrink"
          data-testid="toolbar.layout"
          title="Arrange automatically (ELK)"
          onClick={() => void autoLayout()}
        >
          <PathIcon d={I.layout} />
          <span>Auto-layout</span>
        </button>
      </div>

      <DiscoveryButtons />
      <ExerciseButton />

      <div className="nl-spacer" />

      <div className="nl-tgroup">
        <button
          type="button"
          className="nl-tbtn"
          data-testid="toolbar.plan"
          title="Preview the commands Apply would run"
          disabled={busy}
          onClick={() => void actions.loadPlan()}
        >
          <PathIcon d={I.list} />
          <span>Plan</span>
        </button>
        <button
          type="button"
          className="nl-tbtn shrink"
          data-testid="toolbar.reachability"
          title="Ping every pair of namespaces and explain what fails (the lab must be applied)"
          disabled={busy}
          onClick={() => void actions.reachability()}
        >
          <PathIcon d={I.grid} />
          <span>Reachability</span>
        </button>
        <span className="nl-apply-wrap" title={blocker ?? 'Build this lab on the host'}>
          <button
            type="button"
            className="nl-tbtn primary"
            data-testid="toolbar.apply"
            disabled={blocker !== null}
            onClick={() => void actions.apply()}
          >
            <PathIcon d={I.play} />
            <span>Apply</span>
          </button>
        </span>
        <button
          type="button"
          className="nl-tbtn danger"
          data-testid="toolbar.destroy"
          title="Remove everything this lab created"
          disabled={busy}
          onClick={() => void actions.destroy()}
        >
          <PathIcon d={I.trash} />
          <span>Destroy</span>
        </button>
      </div>
      {errors > 0 && (
        <button
          type="button"
          className="nl-blocker"
          data-testid="toolbar.apply-blocker"
          title={`Apply is disabled: ${blocker}`}
          onClick={() => store.getState().setPanel('problems')}
        >
          ⚠ {errors} problem{errors > 1 ? 's' : ''}
        </button>
      )}

      <div className="nl-tgroup status">
        <span
          className={`nl-mode mode-${mode ?? 'unknown'}`}
          data-testid="status.mode"
          data-mode={mode ?? ''}
          title={
            mode === 'host'
              ? 'Changes the real host network'
              : mode === 'sandbox'
                ? 'Everything runs in a private sandbox namespace'
                : 'Mode unknown'
          }
        >
          {mode ?? '…'}
        </span>
        <span
          className={`nl-conn conn-${conn}`}
          data-testid="status.connection"
          data-state={conn}
          title={`Live status: ${conn}`}
        >
          <span className="nl-conn-dot" />
          {conn === 'connected' ? 'live' : conn === 'connecting' ? 'connecting' : 'offline'}
        </span>
        <button
          type="button"
          className="nl-tbtn icon"
          data-testid="toolbar.theme"
          title={theme === 'dark' ? 'Light theme' : 'Dark theme'}
          onClick={() => store.getState().setTheme(theme === 'dark' ? 'light' : 'dark')}
        >
          <PathIcon d={theme === 'dark' ? I.sun : I.moon} />
        </button>
      </div>
      {interop && (
        <Suspense fallback={null}>
          <InteropDialog mode={interop} onClose={() => setInterop(null)} />
        </Suspense>
      )}
    </header>
  );
}

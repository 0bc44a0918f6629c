/** App shell: store + actions providers, layout (toolbar, palette, canvas, side panel), theme and shortcuts. */
import { ReactFlowProvider } from '@xyflow/react';
import { lazy, Suspense, useEffect, useMemo } from 'react';
import { ActionsProvider, createActions } from './actions';
import { type ApiClient, createApiClient } from './api/client';
import Canvas from './canvas/Canvas';
import { readOnlyView } from './classroom/viewMode';
import { DiscoveryMount } from './discovery/Mount';
import { ExerciseMount } from './exercise/Mount';
import { ProgressBar, ResultBanner } from './panels/Activity';
import { Inspector } from './panels/Inspector';
import { Legend } from './panels/Legend';
import { Palette } from './panels/Palette';
import { Toolbar } from './panels/Toolbar';
import { EditorProvider, useEditor, useEditorStore } from './store/context';
import { createEditorStore, type EditorStore } from './store/editorStore';
import { selectErrorCount, selectPanel, selectTheme, selectWarningCount } from './store/selectors';
import type { Theme } from './store/uiSlice';
import { ContextMenu, PingPrompt } from './tools/ContextMenu';
import { Dock } from './tools/Dock';
import { useShortcuts } from './useShortcuts';

const PlanPanel = lazy(() => import('./panels/PlanPanel'));
const ProblemsList = lazy(() => import('./panels/ProblemsList'));
const OpenDialog = lazy(() => import('./panels/OpenDialog'));

const THEME_KEY = 'netloom.theme';

export function initialTheme(): Theme {
  try {
    const saved = localStorage.getItem(THEME_KEY);
    if (saved === 'light' || saved === 'dark') return saved;
    return window.matchMedia?.('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
  } catch {
    return 'light';
  }
}

function SidePanel() {
  const store = useEditorStore();
  const panel = useEditor(selectPanel);
  const errors = useEditor(selectErrorCount);
  const warnings = useEditor(selectWarningCount);
  const tab = (id: typeof panel, label: React.ReactNode) => (
    <button
      type="button"
      role="tab"
      aria-selected={panel === id}
      className={panel === id ? 'on' : ''}
      data-testid={`panel.${id}`}
      onClick={() => store.getState().setPanel(id)}
    >
      {label}
    </button>
  );
  return (
    <aside className="nl-side">
      <div className="nl-tabs" role="tablist">
        {tab('inspector', 'Inspector')}
        {tab(
          'problems',
          <>
            Problems{' '}
            <span
              className={`nl-count${errors ? ' bad' : ''}`}
              data-testid="problems.count"
              title={`${errors} error${errors === 1 ? '' : 's'} (the design, the plan, the host)`}
            >
              {errors}
            </span>
            {warnings > 0 && (
              <span
                className="nl-count warn"
                data-testid="problems.warnings"
                title={`${warnings} warning${warnings === 1 ? '' : 's'}: worth a look, they do not block Apply`}
              >
                {warnings}
              </span>
            )}
          </>,
        )}
        {tab('plan', 'Plan')}
      </div>
      <div className="nl-side-body">
        <Suspense fallback={<div className="nl-empty">Loading…</div>}>
          {panel === 'inspector' && <Inspector />}
          {panel === 'problems' && <ProblemsList />}
          {panel === 'plan' && <PlanPanel />}
        </Suspense>
      </div>
    </aside>
  );
}

function Toast() {
  const toast = useEditor((s) => s.toast);
  const store = useEditorStore();
  useEffect(() => {
    if (!toast) return;
    const t = setTimeout(() => store.setState({ toast: null }), toast.kind === 'error' ? 8000 : 3500);
    return () => clearTimeout(t);
  }, [toast, store]);
  if (!toast) return null;
  return (
    <div className={`nl-toast ${toast.kind}`} role="alert" data-testid="toast">
      {toast.text}
    </div>
  );
}

/** Canvas above, tools dock below. `data-tool-sockets` = open terminal/capture sockets (for tests). */
function Stage() {
  const sockets = useEditor((s) => s.toolSockets);
  return (
    <main className="nl-stage" data-testid="stage" data-tool-sockets={sockets}>
      <div className="nl-stage-canvas">
        <Canvas />
        <ExerciseMount />
        <div className="nl-overlay">
          <ProgressBar />
          <ResultBanner />
        </div>
      </div>
      <Dock />
    </main>
  );
}

function Shell({ store }: { store: EditorStore }) {
  const theme = useEditor(selectTheme);
  const dialog = useEditor((s) => s.dialog);
  const actions = useMemo(() => createActions(store, createApiClient()), [store]);
  const view = readOnlyView();
  useShortcuts(store, actions);
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
    try {
      localStorage.setItem(THEME_KEY, theme);
    } catch {
      /* private mode */
    }
  }, [theme]);
  useEffect(() => {
    void actions.init();
    return () => actions.socket.stop();
  }, [actions]);
  return (
    <ActionsProvider value={actions}>
      <ReactFlowProvider>
        <div className={`nl-app${view ? ' nl-readonly' : ''}`}>
          {view && (
            <div className="nl-readonly-banner" role="status" data-testid="readonly.banner">
              Viewing {view.label} — read only
            </div>
          )}
          <fieldset disabled={view !== null} className="nl-readonly-fieldset" data-testid="readonly.fieldset">
            <Toolbar />
          </fieldset>
          <div className="nl-main">
            <nav className="nl-left">
              {!view && <Palette />}
              <Legend />
            </nav>
            <Stage />
            <fieldset disabled={view !== null} className="nl-readonly-fieldset">
              <SidePanel />
            </fieldset>
          </div>
          <Toast />
          <ContextMenu />
          <PingPrompt />
          <DiscoveryMount />
          {dialog && (
            <Suspense fallback={null}>
              <OpenDialog />
            </Suspense>
          )}
        </div>
      </ReactFlowProvider>
    </ActionsProvider>
  );
}

export function App({ store: given, api }: { store?: EditorStore; api?: ApiClient }) {
  const store = useMemo(() => given ?? createEditorStore({ theme: initialTheme() }), [given]);
  void api;
  return (
    <EditorProvider store={store}>
      <Shell store={store} />
    </EditorProvider>
  );
}

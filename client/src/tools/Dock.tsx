/**
 * The bottom dock: tabs of terminals, packet captures and the reachability matrix. Every tab stays mounted
 * while open (a hidden terminal keeps its shell); closing a tab unmounts it, which closes its socket. The
 * terminal and capture views are lazy chunks (xterm.js is loaded on the first terminal only).
 */
import { lazy, Suspense, useCallback, useRef } from 'react';
import { useEditor, useEditorStore } from '../store/context';
import type { DockTab } from '../store/toolsSlice';

const TerminalView = lazy(() => import('./TerminalView'));
const CaptureView = lazy(() => import('./CaptureView'));
const MatrixView = lazy(() => import('./MatrixView'));

function tabLabel(t: DockTab, lab: string): React.ReactNode {
  // A tab keeps working on its own lab when another one is opened: say which.
  const other = t.kind !== 'matrix' && t.lab !== lab ? <span className="nl-dock-lab">{t.lab}</span> : null;
  if (t.kind === 'terminal')
    return (
      <>
        <span className="nl-dock-ico">›_</span>
        {t.label}
        {other}
      </>
    );
  if (t.kind === 'capture')
    return (
      <>
        <span className="nl-dock-ico rec">◉</span>
        {t.ifname}
        {other}
      </>
    );
  return (
    <>
      <span className="nl-dock-ico">▦</span>
      Reachability
    </>
  );
}

export function Dock() {
  const store = useEditorStore();
  const dock = useEditor((s) => s.dock);
  const lab = useEditor((s) => s.lab.name);
  const drag = useRef<{ y: number; h: number } | null>(null);

  const onResizeStart = useCallback(
    (e: React.PointerEvent) => {
      e.preventDefault();
      drag.current = { y: e.clientY, h: store.getState().dock.height };
      const move = (ev: PointerEvent) => {
        if (!drag.current) return;
        const max = Math.max(160, window.innerHeight - 220);
        store.getState().setDockHeight(Math.min(max, drag.current.h + drag.current.y - ev.clientY));
      };
      const up = () => {
        drag.current = null;
        window.removeEventListener('pointermove', move);
        window.removeEventListener('pointerup', up);
      };
      window.addEventListener('pointermove', move);
      window.addEventListener('pointerup', up);
    },
    [store],
  );

  if (dock.tabs.length === 0) return null;
  return (
    <section className="nl-dock" data-testid="dock" style={{ height: dock.height }}>
      <div className="nl-dock-resize" onPointerDown={onResizeStart} title="Drag to resize" />
      <div className="nl-dock-tabs" role="tablist">
        {dock.tabs.map((t) => (
          <div
            key={t.key}
            className={`nl-dock-tab${dock.active === t.key ? ' on' : ''}`}
            role="tab"
            aria-selected={dock.active === t.key}
            data-testid={`dock.tab.${t.key}`}
            tabIndex={0}
            onClick={() => store.getState().setActiveTab(t.key)}
            onKeyDown={(e) => {
              if (e.key === 'Enter' || e.key === ' ') store.getState().setActiveTab(t.key);
            }}
            onAuxClick={(e) => {
              if (e.button === 1) store.getState().closeTab(t.key);
            }}
          >
            {tabLabel(t, lab)}
            <button
              type="button"
              className="nl-dock-close"
              data-testid={`dock.close.${t.key}`}
              title="Close"
              aria-label={`Close ${t.key}`}
              onClick={(e) => {
                e.stopPropagation();
                store.getState().closeTab(t.key);
              }}
            >
              ×
            </button>
          </div>
        ))}
      </div>
      <div className="nl-dock-body">
        {dock.tabs.map((t) => {
          const active = dock.active === t.key;
          return (
            <div key={t.key} className="nl-dock-pane" hidden={!active}>
              <Suspense fallback={<div className="nl-empty">Loading…</div>}>
                {t.kind === 'terminal' && <TerminalView lab={t.lab} node={t.node} active={active} />}
                {t.kind === 'capture' && (
                  <CaptureView lab={t.lab} link={t.link} end={t.end} ifname={t.ifname} active={active} />
                )}
                {t.kind === 'matrix' && <MatrixView />}
              </Suspense>
            </div>
          );
        })}
      </div>
    </section>
  );
}

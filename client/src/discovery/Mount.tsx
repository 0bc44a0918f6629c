/**
 * The discovery feature's two mount points, so the shell needs one line each: `<DiscoveryMount />` (App: the host
 * view overlay and the diff panel, both lazy) and `<DiscoveryButtons />` (Toolbar: "Host view" and "Diff").
 */
import { lazy, Suspense } from 'react';
import { PathIcon } from '../canvas/icons';
import { discoveryStore, useDiscovery } from './store';

const HostView = lazy(() => import('./HostView'));
const DiffPanel = lazy(() => import('./DiffPanel'));

export function DiscoveryMount() {
  const open = useDiscovery((s) => s.open);
  const diffOpen = useDiscovery((s) => s.diffOpen);
  return (
    <Suspense fallback={null}>
      {open && <HostView />}
      {diffOpen && !open && <DiffPanel />}
    </Suspense>
  );
}

const HOST = 'M2 5h20v10H2zM7 19h10M12 15v4M6 10h.01M10 10h.01';
const DIFF = 'M12 3v18M5 8h4M7 6v4M15 16h4M5 16h4';

export function DiscoveryButtons() {
  const open = useDiscovery((s) => s.open);
  const diffOpen = useDiscovery((s) => s.diffOpen);
  return (
    <div className="nl-tgroup">
      <button
        type="button"
        className={`nl-tbtn shrink${open ? ' on' : ''}`}
        data-testid="toolbar.host-view"
        aria-pressed={open}
        title="What is really on the host: draw it live, adopt it, export it"
        onClick={() => discoveryStore.getState().setOpen(!open)}
      >
        <PathIcon d={HOST} />
        <span>Host view</span>
      </button>
      <button
        type="button"
        className={`nl-tbtn shrink${diffOpen && !open ? ' on' : ''}`}
        data-testid="toolbar.diff"
        aria-pressed={diffOpen && !open}
        title="Compare this lab's design with what was applied and what is live"
        onClick={() => {
          const s = discoveryStore.getState();
          if (s.open) {
            s.setOpen(false);
            s.setDiffOpen(true);
          } else s.setDiffOpen(!diffOpen);
        }}
      >
        <PathIcon d={DIFF} />
        <span>Diff</span>
      </button>
    </div>
  );
}

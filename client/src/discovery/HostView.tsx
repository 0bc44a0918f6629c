/**
 * Host view (lazy): what is really on the host, drawn read-only and kept live. Polls GET /api/discovery every 2 s
 * while open and the tab is visible; a poll whose content did not change re-renders only the status line. Known
 * nodes keep their positions; only new ones are laid out (ELK). Own React Flow instance and a throwaway editor
 * store for the reused edge component, so nothing here touches the lab being edited.
 */
import {
  Background,
  BackgroundVariant,
  ConnectionMode,
  Controls,
  type EdgeChange,
  type NodeChange,
  ReactFlow,
  ReactFlowProvider,
  useReactFlow,
} from '@xyflow/react';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { Lab } from '../../../shared/lab';
import { type Actions, useActions } from '../actions';
import { readNodeChanges } from '../canvas/nodeChanges';
import { ExportMenu } from '../panels/ExportMenu';
import { EditorProvider, useEditor, useEditorStore } from '../store/context';
import { createEditorStore, type EditorStore } from '../store/editorStore';
import { selectTheme } from '../store/selectors';
import { AdoptDialog } from './AdoptDialog';
import {
  adoptableIds,
  graphOf,
  type HostFlowEdge,
  type HostFlowNode,
  NODE_SIZE,
  placeNew,
  type Size,
  STUB_SIZE,
  sameHostEdge,
  sameHostNode,
  searchMatches,
  share,
  toHostFlow,
  unplaced,
} from './adapters';
import { createDiscoveryApi } from './api';
import { HostInspector } from './HostInspector';
import { hostEdgeTypes, hostNodeTypes } from './HostNodes';
import { type DiscoveryStore, discoveryStore, useDiscovery } from './store';
import { useToolbarOffset } from './useToolbarOffset';
import './hostview.css';

export const POLL_MS = 2000;
const api = createDiscoveryApi();

export interface HostViewProps {
  store?: DiscoveryStore;
}

/** Polls while mounted; pauses while the tab is hidden and polls at once when it comes back. */
function usePolling(store: DiscoveryStore) {
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let inFlight = false;
    const tick = async () => {
      clearTimeout(timer);
      if (stopped || inFlight) return;
      if (document.hidden) {
        store.getState().setPaused(true);
        return; // resumed by visibilitychange
      }
      store.getState().setPaused(false);
      inFlight = true;
      try {
        const d = await api.discover();
        if (!stopped) store.getState().receive(d);
      } catch (e) {
        if (!stopped) store.getState().fail((e as Error).message);
      } finally {
        inFlight = false;
      }
      if (!stopped) timer = setTimeout(() => void tick(), POLL_MS);
    };
    const onVisibility = () => {
      if (!document.hidden) void tick();
      else store.getState().setPaused(true);
    };
    document.addEventListener('visibilitychange', onVisibility);
    void tick();
    return () => {
      stopped = true;
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisibility);
    };
  }, [store]);
}

export default function HostView({ store = discoveryStore }: HostViewProps) {
  const editor = useEditorStore();
  const actions = useActions();
  const theme = useEditor(selectTheme);
  // The reused veth edge talks to "the editor store": give it a private one (clicks on veth ends land there).
  const scratch = useMemo(() => createEditorStore({ theme }), [theme]);
  const top = useToolbarOffset();
  usePolling(store);
  useEffect(() => {
    // Shortcuts (Delete…) act on the editor's selection: do not leave one behind the host view.
    editor.getState().clearSelection();
  }, [editor]);
  return (
    <div className="hv" data-testid="hostview" style={{ top }}>
      <ReactFlowProvider>
        <EditorProvider store={scratch}>
          <HostViewBody store={store} editor={editor} actions={actions} scratch={scratch} theme={theme} />
        </EditorProvider>
      </ReactFlowProvider>
    </div>
  );
}

interface BodyProps {
  store: DiscoveryStore;
  editor: EditorStore;
  actions: Actions;
  scratch: EditorStore;
  theme: 'light' | 'dark';
}

function HostViewBody({ store, editor, actions, scratch, theme }: BodyProps) {
  const adoptOpen = useDiscovery((s) => s.adoptOpen, store);
  const rootRef = useRef<HTMLDivElement>(null);
  return (
    <div className="hv-body" ref={rootRef}>
      <HostBar store={store} editor={editor} rootRef={rootRef} />
      <div className="hv-main">
        <HostCanvas store={store} scratch={scratch} theme={theme} />
        <aside className="hv-side">
          <HostInspector store={store} />
        </aside>
      </div>
      {adoptOpen && <AdoptDialog store={store} editor={editor} actions={actions} api={api} />}
    </div>
  );
}

// ---------------------------------------------------------------------------------------------------------------

function HostBar({
  store,
  editor,
  rootRef,
}: {
  store: DiscoveryStore;
  editor: EditorStore;
  rootRef: React.RefObject<HTMLDivElement | null>;
}) {
  const rf = useReactFlow();
  const data = useDiscovery((s) => s.data, store);
  const at = useDiscovery((s) => s.at, store);
  const durationMs = useDiscovery((s) => s.durationMs, store);
  const error = useDiscovery((s) => s.error, store);
  const paused = useDiscovery((s) => s.paused, store);
  const query = useDiscovery((s) => s.query, store);
  const selected = useDiscovery((s) => s.selection.length, store);
  const notify = (text: string, kind: 'info' | 'error' = 'info') => editor.getState().notify(text, kind);

  const counts = useMemo(() => {
    if (!data) return null;
    const ns = data.lab.nodes.filter((n) => n.kind === 'namespace').length;
    const owned = Object.values(data.objects).filter((o) => o.ownership === 'owned' && o.kind !== 'endpoint').length;
    return { ns, objects: data.lab.nodes.length + data.lab.links.length + data.extras.length, owned };
  }, [data]);

  const centerFirst = () => {
    const nodes = rf.getNodes() as HostFlowNode[];
    const first = searchMatches(nodes, store.getState().query)[0];
    if (!first) return;
    store.getState().select([first]);
    void rf.fitView({ nodes: [{ id: first }], duration: 300, maxZoom: 1.3, padding: 0.6 });
  };

  const copyScript = async () => {
    try {
      const text = await api.script();
      await navigator.clipboard.writeText(text);
      notify('Shell script copied to the clipboard');
    } catch (e) {
      notify(`Copy failed: ${(e as Error).message}`, 'error');
    }
  };

  return (
    <div className="hv-bar" data-testid="hostview.bar">
      <div className="hv-title">
        <b>Host view</b>
        <span
          className={`hv-live${error ? ' error' : paused ? ' paused' : ''}`}
          data-testid="hostview.status"
          data-at={at ?? ''}
          data-state={error ? 'error' : paused ? 'paused' : at ? 'live' : 'loading'}
          title={error ?? (paused ? 'Paused while the tab is hidden' : 'Polling every 2 s')}
        >
          <span className="hv-live-dot" />
          {error
            ? 'error'
            : paused
              ? 'paused'
              : at
                ? `live · ${new Date(at).toLocaleTimeString()}${durationMs !== null ? ` · ${Math.round(durationMs)} ms` : ''}`
                : 'reading…'}
        </span>
        {counts && (
          <span className="hv-counts" data-testid="hostview.counts">
            {counts.ns} namespace{counts.ns === 1 ? '' : 's'} · {counts.objects} objects · {counts.owned} owned
          </span>
        )}
      </div>
      <div className="hv-search">
        <input
          className="nl-input"
          type="search"
          placeholder="Find a namespace, interface, address…"
          aria-label="Search the host"
          data-testid="hostview.search"
          value={query}
          onChange={(e) => store.getState().setQuery(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter') centerFirst();
            if (e.key === 'Escape') store.getState().setQuery('');
          }}
        />
        <button
          type="button"
          className="nl-btn small"
          data-testid="hostview.search-center"
          disabled={!query.trim()}
          title="Centre the first match (Enter)"
          onClick={centerFirst}
        >
          Find
        </button>
      </div>
      <div className="nl-spacer" />
      <button
        type="button"
        className="nl-btn small"
        data-testid="hostview.select-all"
        disabled={!data}
        onClick={() => data && store.getState().select(adoptableIds(data))}
      >
        Select all
      </button>
      <button
        type="button"
        className="nl-btn small primary"
        data-testid="hostview.adopt"
        disabled={!data || selected === 0}
        title="Create a lab from the selected objects and mark them as its own"
        onClick={() => store.getState().setAdoptOpen(true)}
      >
        Adopt…{selected ? ` (${selected})` : ''}
      </button>
      <button
        type="button"
        className="nl-btn small"
        data-testid="hostview.relayout"
        title="Arrange everything again"
        onClick={() => store.getState().resetPositions()}
      >
        Re-layout
      </button>
      <ExportMenu
        testid="hostview"
        className="nl-btn small"
        popClassName="hv-menu-pop"
        label="Export ▾"
        disabled={!data}
        basename={() => 'host'}
        lab={() => store.getState().data?.lab}
        rf={() => rf}
        root={() => rootRef.current}
        onError={(m) => notify(m, 'error')}
        extra={(close) => (
          <button
            type="button"
            role="menuitem"
            data-testid="hostview.copy-script"
            onClick={() => {
              close();
              void copyScript();
            }}
          >
            Copy shell script
          </button>
        )}
      />
      <button
        type="button"
        className="nl-x"
        aria-label="Close the host view"
        data-testid="hostview.close"
        onClick={() => store.getState().setOpen(false)}
      >
        ×
      </button>
    </div>
  );
}

// ---------------------------------------------------------------------------------------------------------------

const isBig = (n: number) => n > 200;

function HostCanvas({
  store,
  scratch,
  theme,
}: {
  store: DiscoveryStore;
  scratch: EditorStore;
  theme: 'light' | 'dark';
}) {
  const rf = useReactFlow<HostFlowNode, HostFlowEdge>();
  const data = useDiscovery((s) => s.data, store);
  const positions = useDiscovery((s) => s.positions, store);
  const selection = useDiscovery((s) => s.selection, store);
  const endpoint = useDiscovery((s) => s.endpoint, store);
  const query = useDiscovery((s) => s.query, store);
  const error = useDiscovery((s) => s.error, store);

  const measured = useRef(new Map<string, Size>());
  const [measureTick, setMeasureTick] = useState(0);
  const prevNodes = useRef(new Map<string, HostFlowNode>());
  const prevEdges = useRef(new Map<string, HostFlowEdge>());
  const layoutSeq = useRef(0);
  const fitted = useRef(false);

  const { nodes, edges } = useMemo(() => {
    if (!data) return { nodes: [] as HostFlowNode[], edges: [] as HostFlowEdge[] };
    const view = toHostFlow(data, { positions, selection, endpoint, query });
    const withMeasure = view.nodes.map((n) => {
      const m = measured.current.get(n.id);
      return m ? { ...n, measured: m } : n;
    });
    const n = share(prevNodes.current, withMeasure, (a, b) => a.measured === b.measured && sameHostNode(a, b));
    const e = share(prevEdges.current, view.edges, sameHostEdge);
    prevNodes.current = n.byId;
    prevEdges.current = e.byId;
    void measureTick;
    return { nodes: n.list, edges: e.list };
  }, [data, positions, selection, endpoint, query, measureTick]);

  // Lay out what has no position yet (everything on the first poll, then only newcomers).
  useEffect(() => {
    void positions; // a reset (Re-layout) or a finished layout: look again for unplaced nodes
    if (!data) return;
    const g = graphOf(data);
    const known = store.getState().positions;
    const fresh = unplaced(g.ids, known);
    if (!fresh.length) return;
    const seq = ++layoutSeq.current;
    const freshSet = new Set(fresh);
    const extras = new Set(data.extras.map((x) => x.id));
    const sizeOf = (id: string): Size => measured.current.get(id) ?? (extras.has(id) ? STUB_SIZE : NODE_SIZE);
    const graph = {
      version: 1,
      name: 'host',
      nodes: fresh.map((id) => ({ id })),
      links: g.edges
        .filter(([a, b]) => freshSet.has(a) && freshSet.has(b))
        .map(([a, b], i) => ({ id: `e${i}`, endpoints: [{ node: a }, { node: b }] })),
    } as unknown as Lab;
    const first = Object.keys(known).length === 0;
    void import('../canvas/autoLayout')
      .then(({ autoLayout }) => autoLayout(graph, new Map(fresh.map((id) => [id, sizeOf(id)]))))
      .then((laidOut) => {
        if (seq !== layoutSeq.current) return;
        const now = store.getState().positions;
        const current = g.ids.filter((id) => now[id]);
        store.getState().setPositions(placeNew(now, current, fresh, laidOut, g.anchors, sizeOf));
        if (first || !fitted.current) {
          fitted.current = true;
          requestAnimationFrame(() =>
            requestAnimationFrame(() => void rf.fitView({ padding: 0.2, maxZoom: 1.2, duration: 250 })),
          );
        }
      })
      .catch((e: Error) => store.getState().fail(`layout failed: ${e.message}`));
  }, [data, positions, store, rf]);

  // Clicks on a veth end land in the scratch editor store (the reused edge component): mirror them here.
  useEffect(
    () =>
      scratch.subscribe((s, prev) => {
        const key = s.selection.endpoint;
        if (key && key !== prev.selection.endpoint) store.getState().select([key.split('#')[0]!], key);
      }),
    [scratch, store],
  );

  const onNodesChange = useCallback(
    (changes: NodeChange<HostFlowNode>[]) => {
      const { positions, resized, selection } = readNodeChanges(
        changes,
        measured.current,
        () => store.getState().selection,
      );
      if (positions) store.getState().setPositions(positions);
      if (selection) store.getState().select([...selection]);
      if (resized) setMeasureTick((t) => t + 1);
    },
    [store],
  );
  const onEdgesChange = useCallback(
    (changes: EdgeChange<HostFlowEdge>[]) => {
      let sel: Set<string> | null = null;
      for (const c of changes) {
        if (c.type !== 'select') continue;
        sel ??= new Set(store.getState().selection);
        if (c.selected) sel.add(c.id);
        else sel.delete(c.id);
      }
      if (sel) store.getState().select([...sel]);
    },
    [store],
  );
  const onPaneClick = useCallback(() => {
    const s = store.getState();
    if (s.selection.length || s.endpoint) s.select([]);
    scratch.getState().clearSelection();
  }, [store, scratch]);

  const big = isBig(nodes.length);
  return (
    <div className="hv-canvas nl-canvas" data-testid="hostview.canvas" data-nodes={nodes.length}>
      <ReactFlow<HostFlowNode, HostFlowEdge>
        nodes={nodes}
        edges={edges}
        nodeTypes={hostNodeTypes}
        edgeTypes={hostEdgeTypes}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onPaneClick={onPaneClick}
        nodesConnectable={false}
        connectionMode={ConnectionMode.Loose}
        deleteKeyCode={null}
        selectionKeyCode="Shift"
        multiSelectionKeyCode={['Shift', 'Meta', 'Control']}
        zoomOnDoubleClick={false}
        colorMode={theme}
        onlyRenderVisibleElements={big}
        minZoom={0.05}
        maxZoom={2.5}
        proOptions={{ hideAttribution: true }}
      >
        <Background variant={BackgroundVariant.Dots} gap={22} size={1.4} />
        <Controls position="bottom-left" showInteractive={false} />
      </ReactFlow>
      {!data && (
        <div className="nl-empty-canvas" data-testid="hostview.loading">
          <div>{error ? <span className="nl-callout error">{error}</span> : 'Reading the host…'}</div>
        </div>
      )}
      {data && nodes.length === 0 && data.lab.nodes.length + data.extras.length === 0 && (
        <div className="nl-empty-canvas" data-testid="hostview.empty">
          <div>
            <b className="nl-empty-title">Nothing here yet</b>
            <br />
            No namespaces, bridges or veths on this host besides the loopback.
          </div>
        </div>
      )}
    </div>
  );
}

/**
 * React Flow wiring only: the store's lab/layout/status go through `toFlow` (with structural sharing so
 * memoized nodes skip), and canvas events become store verbs. The only component reading whole arrays.
 */
import {
  Background,
  BackgroundVariant,
  ConnectionLineType,
  ConnectionMode,
  Controls,
  type EdgeChange,
  MiniMap,
  type NodeChange,
  type OnConnect,
  ReactFlow,
  useStore as useFlowStore,
  useReactFlow,
} from '@xyflow/react';
import { type DragEvent, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { NodeKind } from '../../../shared/lab';
import { readOnlyView } from '../classroom/viewMode';
import { GoalBadges } from '../exercise/GoalBadges';
import { useEditor, useEditorStore } from '../store/context';
import {
  selectFailure,
  selectLab,
  selectLayout,
  selectObjects,
  selectProblems,
  selectSelection,
  selectTheme,
} from '../store/selectors';
import { matrixNotes, pathObjects } from '../tools/model';
import { PingBadge } from '../tools/PingBadge';
import { readNodeChanges } from './nodeChanges';
import { nodeTypes } from './nodes';
import {
  ATTACH_EDGE,
  type AttachFlowEdge,
  absolutePositions,
  type FlowEdge,
  type FlowNode,
  sameAttachEdge,
  sameEdgeView,
  sameNodeView,
  sameTunnelEdge,
  type TunnelFlowEdge,
  toFlow,
  tunnelEdges,
} from './toFlow';
import { TUNNEL_EDGE, tunnelEdgeTypes, type TunnelFlowEdge as WgTunnelFlowEdge, wireguardTunnels } from './tunnelEdge';
import { edgeTypes as vethEdgeTypes } from './VethEdge';

/** Veth, attach and VXLAN tunnel edges, and the WireGuard tunnels' dashed links (tunnelEdge.tsx). */
const edgeTypes = { ...vethEdgeTypes, ...tunnelEdgeTypes };

export const DRAG_MIME = 'application/x-netloom-kind';

const STATE_COLOURS: Record<string, string> = {
  absent: 'var(--st-absent)',
  pending: 'var(--st-pending)',
  ready: 'var(--st-ready)',
  drifted: 'var(--st-drifted)',
  failed: 'var(--st-failed)',
  conflict: 'var(--st-conflict)',
};

type Measured = { width: number; height: number };
/** Veth links, and the dashed lines from attached interfaces to their bridges. */
type AnyEdge = FlowEdge | AttachFlowEdge | TunnelFlowEdge | WgTunnelFlowEdge;

/** Below this zoom labels are unreadable: hide them and drop shadows (cheaper to paint 500 nodes). */
const LOW_ZOOM = 0.45;
const selectLowZoom = (s: { transform: [number, number, number] }) => s.transform[2] < LOW_ZOOM;

export default function Canvas() {
  // The teacher viewing a student's canvas (classroom mode): nothing on it can be changed.
  const readOnly = readOnlyView() !== null;
  const store = useEditorStore();
  const lab = useEditor(selectLab);
  const layout = useEditor(selectLayout);
  const objects = useEditor(selectObjects);
  const problems = useEditor(selectProblems);
  const selection = useEditor(selectSelection);
  const theme = useEditor(selectTheme);
  const focus = useEditor((s) => s.focus);
  const busyObject = useEditor((s) => s.progress?.object ?? null);
  const failure = useEditor(selectFailure);
  const pingResult = useEditor((s) => s.ping?.result ?? null);
  const matrixResult = useEditor((s) => s.matrix?.result ?? null);
  const notices = useEditor((s) => s.notices);
  const path = useMemo(() => pathObjects(pingResult), [pingResult]);
  const pathFailed = pingResult !== null && !(pingResult.ping?.ok ?? pingResult.complete);
  const notes = useMemo(() => {
    const m = matrixNotes(matrixResult);
    const p = pingResult?.problem;
    if (p?.object && !pingResult?.ping?.ok) m.set(p.object.split('#')[0]!, p.reason);
    return m;
  }, [matrixResult, pingResult]);
  const rf = useReactFlow<FlowNode, AnyEdge>();

  const measured = useRef(new Map<string, Measured>());
  const [measureTick, setMeasureTick] = useState(0);
  const prevNodes = useRef(new Map<string, FlowNode>());
  const prevEdges = useRef(new Map<string, FlowEdge>());
  const prevAttach = useRef(new Map<string, AttachFlowEdge>());
  const prevTunnels = useRef(new Map<string, TunnelFlowEdge>());

  const { nodes, edges } = useMemo(() => {
    void measureTick;
    const view = toFlow(
      lab,
      layout,
      objects,
      problems.byObject,
      selection,
      { failure, busy: busyObject, path, notes, notices },
      measured.current,
    );
    const nextNodes = new Map<string, FlowNode>();
    const nodes = view.nodes.map((n) => {
      const prev = prevNodes.current.get(n.id);
      const m = measured.current.get(n.id);
      let out: FlowNode;
      if (
        prev &&
        prev.type === n.type &&
        prev.selected === n.selected &&
        prev.position.x === n.position.x &&
        prev.position.y === n.position.y &&
        prev.parentId === n.parentId &&
        prev.style?.width === n.style?.width &&
        prev.style?.height === n.style?.height &&
        prev.measured === m &&
        sameNodeView(prev.data, n.data)
      )
        out = prev;
      else
        out = {
          ...n,
          data: prev && sameNodeView(prev.data, n.data) ? prev.data : n.data,
          ...(m ? { measured: m } : {}),
        };
      nextNodes.set(n.id, out);
      return out;
    });
    const nextEdges = new Map<string, FlowEdge>();
    const edges = view.edges.map((e) => {
      const prev = prevEdges.current.get(e.id);
      const out =
        prev &&
        prev.selected === e.selected &&
        prev.source === e.source &&
        prev.target === e.target &&
        sameEdgeView(prev.data!, e.data!)
          ? prev
          : e;
      nextEdges.set(e.id, out);
      return out;
    });
    const nextAttach = new Map<string, AttachFlowEdge>();
    const attach = view.attachEdges.map((e) => {
      const prev = prevAttach.current.get(e.id);
      const out = prev && sameAttachEdge(prev, e) ? prev : e;
      nextAttach.set(e.id, out);
      return out;
    });
    prevNodes.current = nextNodes;
    prevEdges.current = nextEdges;
    prevAttach.current = nextAttach;
    const wg = wireguardTunnels(lab, objects);
    // VXLAN tunnels: one dashed line between their two ends.
    const nextTunnels = new Map<string, TunnelFlowEdge>();
    const tunnels = tunnelEdges(lab, objects, path).map((e) => {
      const prev = prevTunnels.current.get(e.id);
      const out = prev && sameTunnelEdge(prev, e) ? prev : e;
      nextTunnels.set(e.id, out);
      return out;
    });
    prevTunnels.current = nextTunnels;
    const extra: AnyEdge[] = [...attach, ...tunnels, ...wg];
    return { nodes, edges: extra.length ? [...edges, ...extra] : (edges as AnyEdge[]) };
  }, [lab, layout, objects, problems, selection, failure, busyObject, path, notes, notices, measureTick]);

  const onNodesChange = useCallback(
    (changes: NodeChange<FlowNode>[]) => {
      const { positions, resized, selection } = readNodeChanges(
        changes,
        measured.current,
        () => store.getState().selection.nodes,
      );
      // A bridge inside a namespace moves relative to it (and with it): the layout keeps absolute positions.
      if (positions) {
        const { lab: l, layout: lay } = store.getState();
        store.getState().moveNodes(absolutePositions(l, lay, positions));
      }
      if (selection) {
        const s = store.getState().selection;
        store.getState().select({ nodes: [...selection], links: s.links });
      }
      if (resized) setMeasureTick((t) => t + 1);
    },
    [store],
  );

  const onEdgesChange = useCallback(
    (changes: EdgeChange<AnyEdge>[]) => {
      let sel: Set<string> | null = null;
      for (const c of changes) {
        if (
          c.type === 'select' &&
          !c.id.startsWith(ATTACH_EDGE) &&
          !c.id.startsWith(TUNNEL_EDGE) &&
          !c.id.startsWith('vxlan:')
        ) {
          sel ??= new Set(store.getState().selection.links);
          if (c.selected) sel.add(c.id);
          else sel.delete(c.id);
        }
      }
      if (sel) {
        const s = store.getState().selection;
        store.getState().select({ nodes: s.nodes, links: [...sel] });
      }
    },
    [store],
  );

  const onConnect: OnConnect = useCallback(
    (c) => {
      if (c.source && c.target) store.getState().connect(c.source, c.target);
    },
    [store],
  );

  const onDragOver = useCallback((e: DragEvent) => {
    if (e.dataTransfer.types.includes(DRAG_MIME)) {
      e.preventDefault();
      e.dataTransfer.dropEffect = 'copy';
    }
  }, []);

  const onDrop = useCallback(
    (e: DragEvent) => {
      const kind = e.dataTransfer.getData(DRAG_MIME) as NodeKind;
      if (kind !== 'namespace' && kind !== 'bridge' && kind !== 'host') return;
      e.preventDefault();
      const p = rf.screenToFlowPosition({ x: e.clientX, y: e.clientY });
      // Centre the new node under the cursor (nodes are about 220×90).
      store.getState().addNode(kind, { x: Math.round(p.x - 110), y: Math.round(p.y - 40) });
    },
    [rf, store],
  );

  const beginDrag = useCallback(() => store.getState().beginDrag(), [store]);
  const endDrag = useCallback(() => store.getState().endDrag(), [store]);
  const onPaneClick = useCallback(() => {
    store.getState().clearSelection();
    store.getState().clearPath();
  }, [store]);
  const onNodeDoubleClick = useCallback(
    (_e: React.MouseEvent, n: FlowNode) => {
      // No terminal on the host node: the server refuses a shell in the root namespace.
      if (n.data.kind === 'namespace') store.getState().openTerminalTab(n.id);
    },
    [store],
  );
  const onNodeContextMenu = useCallback(
    (e: React.MouseEvent, n: FlowNode) => {
      e.preventDefault();
      store.getState().openMenu(e.clientX, e.clientY, { kind: 'node', id: n.id });
    },
    [store],
  );
  const onEdgeContextMenu = useCallback(
    (e: React.MouseEvent, edge: AnyEdge) => {
      e.preventDefault();
      if (edge.type !== 'veth') return;
      store.getState().openMenu(e.clientX, e.clientY, { kind: 'link', id: edge.id });
    },
    [store],
  );
  const onPaneContextMenu = useCallback(() => store.getState().closeMenu(), [store]);

  // Problems list / toolbar ask to centre an object.
  useEffect(() => {
    if (!focus) return;
    const { lab: l } = store.getState();
    const linkId = focus.id.split('#')[0]!;
    const link = l.links.find((x) => x.id === linkId);
    const ids = link ? link.endpoints.map((e) => e.node) : [focus.id];
    void rf.fitView({ nodes: ids.map((id) => ({ id })), duration: 400, maxZoom: 1.4, padding: 0.4 });
  }, [focus, rf, store]);

  // A newly opened lab: fit it once React Flow has measured its nodes. An empty lab gets the plain view
  // (zoom 1) instead: a fit queued with no nodes would fire on the first node dropped and move it away from
  // the cursor (React Flow keeps a requested fit until there are nodes to fit).
  const docSeq = useEditor((s) => s.docSeq);
  useEffect(() => {
    if (docSeq === 0) return;
    if (store.getState().lab.nodes.length === 0) {
      void rf.setViewport({ x: 0, y: 0, zoom: 1 });
      return;
    }
    let raf = requestAnimationFrame(() => {
      // The first document appears fitted (no animation); later ones glide there.
      raf = requestAnimationFrame(
        () => void rf.fitView({ padding: 0.25, maxZoom: 1.4, ...(docSeq > 1 ? { duration: 300 } : {}) }),
      );
    });
    return () => cancelAnimationFrame(raf);
  }, [docSeq, rf, store]);

  const big = nodes.length > 200;
  const lowZoom = useFlowStore(selectLowZoom);

  return (
    <div
      className={`nl-canvas${lowZoom ? ' low-zoom' : ''}${pathFailed ? ' path-failed' : ''}`}
      data-testid="canvas"
      onDragOver={onDragOver}
      onDrop={onDrop}
    >
      <ReactFlow<FlowNode, AnyEdge>
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        edgeTypes={edgeTypes}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onConnect={readOnly ? undefined : onConnect}
        nodesDraggable={!readOnly}
        nodesConnectable={!readOnly}
        edgesReconnectable={!readOnly}
        onNodeDragStart={beginDrag}
        onNodeDragStop={endDrag}
        onSelectionDragStart={beginDrag}
        onSelectionDragStop={endDrag}
        onPaneClick={onPaneClick}
        onNodeDoubleClick={readOnly ? undefined : onNodeDoubleClick}
        onNodeContextMenu={readOnly ? undefined : onNodeContextMenu}
        onEdgeContextMenu={readOnly ? undefined : onEdgeContextMenu}
        onPaneContextMenu={readOnly ? undefined : onPaneContextMenu}
        zoomOnDoubleClick={false}
        connectionMode={ConnectionMode.Loose}
        connectionLineType={ConnectionLineType.Straight}
        connectionRadius={48}
        deleteKeyCode={null}
        selectionKeyCode="Shift"
        multiSelectionKeyCode={['Shift', 'Meta', 'Control']}
        colorMode={theme}
        onlyRenderVisibleElements={big}
        // A selected node stays in its layer: lifted (z 1000) a namespace would cover the labels of the
        // links of the bridges drawn inside it.
        elevateNodesOnSelect={false}
        minZoom={0.05}
        maxZoom={2.5}
        proOptions={{ hideAttribution: true }}
      >
        <PingBadge />
        <GoalBadges />
        <Background variant={BackgroundVariant.Dots} gap={22} size={1.4} />
        <Controls position="bottom-left" showInteractive={false} />
        {/* The minimap re-renders every node on every drag frame: above a few hundred nodes it costs more than it helps. */}
        {!big && (
          <MiniMap
            position="bottom-right"
            pannable
            zoomable
            nodeColor={(n) => STATE_COLOURS[(n.data as FlowNode['data']).state] ?? 'var(--st-absent)'}
            nodeStrokeWidth={2}
            maskColor="var(--minimap-mask)"
          />
        )}
      </ReactFlow>
      {nodes.length === 0 && (
        <div className="nl-empty-canvas" data-testid="canvas.empty">
          <div>
            <b className="nl-empty-title">An empty lab</b>
            <br />
            Drag a <b>namespace</b> or a <b>bridge</b> from the left onto the canvas,
            <br />
            then drag from one node's dot to another to link them.
          </div>
        </div>
      )}
    </div>
  );
}

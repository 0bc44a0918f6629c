/**
 * Lab + layout slice: the undoable document and its domain verbs (addNode, connect, update…, remove,
 * duplicate, paste). Each verb is ONE `set`, so one undo entry per user action. No I/O here.
 */
import type { StateCreator } from 'zustand';
import type {
  AttachedInterface,
  Endpoint,
  Impairment,
  Lab,
  LabNode,
  MacvlanInterface,
  NodeKind,
  Route,
  VethLink,
  VlanInterface,
  VxlanInterface,
  WireguardInterface,
} from '../../../shared/lab';
import type { Layout, Position } from '../../../shared/layout';
import {
  type AttachedKind,
  nextId,
  proposeAttached,
  proposeIfname,
  proposeLink,
  proposeNode,
  usedIds,
} from '../addressing';
import type { EditorState } from './editorStore';

/**
 * Changes to one attached interface: any field of any kind except `kind` (a kind change is remove + add).
 * A field set to undefined is removed.
 */
export type AttachedPatch = Partial<
  Omit<VxlanInterface, 'kind'> &
    Omit<VlanInterface, 'kind'> &
    Omit<MacvlanInterface, 'kind'> &
    Omit<WireguardInterface, 'kind'>
>;

export interface Clip {
  nodes: LabNode[];
  links: VethLink[];
  positions: Record<string, Position>;
}

export interface LabSlice {
  lab: Lab;
  layout: Layout;
  /** Revision of the stored document this edit is based on (null = never saved). */
  revision: number | null;
  /** Bumped by every loadDocument (the canvas fits the view to a newly opened lab). */
  docSeq: number;
  /** The lab+layout as last loaded/saved, to compute `dirty`. */
  saved: { lab: Lab; layout: Layout } | null;
  /** Replace the whole document (open, new, import). Clears history at the call site. */
  loadDocument(lab: Lab, layout: Layout, revision: number | null): void;
  markSaved(revision: number): void;
  /** Positions computed for a lab opened without a layout: not an edit (no history, not dirty). */
  adoptPositions(positions: Record<string, Position>): void;
  setLabMeta(patch: Partial<Pick<Lab, 'title' | 'description'>>): void;
  addNode(kind: NodeKind, pos: Position): string;
  connect(a: string, b: string): string | null;
  updateNode(id: string, patch: Partial<LabNode>): void;
  updateLink(id: string, patch: Partial<Pick<VethLink, 'description'>>): void;
  updateEndpoint(linkId: string, end: 0 | 1, patch: Partial<Endpoint>): void;
  /**
   * Merges `patch` into the egress impairment of one end (a field set to undefined is cleared; null clears
   * them all). An impairment left with no field is removed. One history entry.
   */
  setImpairment(linkId: string, end: 0 | 1, patch: Partial<Impairment> | null): void;
  /** Sets both ends of a link down (when both are up) or up (otherwise); returns the new state. One entry. */
  toggleLinkUp(linkId: string): boolean | null;
  addRoute(nodeId: string, route: Route): void;
  updateRoute(nodeId: string, index: number, route: Route): void;
  removeRoute(nodeId: string, index: number): void;
  /**
   * Adds an interface of `kind` to namespace `nodeId` with proposed name/VNI/underlay (see
   * `proposeAttached`); returns its index, or null when the node is not a namespace. One history entry.
   */
  addInterface(nodeId: string, kind: AttachedKind): number | null;
  /** Merges `patch` into interface `index` of namespace `nodeId` (undefined clears a field). One entry. */
  updateInterface(nodeId: string, index: number, patch: AttachedPatch): void;
  /** Removes interface `index`; the `interfaces` list goes away with its last item. One entry. */
  removeInterface(nodeId: string, index: number): void;
  removeSelection(): void;
  removeObjects(ids: string[]): void;
  /** Positions during a drag: call beginDrag first so the whole drag is one history entry. */
  moveNodes(positions: Record<string, Position>): void;
  beginDrag(): void;
  endDrag(): void;
  setPositions(positions: Record<string, Position>): void;
  copySelection(): Clip | null;
  paste(clip?: Clip | null, offset?: Position): string[];
  duplicate(): string[];
}

/** The interface without its `bridge` (the bridge is gone or out of reach). */
function unbridged(x: AttachedInterface): AttachedInterface {
  const { bridge: _b, ...rest } = x;
  return rest as AttachedInterface;
}

/** Nodes and links with their positions, plus links whose both ends are inside the selection. */
function clipOf(lab: Lab, layout: Layout, nodeIds: Set<string>, linkIds: Set<string>): Clip {
  const nodes = lab.nodes.filter((n) => nodeIds.has(n.id));
  const links = lab.links.filter((l) => (linkIds.has(l.id) || true) && l.endpoints.every((e) => nodeIds.has(e.node)));
  const positions: Record<string, Position> = {};
  for (const n of nodes) positions[n.id] = layout.positions[n.id] ?? { x: 0, y: 0 };
  return structuredClone({ nodes, links, positions });
}

export const createLabSlice: StateCreator<EditorState, [], [], LabSlice> = (set, get, api) => {
  let dragSnapshot: { lab: Lab; layout: Layout } | null = null;
  const temporal = () => (api as unknown as { temporal: import('./editorStore').TemporalApi }).temporal;
  const editRoutes = (nodeId: string, f: (routes: Route[]) => Route[]) =>
    set((s) => ({
      lab: {
        ...s.lab,
        nodes: s.lab.nodes.map((n) => (n.id === nodeId && n.kind === 'namespace' ? { ...n, routes: f(n.routes) } : n)),
      },
    }));

  /** One `set` (one history entry) replacing the interfaces of one namespace; no-op when nothing changes. */
  const editInterfaces = (nodeId: string, f: (list: AttachedInterface[]) => AttachedInterface[] | null) => {
    const node = get().lab.nodes.find((n) => n.id === nodeId);
    if (node?.kind !== 'namespace') return;
    const next = f(node.interfaces ?? []);
    if (next === null) return;
    const { interfaces: _old, ...rest } = node;
    const updated: LabNode = next.length ? { ...rest, interfaces: next } : rest;
    set((s) => ({ lab: { ...s.lab, nodes: s.lab.nodes.map((n) => (n.id === nodeId ? updated : n)) } }));
  };

  return {
    lab: { version: 1, name: 'untitled', nodes: [], links: [] },
    layout: { version: 1, positions: {}, notes: [] },
    revision: null,
    saved: null,
    docSeq: 0,

    loadDocument(lab, layout, revision) {
      set((s) => ({
        lab,
        layout,
        revision,
        saved: { lab, layout },
        docSeq: s.docSeq + 1,
        selection: { nodes: [], links: [], endpoint: null },
        edited: null,
      }));
    },
    adoptPositions(positions) {
      const t = temporal();
      t.getState().pause();
      set((s) => {
        const layout = { ...s.layout, positions: { ...positions, ...s.layout.positions } };
        return { layout, saved: s.saved ? { ...s.saved, layout } : s.saved, docSeq: s.docSeq + 1 };
      });
      t.getState().resume();
    },
    markSaved(revision) {
      set((s) => ({ revision, saved: { lab: s.lab, layout: s.layout } }));
    },
    setLabMeta(patch) {
      set((s) => ({ lab: { ...s.lab, ...patch } }));
    },

    addNode(kind, pos) {
      const { lab, layout } = get();
      if (kind === 'host' && lab.nodes.some((n) => n.kind === 'host')) {
        const host = lab.nodes.find((n) => n.kind === 'host')!;
        set({ selection: { nodes: [host.id], links: [], endpoint: null } });
        return host.id;
      }
      const node = proposeNode(lab, kind, usedIds(lab), get().reserved);
      set({
        lab: { ...lab, nodes: [...lab.nodes, node] },
        layout: { ...layout, positions: { ...layout.positions, [node.id]: pos } },
        selection: { nodes: [node.id], links: [], endpoint: null },
      });
      return node.id;
    },

    connect(a, b) {
      const { lab } = get();
      if (a === b || !lab.nodes.some((n) => n.id === a) || !lab.nodes.some((n) => n.id === b)) return null;
      const link = proposeLink(lab, a, b, usedIds(lab), get().reserved);
      set({
        lab: { ...lab, links: [...lab.links, link] },
        selection: { nodes: [], links: [link.id], endpoint: null },
      });
      return link.id;
    },

    updateNode(id, patch) {
      set((s) => {
        const lab = {
          ...s.lab,
          nodes: s.lab.nodes.map((n) => (n.id === id ? ({ ...n, ...patch, id: n.id, kind: n.kind } as LabNode) : n)),
        };
        const before = s.lab.nodes.find((n) => n.id === id);
        if (before?.kind !== 'bridge' || !('namespace' in patch) || patch.namespace === before.namespace)
          return { edited: id, lab };
        // A bridge moving into a namespace is drawn inside it, out of one beside it: place it there.
        const ns = patch.namespace ?? before.namespace;
        const at = ns ? s.layout.positions[ns] : undefined;
        if (!at) return { edited: id, lab };
        const pos = patch.namespace ? { x: at.x + 20, y: at.y + 120 } : { x: at.x + 340, y: at.y };
        return { edited: id, lab, layout: { ...s.layout, positions: { ...s.layout.positions, [id]: pos } } };
      });
    },
    updateLink(id, patch) {
      set((s) => ({ lab: { ...s.lab, links: s.lab.links.map((l) => (l.id === id ? { ...l, ...patch } : l)) } }));
    },
    updateEndpoint(linkId, end, patch) {
      set((s) => ({
        edited: `${linkId}#${end}`,
        lab: {
          ...s.lab,
          links: s.lab.links.map((l) => {
            if (l.id !== linkId) return l;
            const endpoints = [...l.endpoints] as [Endpoint, Endpoint];
            endpoints[end] = { ...endpoints[end], ...patch, node: endpoints[end].node };
            return { ...l, endpoints };
          }),
        },
      }));
    },

    setImpairment(linkId, end, patch) {
      const link = get().lab.links.find((l) => l.id === linkId);
      if (!link) return;
      const merged: Record<string, number | undefined> = patch ? { ...link.endpoints[end].impairment, ...patch } : {};
      const clean = Object.fromEntries(Object.entries(merged).filter(([, v]) => v !== undefined)) as Impairment;
      const { impairment: _old, ...rest } = link.endpoints[end];
      const next: Endpoint = Object.keys(clean).length ? { ...rest, impairment: clean } : rest;
      const endpoints = [...link.endpoints] as [Endpoint, Endpoint];
      endpoints[end] = next;
      set((s) => ({ lab: { ...s.lab, links: s.lab.links.map((l) => (l.id === linkId ? { ...l, endpoints } : l)) } }));
    },
    toggleLinkUp(linkId) {
      const link = get().lab.links.find((l) => l.id === linkId);
      if (!link) return null;
      const up = !link.endpoints.every((e) => e.up);
      const endpoints = link.endpoints.map((e) => ({ ...e, up })) as [Endpoint, Endpoint];
      set((s) => ({ lab: { ...s.lab, links: s.lab.links.map((l) => (l.id === linkId ? { ...l, endpoints } : l)) } }));
      return up;
    },
    addRoute(nodeId, route) {
      editRoutes(nodeId, (routes) => [...routes, route]);
    },
    updateRoute(nodeId, index, route) {
      editRoutes(nodeId, (routes) => routes.map((r, i) => (i === index ? route : r)));
    },
    removeRoute(nodeId, index) {
      editRoutes(nodeId, (routes) => routes.filter((_, i) => i !== index));
    },

    addInterface(nodeId, kind) {
      let at: number | null = null;
      editInterfaces(nodeId, (list) => {
        at = list.length;
        return [...list, proposeAttached(get().lab, nodeId, kind)];
      });
      return at;
    },
    updateInterface(nodeId, index, patch) {
      editInterfaces(nodeId, (list) => {
        const cur = list[index];
        if (!cur) return null;
        const merged: Record<string, unknown> = { ...cur, ...patch, kind: cur.kind };
        for (const k of Object.keys(merged)) if (merged[k] === undefined) delete merged[k];
        return list.map((x, i) => (i === index ? (merged as AttachedInterface) : x));
      });
    },
    removeInterface(nodeId, index) {
      editInterfaces(nodeId, (list) => (index < list.length ? list.filter((_, i) => i !== index) : null));
    },

    removeSelection() {
      const { selection } = get();
      const ids = [...selection.nodes, ...selection.links];
      if (selection.endpoint) ids.push(selection.endpoint.split('#')[0]!);
      if (ids.length) get().removeObjects(ids);
    },
    removeObjects(ids) {
      const gone = new Set(ids);
      set((s) => {
        const positions = { ...s.layout.positions };
        for (const id of gone) delete positions[id];
        return {
          lab: {
            ...s.lab,
            // A bridge inside a removed namespace would dangle: drop the reference (it falls back to root).
            // Likewise an attached interface enslaved to a removed bridge stays, unenslaved.
            nodes: s.lab.nodes
              .filter((n) => !gone.has(n.id))
              .map((n) =>
                n.kind === 'bridge' && n.namespace && gone.has(n.namespace)
                  ? { ...n, namespace: undefined }
                  : n.kind === 'namespace' && n.interfaces?.some((x) => x.bridge && gone.has(x.bridge))
                    ? { ...n, interfaces: n.interfaces.map((x) => (x.bridge && gone.has(x.bridge) ? unbridged(x) : x)) }
                    : n,
              ),
            links: s.lab.links.filter((l) => !gone.has(l.id) && !l.endpoints.some((e) => gone.has(e.node))),
          },
          layout: { ...s.layout, positions },
          selection: { nodes: [], links: [], endpoint: null },
        };
      });
    },

    beginDrag() {
      const { lab, layout } = get();
      dragSnapshot = { lab, layout };
      temporal().getState().pause();
    },
    moveNodes(positions) {
      set((s) => ({ layout: { ...s.layout, positions: { ...s.layout.positions, ...positions } } }));
    },
    endDrag() {
      const t = temporal();
      t.getState().resume();
      const before = dragSnapshot;
      dragSnapshot = null;
      if (!before || before.layout === get().layout) return;
      // One history entry for the whole drag: the state as it was when the drag started.
      t.setState((ts) => ({ pastStates: [...ts.pastStates, before], futureStates: [] }));
    },
    setPositions(positions) {
      set((s) => ({ layout: { ...s.layout, positions } }));
    },

    copySelection() {
      const { lab, layout, selection } = get();
      if (!selection.nodes.length) return null;
      const clip = clipOf(lab, layout, new Set(selection.nodes), new Set(selection.links));
      set({ clipboard: clip });
      return clip;
    },

    paste(clip = get().clipboard, offset = { x: 40, y: 40 }) {
      if (!clip?.nodes.length) return [];
      const { lab, layout } = get();
      const used = usedIds(lab);
      const idMap = new Map<string, string>();
      let work: Lab = lab;
      const newNodes: LabNode[] = [];
      const positions = { ...layout.positions };
      for (const n of clip.nodes) {
        if (n.kind === 'host' && work.nodes.some((x) => x.kind === 'host')) continue;
        const fresh = proposeNode(work, n.kind, used, get().reserved);
        used.add(fresh.id);
        idMap.set(n.id, fresh.id);
        const copy = {
          ...structuredClone(n),
          id: fresh.id,
          ...(fresh.kind !== 'host' ? { name: fresh.name } : {}),
        } as LabNode;
        newNodes.push(copy);
        work = { ...work, nodes: [...work.nodes, copy] };
        const p = clip.positions[n.id] ?? { x: 0, y: 0 };
        positions[fresh.id] = { x: p.x + offset.x, y: p.y + offset.y };
      }
      // Bridges inside a copied namespace follow it; otherwise they keep pointing at the original.
      for (const n of newNodes)
        if (n.kind === 'bridge' && n.namespace && idMap.has(n.namespace)) n.namespace = idMap.get(n.namespace);
      // Attached interfaces follow a bridge copied with them; the original bridge is in another namespace.
      for (const n of newNodes)
        if (n.kind === 'namespace' && n.interfaces)
          n.interfaces = n.interfaces.map((x) =>
            x.bridge === undefined ? x : idMap.has(x.bridge) ? { ...x, bridge: idMap.get(x.bridge)! } : unbridged(x),
          );
      const newLinks: VethLink[] = [];
      for (const l of clip.links) {
        const a = idMap.get(l.endpoints[0].node);
        const b = idMap.get(l.endpoints[1].node);
        if (!a || !b) continue;
        // Fresh names and addresses (a copy must not collide with the original), same MTU/up/description.
        const proposed = proposeLink(work, a, b, used, get().reserved);
        used.add(proposed.id);
        const link: VethLink = {
          ...proposed,
          ...(l.description ? { description: l.description } : {}),
          endpoints: proposed.endpoints.map((e, i) => ({
            ...e,
            up: l.endpoints[i]!.up,
            ...(l.endpoints[i]!.mtu ? { mtu: l.endpoints[i]!.mtu } : {}),
          })) as [Endpoint, Endpoint],
        };
        newLinks.push(link);
        work = { ...work, links: [...work.links, link] };
      }
      set({
        lab: work,
        layout: { ...layout, positions },
        selection: { nodes: newNodes.map((n) => n.id), links: newLinks.map((l) => l.id), endpoint: null },
      });
      return newNodes.map((n) => n.id);
    },

    duplicate() {
      const { lab, layout, selection } = get();
      if (!selection.nodes.length) return [];
      return get().paste(clipOf(lab, layout, new Set(selection.nodes), new Set(selection.links)), { x: 60, y: 60 });
    },
  };
};

export { nextId, proposeIfname };

/**
 * Pure adapters of the host view: discovery → React Flow nodes/edges (reusing `toFlow` for the lab part, extras as
 * stubs), a content key to skip unchanged polls, placement of new nodes next to stable old ones, search, the
 * adoption preview and the diff's take-live patch. No React, no I/O.
 */
import type { Edge, Node } from '@xyflow/react';
import type { DiscoveryResponse, Extra, FieldDiff, NetnsRef, ObjectDiff, ObjectInfo } from '../../../shared/discovery';
import type { Lab } from '../../../shared/lab';
import type { Position } from '../../../shared/layout';
import type { ObjectStatus } from '../../../shared/status';
import { type FlowEdge, type FlowNode, type NodeView, sameEdgeView, sameNodeView, toFlow } from '../canvas/toFlow';

// ---------------------------------------------------------------------------------------------------------------
// Content key: the poll result minus what changes on every read (`at`, `durationMs`, counters).

/** FNV-1a over the parts the view draws; equal keys = nothing to re-render. */
export function contentKey(d: DiscoveryResponse): string {
  const ops = d.namespaces.map((n) => [
    n.ref,
    n.pid ?? null,
    n.comm ?? null,
    (n.links ?? []).map((l) => [l.ifname, l.operstate ?? null, l.adminUp ?? null]),
  ]);
  const text = JSON.stringify([d.lab, d.extras, d.objects, d.warnings, ops]);
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return `${(h >>> 0).toString(16)}:${text.length}`;
}

// ---------------------------------------------------------------------------------------------------------------
// View model.

export interface HostNodeData extends NodeView {
  ownership: 'owned' | 'foreign';
  /** Owning lab (owned objects). */
  owner?: string;
  /** Search: does not match the filter. */
  dim?: boolean;
  /** Extras only: the kernel link kind (`macvlan`, `netns`, …). */
  extraKind?: string;
}
export type HostFlowNode = Node<HostNodeData, 'namespace' | 'bridge' | 'host' | 'extra'>;
export type HostFlowEdge = FlowEdge | Edge<{ kind: 'stub' | 'peer' }, 'straight'>;

export interface HostFlowInput {
  positions: Readonly<Record<string, Position>>;
  selection?: readonly string[];
  /** Selected veth end (`link#0|1`), highlighted on its edge. */
  endpoint?: string | null;
  query?: string;
}

const linkOf = (id: string) => id.split('#')[0]!;

function ownerOf(info: ObjectInfo | undefined): Pick<HostNodeData, 'ownership' | 'owner'> {
  return info?.ownership === 'owned' && info.marker
    ? { ownership: 'owned', owner: info.marker.lab }
    : { ownership: 'foreign' };
}

/** Live status built from ownership: owned objects in the "ready" colours, foreign ones neutral. */
export function statusOf(d: DiscoveryResponse): Record<string, ObjectStatus> {
  const oper = new Map<string, string>();
  for (const ns of d.namespaces)
    for (const l of ns.links ?? []) if (l.operstate) oper.set(`${ns.ref ?? ''}/${l.ifname}`, l.operstate);
  const out: Record<string, ObjectStatus> = {};
  for (const o of Object.values(d.objects)) {
    const operstate = o.ifname ? oper.get(`${o.netns ?? ''}/${o.ifname}`) : undefined;
    out[o.id] = {
      id: o.id,
      state: o.ownership === 'owned' ? 'ready' : 'absent',
      conditions: [],
      ...(operstate ? { operstate } : {}),
    } as ObjectStatus;
  }
  return out;
}

export function extraLabel(x: Extra): { label: string; detail: string } {
  if (x.kind === 'netns')
    return { label: `pid ${x.pid ?? '?'} (${x.comm ?? '?'})`, detail: 'namespace without a name' };
  const addrs = x.addresses.join(' ');
  if (x.parent)
    return { label: `${x.kind} on ${x.parent.ifname}`, detail: [x.ifname, addrs].filter(Boolean).join(' ') };
  const label = x.ifname ?? x.kind;
  const peer = x.peer ? `peer ${x.peer.ifname}` : x.kind === 'veth' ? 'peer not found' : '';
  return { label, detail: [x.master ? `in ${x.master}` : '', addrs || peer].filter(Boolean).join(' · ') };
}

const ifIndex = new WeakMap<object, Map<string, ObjectInfo>>();
/** Bridges and veth ends by `netns/ifname` (memoized per discovery). */
function byIfname(d: Pick<DiscoveryResponse, 'objects'>): Map<string, ObjectInfo> {
  let m = ifIndex.get(d.objects);
  if (!m) {
    m = new Map();
    for (const o of Object.values(d.objects))
      if ((o.kind === 'bridge' || o.kind === 'endpoint') && o.ifname) m.set(`${o.netns ?? ''}/${o.ifname}`, o);
    ifIndex.set(d.objects, m);
  }
  return m;
}

/**
 * Node an extra hangs off: its lab node, else the lab node of its parent device (a macvlan on a bridge), else the
 * stub of the process-held namespace it lives in.
 */
export function anchorOf(x: Extra, d: Pick<DiscoveryResponse, 'extras' | 'objects' | 'lab'>): string | undefined {
  if (x.node) return x.node;
  const parent = x.parent;
  if (parent) {
    const o = byIfname(d).get(`${parent.netns ?? ''}/${parent.ifname}`);
    if (o?.kind === 'bridge') return o.id;
    if (o?.kind === 'endpoint') {
      const [link, end] = o.id.split('#');
      const node = d.lab.links.find((l) => l.id === link)?.endpoints[Number(end)]?.node;
      if (node) return node;
    }
  }
  if (x.kind !== 'netns' && x.netns?.startsWith('pid:'))
    return d.extras.find((e) => e.kind === 'netns' && e.netns === x.netns)?.id;
  return undefined;
}

function peerEdges(extras: readonly Extra[]): HostFlowEdge[] {
  const at = new Map<string, string>();
  for (const x of extras) if (x.ifname) at.set(`${x.netns ?? ''}/${x.ifname}`, x.id);
  const out: HostFlowEdge[] = [];
  const seen = new Set<string>();
  for (const x of extras) {
    if (!x.peer) continue;
    const other = at.get(`${x.peer.netns ?? ''}/${x.peer.ifname}`);
    if (!other || seen.has(`${other}|${x.id}`)) continue;
    seen.add(`${x.id}|${other}`);
    out.push({
      id: `peer:${x.id}:${other}`,
      type: 'straight',
      source: x.id,
      target: other,
      data: { kind: 'peer' },
      className: 'hv-peer-edge',
      selectable: false,
    });
  }
  return out;
}

/** Every id the view draws as a node (lab nodes + extras), with the anchor of each extra. */
export function graphOf(d: DiscoveryResponse): {
  ids: string[];
  edges: [string, string][];
  anchors: Map<string, string>;
} {
  const anchors = new Map<string, string>();
  const edges: [string, string][] = d.lab.links.map((l) => [l.endpoints[0].node, l.endpoints[1].node]);
  for (const x of d.extras) {
    const a = anchorOf(x, d);
    if (a) {
      anchors.set(x.id, a);
      edges.push([a, x.id]);
    }
  }
  return { ids: [...d.lab.nodes.map((n) => n.id), ...d.extras.map((x) => x.id)], edges, anchors };
}

/** Searchable text of a node (lowercase): names, kernel names, addresses, owner. */
function haystack(d: DiscoveryResponse, id: string, data: HostNodeData): string {
  const parts = [id, data.label, data.detail ?? '', data.owner ?? '', data.ownership];
  for (const i of data.ifaces) parts.push(i.ifname, ...i.addresses);
  const o = d.objects[id];
  if (o?.netns) parts.push(o.netns);
  return parts.join(' ').toLowerCase();
}

export function toHostFlow(
  d: DiscoveryResponse,
  input: HostFlowInput,
): { nodes: HostFlowNode[]; edges: HostFlowEdge[] } {
  const sel = new Set(input.selection ?? []);
  const layout = { version: 1 as const, positions: { ...input.positions }, notes: [] };
  const base = toFlow(d.lab, layout, statusOf(d), new Map(), {
    nodes: d.lab.nodes.filter((n) => sel.has(n.id)).map((n) => n.id),
    links: d.lab.links.filter((l) => sel.has(l.id)).map((l) => l.id),
    endpoint: input.endpoint ?? null,
  });
  const q = (input.query ?? '').trim().toLowerCase();
  const nodes: HostFlowNode[] = [];
  const dimmed = new Set<string>();
  const finish = (n: HostFlowNode) => {
    if (q && !haystack(d, n.id, n.data).includes(q)) {
      n.data.dim = true;
      n.className = 'hv-dim';
      dimmed.add(n.id);
    }
    nodes.push(n);
  };
  for (const n of base.nodes as FlowNode[]) {
    if (!input.positions[n.id]) continue;
    const own = ownerOf(d.objects[n.id]);
    const kindText = n.data.kind === 'host' ? 'root namespace' : (n.data.detail ?? n.data.kind);
    finish({
      ...n,
      data: {
        ...n.data,
        ...own,
        detail: own.owner ? `${kindText} · ${own.owner}` : kindText,
      },
    } as HostFlowNode);
  }
  for (const x of d.extras) {
    const pos = input.positions[x.id];
    if (!pos) continue;
    const { label, detail } = extraLabel(x);
    finish({
      id: x.id,
      type: 'extra',
      position: pos,
      selected: sel.has(x.id),
      data: {
        kind: 'host',
        label,
        detail,
        state: x.ownership === 'owned' ? 'ready' : 'absent',
        ifaces: [],
        router: false,
        extraKind: x.kind,
        ownership: x.ownership,
        ...(x.ownership === 'owned' && x.marker ? { owner: x.marker.lab } : {}),
      },
    });
  }
  const present = new Set(nodes.map((n) => n.id));
  const edges: HostFlowEdge[] = [];
  for (const e of base.edges) {
    if (!present.has(e.source) || !present.has(e.target)) continue;
    edges.push(dimmed.has(e.source) && dimmed.has(e.target) ? { ...e, className: 'hv-dim' } : e);
  }
  for (const x of d.extras) {
    const a = anchorOf(x, d);
    if (!a || !present.has(a) || !present.has(x.id)) continue;
    edges.push({
      id: `stub:${x.id}`,
      type: 'straight',
      source: a,
      target: x.id,
      data: { kind: 'stub' },
      className: `hv-stub-edge${dimmed.has(x.id) ? ' hv-dim' : ''}`,
      selectable: false,
    });
  }
  for (const e of peerEdges(d.extras)) if (present.has(e.source) && present.has(e.target)) edges.push(e);
  return { nodes, edges };
}

/** Ids of nodes matching the search (in drawing order): the first is the one to centre. */
export function searchMatches(nodes: readonly HostFlowNode[], query: string): string[] {
  if (!query.trim()) return [];
  return nodes.filter((n) => !n.data.dim).map((n) => n.id);
}

// ---------------------------------------------------------------------------------------------------------------
// Structural sharing: unchanged view objects keep their identity (memoized nodes skip).

export function sameHostNode(a: HostFlowNode, b: HostFlowNode): boolean {
  return (
    a.type === b.type &&
    a.selected === b.selected &&
    a.className === b.className &&
    a.position.x === b.position.x &&
    a.position.y === b.position.y &&
    a.data.ownership === b.data.ownership &&
    a.data.owner === b.data.owner &&
    a.data.dim === b.data.dim &&
    a.data.extraKind === b.data.extraKind &&
    sameNodeView(a.data, b.data)
  );
}

export function sameHostEdge(a: HostFlowEdge, b: HostFlowEdge): boolean {
  if (a.type !== b.type || a.source !== b.source || a.target !== b.target) return false;
  if (a.selected !== b.selected || a.className !== b.className) return false;
  if (a.type === 'veth' && b.type === 'veth') return sameEdgeView(a.data!, b.data!);
  return true;
}

/** Returns `next` with every element equal to its previous version replaced by that previous object. */
export function share<T extends { id: string }>(
  prev: ReadonlyMap<string, T>,
  next: readonly T[],
  same: (a: T, b: T) => boolean,
): { list: T[]; byId: Map<string, T>; changed: boolean } {
  const byId = new Map<string, T>();
  let changed = prev.size !== next.length;
  const list = next.map((n) => {
    const p = prev.get(n.id);
    const out = p && same(p, n) ? p : n;
    if (out !== p) changed = true;
    byId.set(n.id, out);
    return out;
  });
  return { list, byId, changed };
}

// ---------------------------------------------------------------------------------------------------------------
// Stable positions: known nodes never move; new ones are laid out on their own and put beside the known ones.

export type Size = { width: number; height: number };
export const NODE_SIZE: Size = { width: 240, height: 110 };
export const STUB_SIZE: Size = { width: 190, height: 48 };

/** Ids that need a position (drawn but never placed). */
export function unplaced(ids: readonly string[], positions: Readonly<Record<string, Position>>): string[] {
  return ids.filter((id) => !positions[id]);
}

/**
 * Positions for `fresh` nodes. `laidOut` = positions of the fresh subgraph from ELK (any origin). With nothing
 * known yet they are used as they are; otherwise a stub whose anchor is known stacks to the right of its anchor,
 * and the rest keep ELK's arrangement shifted below everything already drawn (`current` = ids on screen now).
 */
export function placeNew(
  known: Readonly<Record<string, Position>>,
  current: readonly string[],
  fresh: readonly string[],
  laidOut: Readonly<Record<string, Position>>,
  anchors: ReadonlyMap<string, string>,
  sizeOf: (id: string) => Size = () => NODE_SIZE,
): Record<string, Position> {
  const out: Record<string, Position> = {};
  const onScreen = current.filter((id) => known[id]);
  if (!onScreen.length) {
    for (const id of fresh) out[id] = laidOut[id] ?? { x: 0, y: 0 };
    return out;
  }
  const stacked = new Map<string, number>();
  const rest: string[] = [];
  for (const id of fresh) {
    const a = anchors.get(id);
    const ap = a ? known[a] : undefined;
    if (a && ap) {
      const k = stacked.get(a) ?? 0;
      stacked.set(a, k + 1);
      out[id] = { x: ap.x + sizeOf(a).width + 60, y: ap.y + k * (STUB_SIZE.height + 14) };
    } else rest.push(id);
  }
  if (rest.length) {
    let minX = Number.POSITIVE_INFINITY;
    let maxY = Number.NEGATIVE_INFINITY;
    for (const id of onScreen) {
      const p = known[id]!;
      minX = Math.min(minX, p.x);
      maxY = Math.max(maxY, p.y + sizeOf(id).height);
    }
    for (const id of Object.keys(out)) maxY = Math.max(maxY, out[id]!.y + STUB_SIZE.height);
    let lx = Number.POSITIVE_INFINITY;
    let ly = Number.POSITIVE_INFINITY;
    for (const id of rest) {
      const p = laidOut[id] ?? { x: 0, y: 0 };
      lx = Math.min(lx, p.x);
      ly = Math.min(ly, p.y);
    }
    for (const id of rest) {
      const p = laidOut[id] ?? { x: lx, y: ly };
      out[id] = { x: Math.round(minX + p.x - lx), y: Math.round(maxY + 120 + p.y - ly) };
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Adoption preview (mirrors the server's closure and refusals; the server has the last word).

export interface AdoptRow {
  id: string;
  what: string;
}
export interface AdoptPreview {
  /** Ids sent to POST /api/discovery/adopt. */
  select: string[];
  /** Objects that will be marked (selected + pulled in). */
  mark: AdoptRow[];
  /** Pulled in because a selected object needs them. */
  added: string[];
  /** Selected but not expressible in a lab: left out of the request. */
  skipped: AdoptRow[];
  /** Will be refused by the server (owned by another lab). */
  refused: AdoptRow[];
  warnings: string[];
}

export function describeObject(d: DiscoveryResponse, id: string): string {
  const node = d.lab.nodes.find((n) => n.id === id);
  if (node) return node.kind === 'host' ? 'root namespace' : `${node.kind} '${node.name}'`;
  const link = d.lab.links.find((l) => l.id === id);
  if (link) return `veth '${link.endpoints[0].ifname}' ↔ '${link.endpoints[1].ifname}'`;
  const x = d.extras.find((e) => e.id === id);
  if (x) return `${extraLabel(x).label}${x.ifname ? ` (${x.ifname})` : ''}`;
  return id;
}

export function previewAdoption(d: DiscoveryResponse, selection: readonly string[]): AdoptPreview {
  const nodes = new Map(d.lab.nodes.map((n) => [n.id, n] as const));
  const links = new Map(d.lab.links.map((l) => [l.id, l] as const));
  const want: string[] = [];
  const has = new Set<string>();
  const added: string[] = [];
  const skipped: AdoptRow[] = [];
  const take = (id: string, pulled: boolean) => {
    if (has.has(id)) return;
    has.add(id);
    want.push(id);
    if (pulled) added.push(id);
  };
  for (const raw of selection) {
    const id = nodes.has(raw) ? raw : linkOf(raw);
    if (nodes.has(id) || links.has(id)) take(id, false);
    else skipped.push({ id: raw, what: describeObject(d, raw) });
  }
  for (const id of [...want]) for (const e of links.get(id)?.endpoints ?? []) take(e.node, true);
  for (const id of [...want]) {
    const n = nodes.get(id);
    if (n?.kind === 'bridge' && n.namespace) take(n.namespace, true);
  }
  const refused: AdoptRow[] = [];
  const checkOwner = (objId: string, what: string) => {
    const o = d.objects[objId];
    if (o?.ownership === 'owned' && o.marker)
      refused.push({ id: objId, what: `${what} already belongs to lab '${o.marker.lab}'` });
    else if (o?.alias) refused.push({ id: objId, what: `${what} carries the alias '${o.alias}'` });
  };
  for (const id of want) {
    const link = links.get(id);
    if (link) for (const [i, e] of link.endpoints.entries()) checkOwner(`${id}#${i}`, `veth end '${e.ifname}'`);
    else if (nodes.get(id)?.kind !== 'host') checkOwner(id, describeObject(d, id));
  }
  const warnings: string[] = [];
  const adoptedNs = new Set(want.flatMap((id) => (nodes.get(id)?.kind === 'namespace' ? [id] : [])));
  for (const x of d.extras)
    if (x.node && adoptedNs.has(x.node) && x.ifname)
      warnings.push(`'${x.ifname}' (${x.kind}) is inside an adopted namespace: destroying the lab removes it too`);
  if (skipped.length)
    warnings.push(`${skipped.length} selected object(s) cannot be expressed in a lab and are left out`);
  return {
    select: want,
    mark: want.map((id) => ({ id, what: describeObject(d, id) })),
    added,
    skipped,
    refused,
    warnings,
  };
}

/** Ids "select all" picks: every lab node and link (extras cannot be adopted). */
export function adoptableIds(d: DiscoveryResponse): string[] {
  return [...d.lab.nodes.map((n) => n.id), ...d.lab.links.map((l) => l.id)];
}

/** A lab name proposal that does not collide with the given names. */
export function proposeLabName(taken: ReadonlySet<string>, base = 'adopted'): string {
  if (!taken.has(base)) return base;
  for (let i = 2; ; i++) if (!taken.has(`${base}-${i}`)) return `${base}-${i}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Inspector text.

export function ownershipText(o: { ownership: string; marker?: { lab: string; object: string } } | undefined): string {
  if (!o) return 'unknown';
  return o.ownership === 'owned' && o.marker ? `owned by lab ${o.marker.lab} (object ${o.marker.object})` : 'foreign';
}

export function netnsText(netns: NetnsRef): string {
  return netns === null ? 'root namespace' : netns;
}

// ---------------------------------------------------------------------------------------------------------------
// Diff: take the live value of one field into the design.

function getAt(lab: Lab, path: readonly (string | number)[]): unknown {
  let cur: unknown = lab;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[p];
  }
  return cur;
}

const canonical = (v: unknown) => JSON.stringify(Array.isArray(v) ? [...v].map(String).sort() : v);

/** Does the path still point at the object the diff was computed for (the lab may have been edited since)? */
export function patchTarget(lab: Lab, obj: Pick<ObjectDiff, 'id'>, path: readonly (string | number)[]): boolean {
  const [kind, index] = path;
  if (typeof index !== 'number') return false;
  if (kind === 'nodes') return lab.nodes[index]?.id === obj.id;
  if (kind === 'links') return lab.links[index]?.id === linkOf(obj.id);
  return false;
}

/** The design already holds the live value (taken, or edited to match). */
export function isTaken(lab: Lab, field: Pick<FieldDiff, 'patch'>): boolean {
  if (!field.patch) return false;
  return canonical(getAt(lab, field.patch.path)) === canonical(field.patch.value);
}

/** Pure: the lab with `patch` applied, or an error message when it no longer fits. */
export function applyPatch(lab: Lab, obj: Pick<ObjectDiff, 'id'>, field: FieldDiff): Lab | { error: string } {
  const patch = field.patch;
  if (!patch) return { error: `the live ${field.field} cannot be expressed in the lab` };
  if (!patchTarget(lab, obj, patch.path)) return { error: 'the lab changed since the diff was made: refresh it' };
  const out = structuredClone(lab) as unknown as Record<string | number, unknown>;
  let cur = out;
  for (const p of patch.path.slice(0, -1)) {
    const next = cur[p];
    if (next === null || typeof next !== 'object') return { error: `no such field: ${patch.path.join('.')}` };
    cur = next as Record<string | number, unknown>;
  }
  cur[patch.path[patch.path.length - 1]!] = structuredClone(patch.value);
  return out as unknown as Lab;
}

export function formatValue(v: unknown): string {
  if (v === undefined) return '—';
  if (v === null) return 'none';
  if (Array.isArray(v)) {
    if (!v.length) return 'none';
    return v
      .map((x) =>
        typeof x === 'object' && x
          ? Object.entries(x as Record<string, unknown>)
              .map(([k, y]) => `${k} ${y}`)
              .join(' ')
          : String(x),
      )
      .join(', ');
  }
  if (typeof v === 'object')
    return Object.entries(v as Record<string, unknown>)
      .map(([k, y]) => `${k}: ${y ?? 'root'}`)
      .join(', ');
  return String(v);
}

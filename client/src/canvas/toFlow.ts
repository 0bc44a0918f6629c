/**
 * Pure adapter: (lab, layout, status, issues, selection) → React Flow nodes and edges. The only place
 * where domain objects become view objects; nothing else in the app knows React Flow types.
 */
import type { Edge, Node } from '@xyflow/react';
import type { Issue } from '../../../shared/errors';
import type { AttachedInterface, Lab, LabNode } from '../../../shared/lab';
import type { Layout } from '../../../shared/layout';
import type { ObjectState, ObjectStatus } from '../../../shared/status';
import { vxlanTunnels } from '../../../shared/tunnels';
import { portVlanLabel } from '../kernelFeatures';
import { impairmentLabel } from './impairment';

export type ViewState = ObjectState;

/** What a state is called on a node's pill (and in exports). */
export const STATE_LABEL: Record<ViewState, string> = {
  absent: 'not applied',
  pending: 'pending',
  ready: 'ready',
  drifted: 'drifted',
  failed: 'failed',
  conflict: 'conflict',
};

export interface IfaceView {
  key: string; // endpoint key
  ifname: string;
  /** The design's addresses (what the user edits). */
  addresses: string[];
  /** What the host has instead, when it differs (see `liveAddresses`). */
  live?: string[];
  operstate?: string;
  state: ViewState;
  up: boolean;
  error?: string;
}

/** A node-attached interface (vxlan, tap, vlan, macvlan), drawn as a chip on its namespace. */
export interface AttachedView {
  /** The engine's object id, `${nodeId}/${ifname}` (its status key). */
  key: string;
  kind: AttachedInterface['kind'];
  name: string;
  /** Kind-specific detail: "VNI 42", "VLAN 10 on eth0", "on eth0". */
  detail?: string;
  /** Name of the bridge it is a port of. */
  bridge?: string;
  state: ViewState;
  operstate?: string;
  error?: string;
}

export interface NodeView extends Record<string, unknown> {
  kind: LabNode['kind'];
  label: string;
  /** Second line: "router", "in red", "root namespace". */
  detail?: string;
  state: ViewState;
  /** Condition message when the object is not ready (drift reason, failing command…). */
  message?: string;
  error?: string;
  warning?: string;
  ifaces: IfaceView[];
  /** Node-attached interfaces (namespaces only; absent when there are none). */
  attached?: AttachedView[];
  router: boolean;
  /** The failing command of the last operation, when it concerned this node. */
  failure?: string;
  /** The running operation is working on this node right now. */
  busy?: boolean;
  /** On the highlighted path (ping / path tool). */
  path?: boolean;
  /** A live-tool finding about this object (reachability reason). */
  note?: string;
  /** What the canvas just did to this object on the user's behalf (e.g. a route removed with a link). */
  notice?: string;
  /** A namespace drawn around the bridges that live in it (React Flow parent node). */
  container?: boolean;
}

export interface EndView {
  key: string;
  ifname: string;
  /** The design's addresses. */
  addresses: string[];
  /** The host's addresses, when they differ from the design's (marked as live on the label). */
  live?: string[];
  operstate?: string;
  state: ViewState;
  up: boolean;
  error?: string;
  selected: boolean;
  /** Badge text of this end's egress impairment ("⏱ 1 Mbit/s · delay 50 ms"). */
  impairment?: string;
  /** VLAN membership of a port of a filtering bridge ("VLAN 10", "VLAN 1 · tagged 10,20"). */
  vlan?: string;
}

export interface EdgeView extends Record<string, unknown> {
  state: ViewState;
  /** An end is administratively down (a teaching fault): the link carries nothing. */
  down?: boolean;
  ends: [EndView, EndView];
  rate: { rxBps: number; txBps: number } | null;
  error?: string;
  message?: string;
  failure?: string;
  busy?: boolean;
  path?: boolean;
  note?: string;
}

/** A dashed line from a namespace to the bridge one of its attached interfaces is a port of. */
export interface AttachEdgeView extends Record<string, unknown> {
  /** The interface's object id `${nodeId}/${ifname}`. */
  key: string;
  ifname: string;
  state: ViewState;
  error?: string;
  /** The bridge is drawn inside this namespace: the line runs up from it to here (y relative to the namespace). */
  inside?: number;
}

/** What the last/current operation says about particular objects. */
export interface FlowActivity {
  failure?: { object: string; text: string } | null;
  busy?: string | null;
  /** Live tools: objects on the highlighted path, and findings per object id. */
  path?: ReadonlySet<string>;
  notes?: ReadonlyMap<string, string>;
  /** Notices by object id (the ui slice's `notices`). */
  notices?: Readonly<Record<string, string>>;
}

export type FlowNode = Node<NodeView, LabNode['kind']>;
export type FlowEdge = Edge<EdgeView, 'veth'>;
/** Id prefix of attach edges (a link id never contains ':'). */
export const ATTACH_EDGE = 'attach:';
export type AttachFlowEdge = Edge<AttachEdgeView, 'attach'>;

/** A VXLAN tunnel (shared/tunnels.ts): ONE dashed line between the namespaces of its two ends. */
export interface TunnelEdgeView extends Record<string, unknown> {
  /** The tunnel id `vxlan:<nodeA>/<ifA>~<nodeB>/<ifB>` (also the path tool's object id for it). */
  key: string;
  /** "VXLAN · VNI 100", or "VNI 100 ≠ 101" when the ends disagree. */
  label: string;
  /** VNI and port agree: frames cross. */
  ok: boolean;
  /** The two ends' interface names, source side first. */
  ifnames: [string, string];
  state: ViewState;
  warning?: string;
  path?: boolean;
}
export type TunnelFlowEdge = Edge<TunnelEdgeView, 'tunnel'>;

const STATE_RANK: ViewState[] = ['failed', 'conflict', 'drifted', 'pending', 'absent', 'ready'];
/** The state of something made of two objects: the worse one. */
const worse = (a: ViewState, b: ViewState): ViewState => (STATE_RANK.indexOf(a) <= STATE_RANK.indexOf(b) ? a : b);

/** One edge per paired VXLAN (unpaired ends stay chips: their warning names what is missing). */
export function tunnelEdges(
  lab: Lab,
  status: Record<string, ObjectStatus>,
  path?: ReadonlySet<string>,
): TunnelFlowEdge[] {
  return vxlanTunnels(lab).tunnels.map((t) => {
    const mismatch = [
      ...(t.vni.a !== t.vni.b ? [`VNI ${t.vni.a} ≠ ${t.vni.b}`] : []),
      ...(t.port.a !== t.port.b ? [`port ${t.port.a} ≠ ${t.port.b}`] : []),
    ];
    return {
      id: t.id,
      type: 'tunnel' as const,
      source: t.a.node.id,
      target: t.b.node.id,
      selectable: false,
      focusable: false,
      deletable: false,
      data: {
        key: t.id,
        label: t.ok ? `VXLAN · VNI ${t.vni.a}` : mismatch.join(' · '),
        ok: t.ok,
        ifnames: [t.a.x.name, t.b.x.name],
        state: worse(stateOf(status[t.a.key]), stateOf(status[t.b.key])),
        ...(t.ok ? {} : { warning: `the two ends disagree (${mismatch.join(', ')}): no frame crosses` }),
        ...(path?.has(t.id) ? { path: true } : {}),
      },
    };
  });
}

export function sameTunnelEdge(a: TunnelFlowEdge, b: TunnelFlowEdge): boolean {
  const x = a.data!;
  const y = b.data!;
  return (
    a.source === b.source &&
    a.target === b.target &&
    x.label === y.label &&
    x.ok === y.ok &&
    x.state === y.state &&
    x.warning === y.warning &&
    x.path === y.path &&
    x.ifnames.join() === y.ifnames.join()
  );
}

export interface FlowSelection {
  nodes: readonly string[];
  links: readonly string[];
  endpoint: string | null;
}

const NO_SELECTION: FlowSelection = { nodes: [], links: [], endpoint: null };

function firstOf(issues: Issue[] | undefined, severity: 'error' | 'warning'): string | undefined {
  return issues?.find((i) => i.severity === severity)?.message;
}

function stateOf(st: ObjectStatus | undefined): ViewState {
  return st?.state ?? 'absent';
}

function messageOf(st: ObjectStatus | undefined): string | undefined {
  if (!st || st.state === 'ready' || st.state === 'absent') return undefined;
  const c = st.conditions.find((x) => x.status && x.type !== 'Ready') ?? st.conditions.find((x) => !x.status);
  return c?.message;
}

/** IPv6 link-local addresses: every interface gets one by itself; never part of a design. */
const isLinkLocal = (a: string) => /^fe[89ab][0-9a-f]:/i.test(a);

/**
 * The addresses the host has on an interface, when they differ from the design's: the canvas shows the
 * design and marks these as live. Undefined while the object is not on the host as ours (absent, a
 * conflict) or when both agree (link-local addresses aside, in any order).
 */
export function liveAddresses(design: readonly string[], st: ObjectStatus | undefined): string[] | undefined {
  if (!st?.addresses || st.state === 'absent' || st.state === 'conflict') return undefined;
  const host = st.addresses.filter((a) => !isLinkLocal(a));
  const want = new Set(design.map((a) => a.toLowerCase()));
  if (host.length === want.size && host.every((a) => want.has(a.toLowerCase()))) return undefined;
  return host;
}

/** The chip text after the name: what tells this interface apart on a diagram. */
export function attachedDetail(x: AttachedInterface): string | undefined {
  if (x.kind === 'vxlan') return `VNI ${x.vni}`;
  if (x.kind === 'vlan') return `VLAN ${x.vlanId} on ${x.parent}`;
  if (x.kind === 'macvlan') return `on ${x.parent}`;
  return undefined;
}

function attachedViews(
  n: Extract<LabNode, { kind: 'namespace' }>,
  status: Record<string, ObjectStatus>,
  issues: Issue[] | undefined,
  names: ReadonlyMap<string, string>,
): AttachedView[] | undefined {
  if (!n.interfaces?.length) return undefined;
  return n.interfaces.map((x, k) => {
    const key = `${n.id}/${x.name}`;
    const st = status[key];
    const error = issues?.find((i) => i.severity === 'error' && i.path[2] === 'interfaces' && i.path[3] === k)?.message;
    const detail = attachedDetail(x);
    const bridge = x.bridge !== undefined ? (names.get(x.bridge) ?? x.bridge) : undefined;
    return {
      key,
      kind: x.kind,
      name: x.name,
      state: stateOf(st),
      ...(detail ? { detail } : {}),
      ...(bridge ? { bridge } : {}),
      ...(st?.operstate ? { operstate: st.operstate } : {}),
      ...(error ? { error } : {}),
    };
  });
}

/** Inner padding of a namespace drawn around the bridges that live in it. */
export const NEST_PAD = 14;
/** Smallest size a size-less node is taken to have (before React Flow has measured it). */
const UNMEASURED = { width: 200, height: 70 };

/**
 * Where a namespace's bridges start: below its own rows (header, interfaces, chips, an error), estimated
 * from what the node shows (React Flow positions children from the parent's top-left corner).
 */
export function nestTop(view: Pick<NodeView, 'ifaces' | 'attached' | 'error'>): number {
  const n = view.ifaces.length;
  const rows = Math.min(n, 6) + (n > 6 ? 1 : 0);
  return 56 + (rows ? 15 + rows * 21 : 0) + (view.attached?.length ? 34 : 0) + (view.error ? 44 : 0) + NEST_PAD;
}

/** Bridge node id → id of the namespace node it lives in (only where that node is a namespace). */
export function nestedBridges(lab: Lab): Map<string, string> {
  const out = new Map<string, string>();
  let kinds: Map<string, LabNode['kind']> | undefined;
  for (const n of lab.nodes)
    if (n.kind === 'bridge' && n.namespace !== undefined) {
      kinds ??= new Map(lab.nodes.map((x) => [x.id, x.kind]));
      if (kinds.get(n.namespace) === 'namespace') out.set(n.id, n.namespace);
    }
  return out;
}

/**
 * Layout positions (absolute, as stored) from React Flow's moved positions, where a bridge inside a
 * namespace moves relative to it: a moved child becomes parent + its position; a moved parent takes the
 * children it did not move along by the same step.
 */
export function absolutePositions(
  lab: Lab,
  layout: Layout,
  moved: Record<string, { x: number; y: number }>,
): Record<string, { x: number; y: number }> {
  const parents = nestedBridges(lab);
  if (!parents.size) return moved;
  const out = { ...moved };
  for (const [child, parent] of parents) {
    const rel = moved[child];
    const was = layout.positions[parent];
    const now = moved[parent] ?? was;
    if (rel && now) out[child] = { x: rel.x + now.x, y: rel.y + now.y };
    else if (moved[parent] && was && layout.positions[child]) {
      const c = layout.positions[child]!;
      out[child] = { x: c.x + moved[parent].x - was.x, y: c.y + moved[parent].y - was.y };
    }
  }
  return out;
}

export function defaultPosition(index: number): { x: number; y: number } {
  // Nodes are about 240×100: leave room for the link labels between them.
  return { x: 80 + (index % 6) * 340, y: 80 + Math.floor(index / 6) * 240 };
}

export function toFlow(
  lab: Lab,
  layout: Layout,
  status: Record<string, ObjectStatus>,
  issues: ReadonlyMap<string, Issue[]>,
  selection: FlowSelection = NO_SELECTION,
  activity: FlowActivity = {},
  /** Measured node sizes (React Flow's), for drawing a namespace around its bridges. */
  sizes: ReadonlyMap<string, { width: number; height: number }> = new Map(),
): { nodes: FlowNode[]; edges: FlowEdge[]; attachEdges: AttachFlowEdge[] } {
  const failed = activity.failure?.object.split('#')[0];
  const busy = activity.busy?.split('#')[0];
  const names = new Map(lab.nodes.map((n) => [n.id, n.kind === 'host' ? 'host' : n.name]));
  const ifaces = new Map<string, IfaceView[]>();
  const selNodes = new Set(selection.nodes);
  const selLinks = new Set(selection.links);

  const filtering = new Set(lab.nodes.flatMap((n) => (n.kind === 'bridge' && n.vlanFiltering ? [n.id] : [])));
  const edges: FlowEdge[] = lab.links.map((l) => {
    const ends = l.endpoints.map((e, i) => {
      const key = `${l.id}#${i}`;
      const st = status[key];
      const impairment = impairmentLabel(e.impairment);
      const vlan = filtering.has(e.node) ? portVlanLabel(e.vlan ?? {}) : undefined;
      const live = liveAddresses(e.addresses, st);
      const view: EndView = {
        key,
        ifname: e.ifname,
        addresses: e.addresses,
        ...(live ? { live } : {}),
        state: stateOf(st),
        up: e.up,
        selected: selection.endpoint === key,
        ...(st?.operstate ? { operstate: st.operstate } : {}),
        ...(issues.get(key) ? { error: firstOf(issues.get(key), 'error') } : {}),
        ...(impairment ? { impairment } : {}),
        ...(vlan ? { vlan } : {}),
      };
      const list = ifaces.get(e.node) ?? [];
      list.push({
        key,
        ifname: e.ifname,
        addresses: e.addresses,
        ...(live ? { live } : {}),
        state: view.state,
        up: e.up,
        ...(view.operstate ? { operstate: view.operstate } : {}),
        ...(view.error ? { error: view.error } : {}),
      });
      ifaces.set(e.node, list);
      return view;
    }) as [EndView, EndView];
    const st = status[l.id];
    const rates = status[`${l.id}#0`]?.rates ?? st?.rates ?? null;
    const error = firstOf(issues.get(l.id), 'error');
    const message = messageOf(st);
    return {
      id: l.id,
      type: 'veth' as const,
      source: l.endpoints[0].node,
      target: l.endpoints[1].node,
      selected: selLinks.has(l.id) || (selection.endpoint?.startsWith(`${l.id}#`) ?? false),
      data: {
        state: stateOf(st),
        ...(l.endpoints.every((e) => e.up) ? {} : { down: true }),
        ends,
        rate: rates,
        ...(error ? { error } : {}),
        ...(message ? { message } : {}),
        ...(failed === l.id ? { failure: activity.failure!.text } : {}),
        ...(busy === l.id ? { busy: true } : {}),
        ...(activity.path?.has(l.id) ? { path: true } : {}),
        ...(activity.notes?.get(l.id) ? { note: activity.notes.get(l.id)! } : {}),
      },
    };
  });

  const kinds = new Map(lab.nodes.map((n) => [n.id, n.kind]));
  const attachEdges: AttachFlowEdge[] = [];
  const nodes: FlowNode[] = lab.nodes.map((n, i) => {
    const st = status[n.id];
    const its = issues.get(n.id);
    const error = firstOf(its, 'error');
    const warning = firstOf(its, 'warning');
    const message = messageOf(st);
    let detail: string | undefined;
    if (n.kind === 'namespace') detail = n.forwarding ? 'router' : 'namespace';
    else if (n.kind === 'bridge')
      detail = n.namespace ? `bridge in ${names.get(n.namespace) ?? n.namespace}` : 'bridge';
    else detail = 'root namespace';
    const attached = n.kind === 'namespace' ? attachedViews(n, status, its, names) : undefined;
    if (n.kind === 'namespace')
      (n.interfaces ?? []).forEach((x, k) => {
        if (x.bridge === undefined || kinds.get(x.bridge) !== 'bridge') return;
        const v = attached![k]!;
        attachEdges.push({
          id: `${ATTACH_EDGE}${v.key}`,
          type: 'attach',
          source: n.id,
          target: x.bridge,
          selectable: false,
          focusable: false,
          deletable: false,
          data: { key: v.key, ifname: v.name, state: v.state, ...(v.error ? { error: v.error } : {}) },
        });
      });
    return {
      id: n.id,
      type: n.kind,
      position: layout.positions[n.id] ?? defaultPosition(i),
      selected: selNodes.has(n.id),
      data: {
        kind: n.kind,
        label: names.get(n.id) ?? n.id,
        detail,
        state: stateOf(st),
        ifaces: ifaces.get(n.id) ?? [],
        router: n.kind === 'namespace' && n.forwarding,
        ...(attached ? { attached } : {}),
        ...(n.kind === 'bridge' && n.addresses.length
          ? {
              ifaces: [
                { key: n.id, ifname: n.name, addresses: n.addresses, state: stateOf(st), up: true },
                ...(ifaces.get(n.id) ?? []),
              ],
            }
          : {}),
        ...(error ? { error } : {}),
        ...(warning ? { warning } : {}),
        ...(message ? { message } : {}),
        ...(failed === n.id ? { failure: activity.failure!.text } : {}),
        ...(busy === n.id ? { busy: true } : {}),
        ...(activity.path?.has(n.id) ? { path: true } : {}),
        ...(activity.notes?.get(n.id) ? { note: activity.notes.get(n.id)! } : {}),
        ...(activity.notices?.[n.id] ? { notice: activity.notices[n.id]! } : {}),
      },
    };
  });
  const parents = nestedBridges(lab);
  if (!parents.size) return { nodes, edges, attachEdges };
  // A bridge an attached interface of its own namespace is a port of leaves room above it for that line.
  const ported = new Set(attachEdges.filter((e) => parents.get(e.target) === e.source).map((e) => e.target));
  return { ...nest(nodes, parents, sizes, ported), edges, attachEdges: nestAttach(attachEdges, nodes, parents) };
}

/** Room above a bridge inside a namespace for the line from the namespace's interface chips down to it. */
const PORT_LINE = 36;

/**
 * Draws each namespace around the bridges living in it (React Flow sub flow): a bridge becomes a child
 * (position relative to its namespace, kept below the namespace's own rows), the namespace grows to hold
 * it, and parents come before children in the array (React Flow needs that order).
 */
function nest(
  nodes: FlowNode[],
  parents: ReadonlyMap<string, string>,
  sizes: ReadonlyMap<string, { width: number; height: number }>,
  ported: ReadonlySet<string>,
): { nodes: FlowNode[] } {
  const byId = new Map(nodes.map((n) => [n.id, n] as const));
  const extent = new Map<string, { w: number; h: number }>();
  for (const [child, parent] of parents) {
    const c = byId.get(child);
    const p = byId.get(parent);
    if (!c || !p) continue;
    const top = nestTop(p.data) + (ported.has(child) ? PORT_LINE : 0);
    const size = sizes.get(child) ?? UNMEASURED;
    const x = Math.max(NEST_PAD, c.position.x - p.position.x);
    const y = Math.max(top, c.position.y - p.position.y);
    byId.set(child, {
      ...c,
      position: { x, y },
      parentId: parent,
      extent: [
        [NEST_PAD, top],
        [Infinity, Infinity],
      ],
    });
    const e = extent.get(parent) ?? { w: 0, h: 0 };
    extent.set(parent, { w: Math.max(e.w, x + size.width + NEST_PAD), h: Math.max(e.h, y + size.height + NEST_PAD) });
  }
  for (const [parent, e] of extent) {
    const p = byId.get(parent)!;
    byId.set(parent, {
      ...p,
      style: { width: Math.max(260, Math.ceil(e.w)), height: Math.ceil(e.h) },
      data: { ...p.data, container: true },
    });
  }
  const out = nodes.map((n) => byId.get(n.id)!);
  return { nodes: [...out.filter((n) => !n.parentId), ...out.filter((n) => n.parentId)] };
}

/** An attach line to a bridge inside the namespace runs up from the bridge to the namespace's own rows. */
function nestAttach(
  attach: AttachFlowEdge[],
  nodes: FlowNode[],
  parents: ReadonlyMap<string, string>,
): AttachFlowEdge[] {
  if (!attach.length) return attach;
  const byId = new Map(nodes.map((n) => [n.id, n] as const));
  return attach.map((e) =>
    parents.get(e.target) === e.source && byId.get(e.source)
      ? { ...e, data: { ...e.data!, inside: nestTop(byId.get(e.source)!.data) - NEST_PAD } }
      : e,
  );
}

// ---------- structural sharing: keep unchanged view objects identical so memoized components skip ----------

function sameIfaces(a: IfaceView[], b: IfaceView[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (
      x.key !== y.key ||
      x.ifname !== y.ifname ||
      x.state !== y.state ||
      x.up !== y.up ||
      x.operstate !== y.operstate ||
      x.error !== y.error ||
      x.addresses.join() !== y.addresses.join() ||
      x.live?.join() !== y.live?.join()
    )
      return false;
  }
  return true;
}

function sameAttached(a: AttachedView[] | undefined, b: AttachedView[] | undefined): boolean {
  if (a === b) return true;
  if (!a || !b || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (
      x.key !== y.key ||
      x.kind !== y.kind ||
      x.detail !== y.detail ||
      x.bridge !== y.bridge ||
      x.state !== y.state ||
      x.operstate !== y.operstate ||
      x.error !== y.error
    )
      return false;
  }
  return true;
}

export function sameNodeView(a: NodeView, b: NodeView): boolean {
  return (
    a.label === b.label &&
    a.detail === b.detail &&
    a.state === b.state &&
    a.message === b.message &&
    a.error === b.error &&
    a.warning === b.warning &&
    a.router === b.router &&
    a.failure === b.failure &&
    a.busy === b.busy &&
    a.path === b.path &&
    a.note === b.note &&
    a.notice === b.notice &&
    a.container === b.container &&
    sameIfaces(a.ifaces, b.ifaces) &&
    sameAttached(a.attached, b.attached)
  );
}

export function sameAttachEdge(a: AttachFlowEdge, b: AttachFlowEdge): boolean {
  return (
    a.source === b.source &&
    a.target === b.target &&
    a.data!.ifname === b.data!.ifname &&
    a.data!.state === b.data!.state &&
    a.data!.error === b.data!.error &&
    a.data!.inside === b.data!.inside
  );
}

function sameEnd(a: EndView, b: EndView): boolean {
  return (
    a.ifname === b.ifname &&
    a.state === b.state &&
    a.up === b.up &&
    a.operstate === b.operstate &&
    a.error === b.error &&
    a.selected === b.selected &&
    a.impairment === b.impairment &&
    a.vlan === b.vlan &&
    a.addresses.join() === b.addresses.join() &&
    a.live?.join() === b.live?.join()
  );
}

export function sameEdgeView(a: EdgeView, b: EdgeView): boolean {
  return (
    a.state === b.state &&
    a.down === b.down &&
    a.error === b.error &&
    a.message === b.message &&
    a.failure === b.failure &&
    a.busy === b.busy &&
    a.path === b.path &&
    a.note === b.note &&
    a.rate?.rxBps === b.rate?.rxBps &&
    a.rate?.txBps === b.rate?.txBps &&
    sameEnd(a.ends[0], b.ends[0]) &&
    sameEnd(a.ends[1], b.ends[1])
  );
}
